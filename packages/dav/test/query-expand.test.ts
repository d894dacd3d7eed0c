import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import ICAL from 'ical.js';
import fc from 'fast-check';
import {
  decideFromSummary,
  expandCalendarObject,
  freeBusy,
  matchCalendarObject,
  mayOverlap,
  parseCalendarFilter,
  summarizeCalendarObject,
} from '../src/query/index.js';
import { C, PARIS_TZ, event, ics } from './query-helpers.js';

const paris = ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Test//EN', ...PARIS_TZ,
  'BEGIN:VEVENT', 'UID:paris@example.com', 'DTSTAMP:20260101T000000Z',
  'DTSTART;TZID=Europe/Paris:20260319T090000', 'DTEND;TZID=Europe/Paris:20260319T100000',
  'RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=6', 'EXDATE;TZID=Europe/Paris:20260409T090000', 'SUMMARY:Stand-up',
  'BEGIN:VALARM', 'ACTION:DISPLAY', 'DESCRIPTION:Stand-up', 'TRIGGER:-PT5M', 'END:VALARM',
  'END:VEVENT',
  'BEGIN:VEVENT', 'UID:paris@example.com', 'DTSTAMP:20260101T000000Z',
  'RECURRENCE-ID;TZID=Europe/Paris:20260402T090000',
  'DTSTART;TZID=Europe/Paris:20260402T140000', 'DTEND;TZID=Europe/Paris:20260402T150000', 'SUMMARY:Stand-up (afternoon)',
  'END:VEVENT', 'END:VCALENDAR');

function events(text: string): ICAL.Component[] {
  return new ICAL.Component(ICAL.parse(text) as never).getAllSubcomponents('vevent');
}

describe('expandCalendarObject', () => {
  const out = expandCalendarObject(paris, new Date('2026-03-01T00:00:00Z'), new Date('2026-05-01T00:00:00Z'));
  const vevents = events(out);

  test('one component per instance, in order, overrides in place, EXDATE gone', () => {
    const starts = vevents.map((e) => e.getFirstProperty('dtstart')!.toICALString());
    assert.deepEqual(starts, [
      'DTSTART:20260319T080000Z',
      'DTSTART:20260326T080000Z',
      'DTSTART:20260402T120000Z',
      'DTSTART:20260416T070000Z',
      'DTSTART:20260423T070000Z',
    ]);
    assert.equal(vevents[2]!.getFirstPropertyValue('summary'), 'Stand-up (afternoon)');
  });

  test('RECURRENCE-ID on every instance, in UTC', () => {
    const rids = vevents.map((e) => e.getFirstProperty('recurrence-id')!.toICALString());
    assert.deepEqual(rids, [
      'RECURRENCE-ID:20260319T080000Z',
      'RECURRENCE-ID:20260326T080000Z',
      'RECURRENCE-ID:20260402T070000Z',
      'RECURRENCE-ID:20260416T070000Z',
      'RECURRENCE-ID:20260423T070000Z',
    ]);
  });

  test('no RRULE, RDATE, EXDATE, TZID or VTIMEZONE; alarms kept; ends follow the instance', () => {
    assert.doesNotMatch(out, /RRULE|RDATE|EXDATE|TZID|VTIMEZONE/);
    assert.equal(vevents[0]!.getAllSubcomponents('valarm').length, 1);
    assert.deepEqual(vevents.map((e) => e.getFirstProperty('dtend')!.toICALString()).slice(3), [
      'DTEND:20260416T080000Z',
      'DTEND:20260423T080000Z',
    ]);
    assert.match(out, /^BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-\/\/Test\/\/EN\r\n/);
  });

  test('only instances overlapping the range', () => {
    const april = events(expandCalendarObject(paris, new Date('2026-04-01T00:00:00Z'), new Date('2026-04-17T00:00:00Z')));
    assert.deepEqual(april.map((e) => e.getFirstPropertyValue('summary')), ['Stand-up (afternoon)', 'Stand-up']);
  });

  test('a single event is converted to UTC without a RECURRENCE-ID', () => {
    const single = ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x', ...PARIS_TZ, 'BEGIN:VEVENT', 'UID:s', 'DTSTAMP:20260101T000000Z',
      'DTSTART;TZID=Europe/Paris:20260710T090000', 'DURATION:PT1H', 'END:VEVENT', 'END:VCALENDAR');
    const [e] = events(expandCalendarObject(single, new Date('2026-07-01T00:00:00Z'), new Date('2026-08-01T00:00:00Z')));
    assert.equal(e!.getFirstProperty('dtstart')!.toICALString(), 'DTSTART:20260710T070000Z');
    assert.equal(e!.hasProperty('recurrence-id'), false);
    assert.equal(e!.getFirstPropertyValue('duration')!.toString(), 'PT1H');
  });

  test('an endless all-day rule expands only inside the range, keeping DATE values', () => {
    const daily = event('DTSTART;VALUE=DATE:20200101', 'RRULE:FREQ=DAILY', 'SUMMARY:Daily');
    const out3 = events(expandCalendarObject(daily, new Date('2026-03-10T00:00:00Z'), new Date('2026-03-13T00:00:00Z')));
    assert.deepEqual(out3.map((e) => e.getFirstProperty('recurrence-id')!.toICALString()), [
      'RECURRENCE-ID;VALUE=DATE:20260310',
      'RECURRENCE-ID;VALUE=DATE:20260311',
      'RECURRENCE-ID;VALUE=DATE:20260312',
    ]);
  });

  test('recurring to-dos move their DUE with each instance', () => {
    const todo = ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x', ...PARIS_TZ, 'BEGIN:VTODO', 'UID:t', 'DTSTAMP:20260101T000000Z',
      'DTSTART;TZID=Europe/Paris:20260323T090000', 'DUE;TZID=Europe/Paris:20260323T180000', 'RRULE:FREQ=WEEKLY;COUNT=2',
      'SUMMARY:Timesheet', 'END:VTODO', 'END:VCALENDAR');
    const vtodos = new ICAL.Component(ICAL.parse(expandCalendarObject(todo, new Date('2026-03-01T00:00:00Z'), new Date('2026-04-30T00:00:00Z'))) as never)
      .getAllSubcomponents('vtodo');
    assert.deepEqual(vtodos.map((t) => t.getFirstProperty('due')!.toICALString()), ['DUE:20260323T170000Z', 'DUE:20260330T160000Z']);
  });

  test('unparseable text comes back unchanged', () => {
    assert.equal(expandCalendarObject('nonsense', new Date(0), new Date(1)), 'nonsense');
  });
});

describe('summarizeCalendarObject and mayOverlap', () => {
  test('span of a bounded recurring set, across DST and an override', () => {
    const s = summarizeCalendarObject(paris);
    assert.equal(s.uid, 'paris@example.com');
    assert.deepEqual(s.components, ['VEVENT']);
    assert.equal(s.start, Date.parse('2026-03-19T08:00:00Z'));
    assert.equal(s.end, Date.parse('2026-04-23T08:00:00Z'));
  });

  test('an endless RRULE has no end', () => {
    const s = summarizeCalendarObject(event('DTSTART:20260105T090000Z', 'DURATION:PT1H', 'RRULE:FREQ=WEEKLY'));
    assert.equal(s.start, Date.parse('2026-01-05T09:00:00Z'));
    assert.equal(s.end, undefined);
  });

  test('an override moved after the last occurrence extends the span', () => {
    const s = summarizeCalendarObject(ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x',
      'BEGIN:VEVENT', 'UID:m', 'DTSTAMP:20260101T000000Z', 'DTSTART:20260302T100000Z', 'DTEND:20260302T110000Z', 'RRULE:FREQ=DAILY;COUNT=2', 'END:VEVENT',
      'BEGIN:VEVENT', 'UID:m', 'DTSTAMP:20260101T000000Z', 'RECURRENCE-ID:20260303T100000Z', 'DTSTART:20260601T100000Z', 'DTEND:20260601T110000Z', 'END:VEVENT',
      'END:VCALENDAR'));
    assert.equal(s.start, Date.parse('2026-03-02T10:00:00Z'));
    assert.equal(s.end, Date.parse('2026-06-01T11:00:00Z'));
  });

  test('all-day events and to-dos', () => {
    const day = summarizeCalendarObject(event('DTSTART;VALUE=DATE:20260310'));
    assert.deepEqual([day.start, day.end], [Date.parse('2026-03-10T00:00:00Z'), Date.parse('2026-03-11T00:00:00Z')]);
    const todo = summarizeCalendarObject(ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x', 'BEGIN:VTODO', 'UID:t', 'DTSTAMP:20260101T000000Z', 'SUMMARY:Someday', 'END:VTODO', 'END:VCALENDAR'));
    assert.deepEqual([todo.uid, todo.components, todo.start, todo.end], ['t', ['VTODO'], undefined, undefined]);
  });

  test('unparseable text', () => {
    assert.deepEqual(summarizeCalendarObject('junk'), { uid: undefined, components: [] });
  });

  test('mayOverlap agrees with matchCalendarObject on the fixtures', () => {
    const ranges: [string | undefined, string | undefined][] = [
      ['20260101T000000Z', '20260301T000000Z'],
      ['20260319T080000Z', '20260319T080001Z'],
      ['20260423T080000Z', '20260501T000000Z'],
      ['20260423T075959Z', '20260501T000000Z'],
      [undefined, '20260319T080000Z'],
      ['20260402T120000Z', undefined],
      ['20270101T000000Z', undefined],
    ];
    const s = summarizeCalendarObject(paris);
    for (const [a, b] of ranges) {
      const f = parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.range(a, b)))));
      const matched = matchCalendarObject(paris, f);
      if (matched) assert.equal(mayOverlap(s, f), true, `${a}..${b} matched but was excluded`);
    }
    const outside = parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.range('20270101T000000Z', undefined)))));
    assert.equal(mayOverlap(s, outside), false);
    // Bounds are inclusive (the RFC 4791 9.9 tests mix < and <=), so a range ending exactly at the
    // first start is not excluded, though it cannot match.
    const touching = parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.range(undefined, '20260319T080000Z')))));
    assert.equal(mayOverlap(s, touching), true);
    const before = parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.range(undefined, '20260319T075959Z')))));
    assert.equal(mayOverlap(s, before), false);
  });

  test('mayOverlap on component kinds', () => {
    const s = summarizeCalendarObject(paris);
    const todos = parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VTODO'))));
    assert.equal(mayOverlap(s, todos), false);
    const noEvents = parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.notDefined()))));
    assert.equal(mayOverlap(s, noEvents), false);
    const any = parseCalendarFilter(C.filter(C.comp('VCALENDAR')));
    assert.equal(mayOverlap(s, any), true);
    const alarm = parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.comp('VALARM', C.range('20300101T000000Z', undefined))))));
    assert.equal(mayOverlap(s, alarm), true, 'nested ranges are not judged from the summary');
  });
});

describe('freeBusy', () => {
  const mk = (uid: string, ...props: string[]) =>
    ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x', 'BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20260101T000000Z', ...props, 'END:VEVENT', 'END:VCALENDAR');
  const list = [
    mk('a', 'DTSTART:20260310T090000Z', 'DTEND:20260310T100000Z'),
    mk('b', 'DTSTART:20260310T093000Z', 'DTEND:20260310T110000Z'),
    mk('c', 'DTSTART:20260310T110000Z', 'DURATION:PT30M'),
    mk('d', 'DTSTART:20260310T130000Z', 'DTEND:20260310T140000Z', 'TRANSP:TRANSPARENT'),
    mk('e', 'DTSTART:20260310T150000Z', 'DTEND:20260310T160000Z', 'STATUS:TENTATIVE'),
    mk('f', 'DTSTART:20260310T170000Z', 'DTEND:20260310T180000Z', 'STATUS:CANCELLED'),
    mk('g', 'DTSTART:20260310T070000Z', 'DTEND:20260310T083000Z'),
    mk('h', 'DTSTART:20260309T090000Z', 'DTEND:20260309T100000Z', 'RRULE:FREQ=DAILY;COUNT=3', 'EXDATE:20260311T090000Z'),
    mk('i', 'DTSTART:20260310T190000Z'),
    'garbage',
  ];
  const out = freeBusy(list, new Date('2026-03-10T08:00:00Z'), new Date('2026-03-11T00:00:00Z'));

  test('one VFREEBUSY over the range', () => {
    const vcal = new ICAL.Component(ICAL.parse(out) as never);
    const fb = vcal.getFirstSubcomponent('vfreebusy')!;
    assert.equal(fb.getFirstProperty('dtstart')!.toICALString(), 'DTSTART:20260310T080000Z');
    assert.equal(fb.getFirstProperty('dtend')!.toICALString(), 'DTEND:20260310T000000Z'.replace('0310T', '0311T'));
    assert.ok(fb.hasProperty('dtstamp'));
  });

  test('merged, clipped BUSY periods; TRANSPARENT, CANCELLED and instants left out', () => {
    const busy = out.split('\r\n').filter((l) => l.startsWith('FREEBUSY'));
    assert.deepEqual(busy, [
      'FREEBUSY:20260310T080000Z/20260310T083000Z',
      'FREEBUSY:20260310T090000Z/20260310T113000Z',
      'FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260310T150000Z/20260310T160000Z',
    ]);
  });

  test('recurring events contribute their instances, minus EXDATE', () => {
    const out2 = freeBusy(list.slice(7, 8), new Date('2026-03-09T00:00:00Z'), new Date('2026-03-12T00:00:00Z'));
    const busy = out2.split('\r\n').filter((l) => l.startsWith('FREEBUSY'));
    assert.deepEqual(busy, ['FREEBUSY:20260309T090000Z/20260309T100000Z', 'FREEBUSY:20260310T090000Z/20260310T100000Z']);
  });

  test('busy periods from stored VFREEBUSY components', () => {
    const stored = ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x', 'BEGIN:VFREEBUSY', 'UID:fb', 'DTSTAMP:20260101T000000Z',
      'FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260310T120000Z/PT1H', 'FREEBUSY;FBTYPE=FREE:20260310T200000Z/PT1H', 'END:VFREEBUSY', 'END:VCALENDAR');
    const busy = freeBusy([stored], new Date('2026-03-10T00:00:00Z'), new Date('2026-03-11T00:00:00Z')).split('\r\n').filter((l) => l.startsWith('FREEBUSY'));
    assert.deepEqual(busy, ['FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260310T120000Z/20260310T130000Z']);
  });
});

describe('mayOverlap never excludes a match (property)', () => {
  const fixtures = [
    paris,
    event('DTSTART;VALUE=DATE:20260310', 'DTEND;VALUE=DATE:20260313'),
    event('DTSTART:20260305T100000Z', 'DTEND:20260305T110000Z', 'RRULE:FREQ=DAILY;INTERVAL=3;UNTIL=20260420T000000Z', 'EXDATE:20260311T100000Z'),
    event('DTSTART:20260310T140000Z'),
    ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x', 'BEGIN:VTODO', 'UID:t', 'DTSTAMP:20260101T000000Z', 'DTSTART:20260310T100000Z', 'DUE:20260320T100000Z', 'END:VTODO', 'END:VCALENDAR'),
  ];
  const summaries = fixtures.map(summarizeCalendarObject);
  const base = Date.parse('2026-02-20T00:00:00Z');
  const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

  test('random ranges over the fixtures', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 90 * 24 * 60 }),
        fc.integer({ min: 1, max: 20 * 24 * 60 }),
        fc.constantFrom('both', 'open-start', 'open-end'),
        fc.integer({ min: 0, max: fixtures.length - 1 }),
        fc.constantFrom('VEVENT', 'VTODO'),
        (offsetMin, lengthMin, shape, i, comp) => {
          const s = base + offsetMin * 60_000;
          const e = s + lengthMin * 60_000;
          const f = parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp(comp,
            C.range(shape === 'open-start' ? undefined : stamp(s), shape === 'open-end' ? undefined : stamp(e))))));
          const matched = matchCalendarObject(fixtures[i]!, f);
          if (matched) assert.equal(mayOverlap(summaries[i]!, f), true);
          // When the summary decides, it decides as matching would (boundaries included: ranges
          // here fall on whole minutes, as do the fixtures' occurrences).
          const decided = decideFromSummary(summaries[i]!, f);
          if (decided !== undefined) assert.equal(decided, matched, `${stamp(s)}..${stamp(e)} ${shape} on fixture ${i}`);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('the summary decides the plain VEVENT range query, and leaves everything else to matching', () => {
    const everyThirdDay = summarizeCalendarObject(fixtures[2]!);
    assert.ok(everyThirdDay.spans && everyThirdDay.spans.length > 5, 'a bounded set keeps its occurrences');
    const range = (a: string, b: string) => parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.range(a, b)))));
    // An EXDATE'd occurrence (2026-03-11 10:00) does not count; the next one does.
    assert.equal(decideFromSummary(everyThirdDay, range('20260311T000000Z', '20260312T000000Z')), false);
    assert.equal(decideFromSummary(everyThirdDay, range('20260314T100000Z', '20260314T100100Z')), true);
    // An instant event (DTSTART only) at the range's end does not match; at its start it does.
    const instant = summarizeCalendarObject(fixtures[3]!);
    assert.equal(decideFromSummary(instant, range('20260310T130000Z', '20260310T140000Z')), false);
    assert.equal(decideFromSummary(instant, range('20260310T140000Z', '20260310T150000Z')), true);
    // Anything beyond a bare time-range, to-dos, and endless rules go to the full match.
    const withProp = parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.range('20260301T000000Z', '20260401T000000Z'), C.prop('SUMMARY')))));
    assert.equal(decideFromSummary(everyThirdDay, withProp), undefined);
    assert.equal(summarizeCalendarObject(fixtures[4]!).spans, undefined);
    assert.equal(summarizeCalendarObject(event('DTSTART:20260305T100000Z', 'RRULE:FREQ=DAILY')).spans, undefined);
  });
});

describe('RANGE=THISANDFUTURE overrides', () => {
  // A daily 09:00 stand-up; from the 4th on it moves to 11:00 and shrinks to 30 minutes, and the
  // 6th alone is moved to 08:00 (a single-instance override wins over the range one).
  const moved = ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x',
    'BEGIN:VEVENT', 'UID:daily', 'DTSTAMP:20260101T000000Z', 'DTSTART:20260302T090000Z', 'DTEND:20260302T100000Z',
    'RRULE:FREQ=DAILY;COUNT=6', 'SUMMARY:Stand-up', 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:daily', 'DTSTAMP:20260101T000000Z', 'RECURRENCE-ID;RANGE=THISANDFUTURE:20260304T090000Z',
    'DTSTART:20260304T110000Z', 'DTEND:20260304T113000Z', 'SUMMARY:Stand-up (late)', 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:daily', 'DTSTAMP:20260101T000000Z', 'RECURRENCE-ID:20260306T090000Z',
    'DTSTART:20260306T080000Z', 'DTEND:20260306T090000Z', 'SUMMARY:Stand-up (early)', 'END:VEVENT',
    'END:VCALENDAR');
  const all = events(expandCalendarObject(moved, new Date('2026-03-01T00:00:00Z'), new Date('2026-04-01T00:00:00Z')));

  test('expand: later occurrences take the override\'s shift, length and properties', () => {
    assert.deepEqual(all.map((e) => [
      e.getFirstProperty('recurrence-id')!.toICALString(),
      e.getFirstProperty('dtstart')!.toICALString(),
      e.getFirstProperty('dtend')!.toICALString(),
      e.getFirstPropertyValue('summary'),
    ]), [
      ['RECURRENCE-ID:20260302T090000Z', 'DTSTART:20260302T090000Z', 'DTEND:20260302T100000Z', 'Stand-up'],
      ['RECURRENCE-ID:20260303T090000Z', 'DTSTART:20260303T090000Z', 'DTEND:20260303T100000Z', 'Stand-up'],
      ['RECURRENCE-ID:20260304T090000Z', 'DTSTART:20260304T110000Z', 'DTEND:20260304T113000Z', 'Stand-up (late)'],
      ['RECURRENCE-ID:20260305T090000Z', 'DTSTART:20260305T110000Z', 'DTEND:20260305T113000Z', 'Stand-up (late)'],
      ['RECURRENCE-ID:20260306T090000Z', 'DTSTART:20260306T080000Z', 'DTEND:20260306T090000Z', 'Stand-up (early)'],
      ['RECURRENCE-ID:20260307T090000Z', 'DTSTART:20260307T110000Z', 'DTEND:20260307T113000Z', 'Stand-up (late)'],
    ]);
  });

  test('expanded instances carry no RANGE parameter', () => {
    assert.doesNotMatch(expandCalendarObject(moved, new Date('2026-03-01T00:00:00Z'), new Date('2026-04-01T00:00:00Z')), /RANGE=/);
  });

  test('time-range matching sees the moved occurrences, not the original slots', () => {
    const f = (a: string, b: string, ...more: ReturnType<typeof C.prop>[]) =>
      parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.range(a, b), ...more))));
    assert.equal(matchCalendarObject(moved, f('20260305T090000Z', '20260305T100000Z')), false);
    assert.equal(matchCalendarObject(moved, f('20260305T110000Z', '20260305T111500Z')), true);
    assert.equal(matchCalendarObject(moved, f('20260307T110000Z', '20260307T120000Z', C.prop('SUMMARY', C.text('late')))), true);
    assert.equal(matchCalendarObject(moved, f('20260303T000000Z', '20260303T235959Z', C.prop('SUMMARY', C.text('late')))), false);
    // The cached summary agrees with matching.
    const s = summarizeCalendarObject(moved);
    assert.equal(decideFromSummary(s, f('20260305T090000Z', '20260305T100000Z')), false);
    assert.equal(decideFromSummary(s, f('20260307T110000Z', '20260307T111500Z')), true);
    assert.equal(s.end, Date.parse('2026-03-07T11:30:00Z'));
  });

  test('free-busy counts the moved occurrences', () => {
    const busy = freeBusy([moved], new Date('2026-03-05T00:00:00Z'), new Date('2026-03-08T00:00:00Z')).split('\r\n').filter((l) => l.startsWith('FREEBUSY'));
    assert.deepEqual(busy, [
      'FREEBUSY:20260305T110000Z/20260305T113000Z',
      'FREEBUSY:20260306T080000Z/20260306T090000Z',
      'FREEBUSY:20260307T110000Z/20260307T113000Z',
    ]);
  });

  test('a shift keeps local wall-clock time across a DST change', () => {
    const weekly = ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x', ...PARIS_TZ,
      'BEGIN:VEVENT', 'UID:w', 'DTSTAMP:20260101T000000Z', 'DTSTART;TZID=Europe/Paris:20260312T090000', 'DURATION:PT1H',
      'RRULE:FREQ=WEEKLY;COUNT=4', 'END:VEVENT',
      'BEGIN:VEVENT', 'UID:w', 'DTSTAMP:20260101T000000Z', 'RECURRENCE-ID;TZID=Europe/Paris;RANGE=THISANDFUTURE:20260319T090000',
      'DTSTART;TZID=Europe/Paris:20260319T100000', 'DURATION:PT1H', 'END:VEVENT', 'END:VCALENDAR');
    const out = events(expandCalendarObject(weekly, new Date('2026-03-01T00:00:00Z'), new Date('2026-04-30T00:00:00Z')));
    // 10:00 Paris is 09:00Z before 29 March and 08:00Z after.
    assert.deepEqual(out.map((e) => e.getFirstProperty('dtstart')!.toICALString()), [
      'DTSTART:20260312T080000Z', 'DTSTART:20260319T090000Z', 'DTSTART:20260326T090000Z', 'DTSTART:20260402T080000Z',
    ]);
  });
});
