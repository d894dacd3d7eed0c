import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NS } from '../src/xml-element.js';
import { matchCalendarObject, parseCalendarFilter, QueryError, type CalendarFilter } from '../src/query/index.js';
import { C, EASTERN_TZ, PARIS_TZ, el, event, ics } from './query-helpers.js';

/** A calendar-query filter: VCALENDAR > VEVENT (or `comp`) with a time-range. */
function rangeFilter(start: string | undefined, end: string | undefined, comp = 'VEVENT'): CalendarFilter {
  return parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp(comp, C.range(start, end)))));
}

function matches(text: string, start: string | undefined, end: string | undefined, comp = 'VEVENT'): boolean {
  return matchCalendarObject(text, rangeFilter(start, end, comp));
}

// RFC 4791 Appendix B objects (abbreviated, same times).
const abcd1 = ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Example Corp.//CalDAV Client//EN', ...EASTERN_TZ,
  'BEGIN:VEVENT', 'DTSTAMP:20060206T001102Z', 'DTSTART;TZID=US/Eastern:20060102T100000', 'DURATION:PT1H',
  'SUMMARY:Event #1', 'Description:Go Steelers!', 'UID:74855313FA803DA593CD579A@example.com', 'END:VEVENT', 'END:VCALENDAR');
const abcd2 = ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Example Corp.//CalDAV Client//EN', ...EASTERN_TZ,
  'BEGIN:VEVENT', 'DTSTAMP:20060206T001121Z', 'DTSTART;TZID=US/Eastern:20060102T120000', 'DURATION:PT1H',
  'RRULE:FREQ=DAILY;COUNT=5', 'SUMMARY:Event #2', 'UID:00959BC664CA650E933C892C@example.com', 'END:VEVENT',
  'BEGIN:VEVENT', 'DTSTAMP:20060206T001121Z', 'DTSTART;TZID=US/Eastern:20060104T140000', 'DURATION:PT1H',
  'RECURRENCE-ID;TZID=US/Eastern:20060104T120000', 'SUMMARY:Event #2 bis', 'UID:00959BC664CA650E933C892C@example.com',
  'END:VEVENT', 'END:VCALENDAR');
const abcd3 = ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Example Corp.//CalDAV Client//EN', ...EASTERN_TZ,
  'BEGIN:VEVENT', 'ATTENDEE;PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:cyrus@example.com',
  'ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:lisa@example.com', 'DTSTAMP:20060206T001220Z',
  'DTSTART;TZID=US/Eastern:20060104T100000', 'DURATION:PT1H', 'LAST-MODIFIED:20060206T001330Z',
  'ORGANIZER:mailto:cyrus@example.com', 'SEQUENCE:1', 'STATUS:TENTATIVE', 'SUMMARY:Event #3',
  'UID:DC6C50A017428C5216A2F1CD@example.com', 'END:VEVENT', 'END:VCALENDAR');

describe('RFC 4791 examples', () => {
  test('7.8.1: events in 2006-01-04 (a recurring set with an override, an event in US/Eastern)', () => {
    const f = rangeFilter('20060104T000000Z', '20060105T000000Z');
    assert.equal(matchCalendarObject(abcd1, f), false);
    assert.equal(matchCalendarObject(abcd2, f), true);
    assert.equal(matchCalendarObject(abcd3, f), true);
  });

  test('7.8.6: ATTENDEE with PARTSTAT=NEEDS-ACTION', () => {
    const f = parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VEVENT',
      C.prop('ATTENDEE', C.text('mailto:lisa@example.com', { collation: 'i;ascii-casemap' }),
        C.param('PARTSTAT', C.text('NEEDS-ACTION')))))));
    assert.equal(matchCalendarObject(abcd3, f), true);
    assert.equal(matchCalendarObject(abcd1, f), false);
    const cyrus = parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VEVENT',
      C.prop('ATTENDEE', C.text('mailto:cyrus@example.com'), C.param('PARTSTAT', C.text('NEEDS-ACTION')))))));
    // Cyrus accepted: the param-filter must hold on the same ATTENDEE that the text matched.
    assert.equal(matchCalendarObject(abcd3, cyrus), false);
  });

  test('7.8.9: events by UID text-match', () => {
    const f = parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VEVENT',
      C.prop('UID', C.text('DC6C50A017428C5216A2F1CD@example.com'))))));
    assert.equal(matchCalendarObject(abcd3, f), true);
    assert.equal(matchCalendarObject(abcd2, f), false);
  });
});

describe('VEVENT time-range', () => {
  const single = event('DTSTART:20260310T140000Z', 'DTEND:20260310T150000Z', 'SUMMARY:Dentist');

  test('DTEND: overlap is half-open at both ends', () => {
    assert.equal(matches(single, '20260310T143000Z', '20260310T144500Z'), true);
    assert.equal(matches(single, '20260310T150000Z', '20260310T160000Z'), false, 'range starting at DTEND');
    assert.equal(matches(single, '20260310T130000Z', '20260310T140000Z'), false, 'range ending at DTSTART');
    assert.equal(matches(single, '20260310T130000Z', '20260310T140001Z'), true);
    assert.equal(matches(single, undefined, '20260310T140001Z'), true, 'open start');
    assert.equal(matches(single, '20260310T145959Z', undefined), true, 'open end');
    assert.equal(matches(single, '20260311T000000Z', undefined), false);
  });

  test('DURATION, and a zero DURATION (an instant)', () => {
    const dur = event('DTSTART:20260310T140000Z', 'DURATION:PT90M');
    assert.equal(matches(dur, '20260310T152000Z', '20260310T160000Z'), true);
    assert.equal(matches(dur, '20260310T153000Z', '20260310T160000Z'), false);
    const zero = event('DTSTART:20260310T140000Z', 'DURATION:PT0S');
    assert.equal(matches(zero, '20260310T140000Z', '20260310T150000Z'), true, 'start <= DTSTART');
    assert.equal(matches(zero, '20260310T130000Z', '20260310T140000Z'), false, 'end must be > DTSTART');
  });

  test('DATE-TIME without DTEND or DURATION is an instant', () => {
    const inst = event('DTSTART:20260310T140000Z');
    assert.equal(matches(inst, '20260310T140000Z', '20260310T140001Z'), true);
    assert.equal(matches(inst, '20260310T140001Z', '20260310T150000Z'), false);
  });

  test('all-day events (DATE values, floating: read in UTC)', () => {
    const oneDay = event('DTSTART;VALUE=DATE:20260310');
    assert.equal(matches(oneDay, '20260310T230000Z', '20260311T010000Z'), true);
    assert.equal(matches(oneDay, '20260311T000000Z', '20260312T000000Z'), false);
    assert.equal(matches(oneDay, '20260309T000000Z', '20260310T000000Z'), false);
    const threeDays = event('DTSTART;VALUE=DATE:20260310', 'DTEND;VALUE=DATE:20260313');
    assert.equal(matches(threeDays, '20260312T120000Z', '20260312T130000Z'), true);
    assert.equal(matches(threeDays, '20260313T000000Z', '20260314T000000Z'), false);
  });

  test('floating DATE-TIME is read in UTC', () => {
    const floating = event('DTSTART:20260310T140000', 'DTEND:20260310T150000');
    assert.equal(matches(floating, '20260310T143000Z', '20260310T144500Z'), true);
    assert.equal(matches(floating, '20260310T150000Z', '20260310T160000Z'), false);
  });

  test('an unknown TZID without a VTIMEZONE reads as floating (UTC)', () => {
    const noTz = event('DTSTART;TZID=Mars/Olympus:20260310T140000', 'DTEND;TZID=Mars/Olympus:20260310T150000');
    assert.equal(matches(noTz, '20260310T143000Z', '20260310T144500Z'), true);
  });

  test('an IANA TZID without a VTIMEZONE uses the runtime zone data, DST included', () => {
    const ny = event('DTSTART;TZID=America/New_York:20260105T090000', 'DURATION:PT1H', 'RRULE:FREQ=MONTHLY;COUNT=12');
    assert.equal(matches(ny, '20260105T140000Z', '20260105T141500Z'), true, 'EST: 14:00Z');
    assert.equal(matches(ny, '20260705T130000Z', '20260705T131500Z'), true, 'EDT: 13:00Z');
    assert.equal(matches(ny, '20260705T140000Z', '20260705T141500Z'), false);
  });

  test('the object\'s own VTIMEZONE wins, and another object\'s definition of the same TZID does not leak', () => {
    const odd = (offset: string) => ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x',
      'BEGIN:VTIMEZONE', 'TZID:Europe/Paris', 'BEGIN:STANDARD', 'DTSTART:19700101T000000', `TZOFFSETFROM:${offset}`,
      `TZOFFSETTO:${offset}`, 'END:STANDARD', 'END:VTIMEZONE',
      'BEGIN:VEVENT', 'UID:o', 'DTSTAMP:20260101T000000Z', 'DTSTART;TZID=Europe/Paris:20260710T090000', 'DURATION:PT1H',
      'END:VEVENT', 'END:VCALENDAR');
    assert.equal(matches(odd('+0300'), '20260710T060000Z', '20260710T061500Z'), true);
    assert.equal(matches(odd('-0100'), '20260710T100000Z', '20260710T101500Z'), true);
    assert.equal(matches(odd('+0300'), '20260710T100000Z', '20260710T101500Z'), false);
    const real = event('DTSTART;TZID=Europe/Paris:20260710T090000', 'DURATION:PT1H');
    assert.equal(matches(real, '20260710T070000Z', '20260710T071500Z'), true, 'CEST from the runtime');
  });

  test('an object without the component does not match; other components are not VEVENTs', () => {
    const todo = ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x', 'BEGIN:VTODO', 'UID:t', 'DTSTAMP:20260101T000000Z',
      'DTSTART:20260310T140000Z', 'END:VTODO', 'END:VCALENDAR');
    assert.equal(matches(todo, '20260310T000000Z', '20260311T000000Z'), false);
    assert.equal(matches(todo, '20260310T000000Z', '20260311T000000Z', 'VTODO'), true);
  });
});

describe('recurrence', () => {
  // Weekly on Mondays 10:00-11:00Z from 2026-03-02; 03-16 moved to Wednesday 03-18, 03-23 excluded,
  // 03-30 moved out to April 20, plus an extra RDATE on Saturday 04-04.
  const weekly = ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Test//EN',
    'BEGIN:VEVENT', 'UID:weekly@example.com', 'DTSTAMP:20260101T000000Z',
    'DTSTART:20260302T100000Z', 'DTEND:20260302T110000Z', 'RRULE:FREQ=WEEKLY;COUNT=8',
    'EXDATE:20260323T100000Z', 'RDATE:20260404T100000Z', 'SUMMARY:Team sync', 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:weekly@example.com', 'DTSTAMP:20260101T000000Z', 'RECURRENCE-ID:20260316T100000Z',
    'DTSTART:20260318T160000Z', 'DTEND:20260318T170000Z', 'SUMMARY:Team sync (moved)', 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:weekly@example.com', 'DTSTAMP:20260101T000000Z', 'RECURRENCE-ID:20260330T100000Z',
    'DTSTART:20260420T160000Z', 'DTEND:20260420T170000Z', 'SUMMARY:Team sync (far)', 'END:VEVENT',
    'END:VCALENDAR');

  test('a regular occurrence matches', () => {
    assert.equal(matches(weekly, '20260309T103000Z', '20260309T104000Z'), true);
    assert.equal(matches(weekly, '20260309T110000Z', '20260309T120000Z'), false);
  });

  test('an overridden occurrence is replaced: its original slot is free, its new slot is not', () => {
    assert.equal(matches(weekly, '20260316T000000Z', '20260317T000000Z'), false);
    assert.equal(matches(weekly, '20260318T000000Z', '20260319T000000Z'), true);
  });

  test('an override moved out of the range leaves nothing there; moved far away it still matches', () => {
    assert.equal(matches(weekly, '20260330T000000Z', '20260331T000000Z'), false);
    assert.equal(matches(weekly, '20260420T000000Z', '20260421T000000Z'), true, 'after the RRULE COUNT ended');
  });

  test('EXDATE removes an occurrence, RDATE adds one', () => {
    assert.equal(matches(weekly, '20260323T000000Z', '20260324T000000Z'), false);
    assert.equal(matches(weekly, '20260404T000000Z', '20260405T000000Z'), true);
  });

  test('COUNT ends the set', () => {
    assert.equal(matches(weekly, '20260427T000000Z', '20260428T000000Z'), false);
    assert.equal(matches(weekly, '20260420T100000Z', '20260420T110000Z'), true, 'the 8th Monday, 04-20');
    assert.equal(matches(weekly, '20260413T000000Z', '20260414T000000Z'), true);
  });

  test('prop-filters apply to the occurrence: the override has its own SUMMARY', () => {
    const f = (summary: string, start: string, end: string) =>
      parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.range(start, end), C.prop('SUMMARY', C.text(summary))))));
    assert.equal(matchCalendarObject(weekly, f('moved', '20260318T000000Z', '20260319T000000Z')), true);
    assert.equal(matchCalendarObject(weekly, f('moved', '20260309T000000Z', '20260310T000000Z')), false);
  });

  const paris = ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Test//EN', ...PARIS_TZ,
    'BEGIN:VEVENT', 'UID:paris@example.com', 'DTSTAMP:20260101T000000Z',
    'DTSTART;TZID=Europe/Paris:20260319T090000', 'DTEND;TZID=Europe/Paris:20260319T100000',
    'RRULE:FREQ=WEEKLY;BYDAY=TH', 'SUMMARY:Stand-up', 'END:VEVENT', 'END:VCALENDAR');

  test('TZID: 09:00 Europe/Paris is 08:00Z before the March DST change and 07:00Z after', () => {
    assert.equal(matches(paris, '20260326T080000Z', '20260326T081500Z'), true, '03-26, CET');
    assert.equal(matches(paris, '20260326T070000Z', '20260326T080000Z'), false);
    assert.equal(matches(paris, '20260402T070000Z', '20260402T071500Z'), true, '04-02, CEST');
    assert.equal(matches(paris, '20260402T080000Z', '20260402T090000Z'), false);
  });

  test('TZID: and back to 08:00Z after the October change', () => {
    assert.equal(matches(paris, '20261022T070000Z', '20261022T071500Z'), true, '10-22, CEST');
    assert.equal(matches(paris, '20261029T080000Z', '20261029T081500Z'), true, '10-29, CET');
    assert.equal(matches(paris, '20261029T070000Z', '20261029T080000Z'), false);
  });

  test('an endless rule matches far in the future, and not between occurrences', () => {
    assert.equal(matches(paris, '20300103T080000Z', '20300103T081500Z'), true, 'a Thursday in 2030');
    assert.equal(matches(paris, '20300104T000000Z', '20300109T000000Z'), false, 'Friday to Wednesday');
  });

  test('a range open at the end matches an endless rule', () => {
    assert.equal(matches(paris, '20350101T000000Z', undefined), true);
  });

  test('a daily series that began decades before the range (13,000 occurrences to walk)', () => {
    const old = event('DTSTART:19900101T090000Z', 'DURATION:PT1H', 'RRULE:FREQ=DAILY', 'SUMMARY:Pills');
    assert.equal(matches(old, '20260310T093000Z', '20260310T094000Z'), true);
    assert.equal(matches(old, '20260310T100000Z', '20260311T090000Z'), false);
  });

  test('a DATE EXDATE removes that day from a DATE-TIME series; RDATE may be a PERIOD', () => {
    const s = event('DTSTART:20260302T100000Z', 'DTEND:20260302T110000Z', 'RRULE:FREQ=DAILY;COUNT=5',
      'EXDATE;VALUE=DATE:20260304', 'RDATE;VALUE=PERIOD:20260310T150000Z/PT1H');
    assert.equal(matches(s, '20260304T000000Z', '20260305T000000Z'), false);
    assert.equal(matches(s, '20260305T000000Z', '20260306T000000Z'), true);
    assert.equal(matches(s, '20260310T150000Z', '20260310T153000Z'), true);
  });

  test('a long multi-day recurring event overlaps a range starting late in it', () => {
    const s = event('DTSTART;VALUE=DATE:20260101', 'DTEND;VALUE=DATE:20260111', 'RRULE:FREQ=MONTHLY;COUNT=3');
    assert.equal(matches(s, '20260209T000000Z', '20260209T010000Z'), true, 'Feb 1-10');
    assert.equal(matches(s, '20260211T000000Z', '20260228T000000Z'), false);
  });

  test('all-day recurring event with UNTIL', () => {
    const birthday = event('DTSTART;VALUE=DATE:20200215', 'RRULE:FREQ=YEARLY;UNTIL=20280215', 'SUMMARY:Birthday');
    assert.equal(matches(birthday, '20260215T120000Z', '20260215T130000Z'), true);
    assert.equal(matches(birthday, '20260216T000000Z', '20260217T000000Z'), false);
    assert.equal(matches(birthday, '20290215T000000Z', '20290216T000000Z'), false);
  });
});

describe('VTODO time-range (RFC 4791 9.9 table)', () => {
  const todo = (...props: string[]) =>
    ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x', 'BEGIN:VTODO', 'UID:t@example.com', 'DTSTAMP:20260101T000000Z', ...props, 'END:VTODO', 'END:VCALENDAR');
  const m = (text: string, s?: string, e?: string) => matches(text, s, e, 'VTODO');

  test('DTSTART + DURATION', () => {
    const t = todo('DTSTART:20260310T100000Z', 'DURATION:PT2H');
    assert.equal(m(t, '20260310T110000Z', '20260310T113000Z'), true);
    assert.equal(m(t, '20260310T120000Z', '20260310T130000Z'), true, 'start <= DTSTART+DURATION');
    assert.equal(m(t, '20260310T120001Z', '20260310T130000Z'), false);
    assert.equal(m(t, '20260310T090000Z', '20260310T100000Z'), false);
  });

  test('DTSTART + DUE', () => {
    const t = todo('DTSTART:20260310T100000Z', 'DUE:20260312T100000Z');
    assert.equal(m(t, '20260311T000000Z', '20260311T010000Z'), true);
    assert.equal(m(t, '20260312T100000Z', '20260313T000000Z'), false, 'start < DUE fails, start > DTSTART');
    assert.equal(m(t, '20260309T000000Z', '20260310T100000Z'), false);
  });

  test('DTSTART only, DUE only', () => {
    const s = todo('DTSTART:20260310T100000Z');
    assert.equal(m(s, '20260310T100000Z', '20260310T100001Z'), true);
    assert.equal(m(s, '20260310T100001Z', '20260311T000000Z'), false);
    const d = todo('DUE:20260310T100000Z');
    assert.equal(m(d, '20260310T000000Z', '20260310T100000Z'), true, 'end >= DUE');
    assert.equal(m(d, '20260310T100000Z', '20260311T000000Z'), false, 'start < DUE fails');
  });

  test('COMPLETED and CREATED', () => {
    const both = todo('CREATED:20260301T000000Z', 'COMPLETED:20260305T000000Z');
    assert.equal(m(both, '20260302T000000Z', '20260303T000000Z'), true);
    assert.equal(m(both, '20260306T000000Z', '20260307T000000Z'), false);
    const completed = todo('COMPLETED:20260305T000000Z');
    assert.equal(m(completed, '20260304T000000Z', '20260305T000000Z'), true, 'end >= COMPLETED');
    assert.equal(m(completed, '20260302T000000Z', '20260303T000000Z'), false);
    const created = todo('CREATED:20260301T000000Z');
    assert.equal(m(created, '20270101T000000Z', '20270102T000000Z'), true);
    assert.equal(m(created, '20260201T000000Z', '20260301T000000Z'), false);
  });

  test('no dates at all: always matches', () => {
    assert.equal(m(todo('SUMMARY:Someday'), '19990101T000000Z', '19990102T000000Z'), true);
  });

  test('recurring to-do with DUE', () => {
    const t = todo('DTSTART:20260302T090000Z', 'DUE:20260302T170000Z', 'RRULE:FREQ=WEEKLY;COUNT=3');
    assert.equal(m(t, '20260316T120000Z', '20260316T130000Z'), true);
    assert.equal(m(t, '20260323T120000Z', '20260323T130000Z'), false);
  });
});

describe('VJOURNAL, VFREEBUSY and VALARM time-range', () => {
  const journal = (...props: string[]) =>
    ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x', 'BEGIN:VJOURNAL', 'UID:j@example.com', 'DTSTAMP:20260101T000000Z', ...props, 'END:VJOURNAL', 'END:VCALENDAR');

  test('VJOURNAL: a DATE is the whole day, no DTSTART never matches', () => {
    assert.equal(matches(journal('DTSTART;VALUE=DATE:20260310'), '20260310T200000Z', '20260310T210000Z', 'VJOURNAL'), true);
    assert.equal(matches(journal('DTSTART:20260310T200000Z'), '20260310T200000Z', '20260310T210000Z', 'VJOURNAL'), true);
    assert.equal(matches(journal('DTSTART:20260310T200000Z'), '20260310T200001Z', '20260310T210000Z', 'VJOURNAL'), false);
    assert.equal(matches(journal('SUMMARY:x'), '20000101T000000Z', '20300101T000000Z', 'VJOURNAL'), false);
  });

  test('VFREEBUSY with DTSTART/DTEND, or FREEBUSY periods', () => {
    const fb = (...props: string[]) =>
      ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x', 'BEGIN:VFREEBUSY', 'UID:f', 'DTSTAMP:20260101T000000Z', ...props, 'END:VFREEBUSY', 'END:VCALENDAR');
    assert.equal(matches(fb('DTSTART:20260310T000000Z', 'DTEND:20260311T000000Z'), '20260310T120000Z', '20260310T130000Z', 'VFREEBUSY'), true);
    const periods = fb('FREEBUSY:20260310T100000Z/PT1H,20260312T100000Z/20260312T110000Z');
    assert.equal(matches(periods, '20260312T103000Z', '20260312T120000Z', 'VFREEBUSY'), true);
    assert.equal(matches(periods, '20260311T000000Z', '20260312T000000Z', 'VFREEBUSY'), false);
  });

  // Weekly Tuesday 09:00Z meeting with a reminder 15 minutes before, and a to-do alarm at DUE.
  const withAlarm = ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x',
    'BEGIN:VEVENT', 'UID:a@example.com', 'DTSTAMP:20260101T000000Z', 'DTSTART:20260303T090000Z', 'DTEND:20260303T100000Z',
    'RRULE:FREQ=WEEKLY;COUNT=4',
    'BEGIN:VALARM', 'ACTION:DISPLAY', 'DESCRIPTION:Reminder', 'TRIGGER:-PT15M', 'END:VALARM',
    'BEGIN:VALARM', 'ACTION:AUDIO', 'TRIGGER;RELATED=END:PT0S', 'END:VALARM',
    'END:VEVENT', 'END:VCALENDAR');
  const alarmFilter = (start: string, end: string, ...extra: ReturnType<typeof C.prop>[]) =>
    parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.comp('VALARM', C.range(start, end), ...extra)))));

  test('VALARM: relative triggers move with each occurrence', () => {
    assert.equal(matchCalendarObject(withAlarm, alarmFilter('20260317T084500Z', '20260317T084600Z')), true, 'third week, -15 min');
    assert.equal(matchCalendarObject(withAlarm, alarmFilter('20260317T085000Z', '20260317T085900Z')), false);
    assert.equal(matchCalendarObject(withAlarm, alarmFilter('20260310T100000Z', '20260310T100100Z')), true, 'RELATED=END');
    assert.equal(matchCalendarObject(withAlarm, alarmFilter('20260331T084500Z', '20260331T084600Z')), false, 'after COUNT');
  });

  test('VALARM: a trigger days before an occurrence that starts after the alarm range', () => {
    const early = ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x',
      'BEGIN:VEVENT', 'UID:b@example.com', 'DTSTAMP:20260101T000000Z', 'DTSTART;VALUE=DATE:20200315', 'RRULE:FREQ=YEARLY',
      'SUMMARY:Birthday', 'BEGIN:VALARM', 'ACTION:DISPLAY', 'DESCRIPTION:Buy a present', 'TRIGGER:-P2D', 'END:VALARM',
      'END:VEVENT', 'END:VCALENDAR');
    assert.equal(matchCalendarObject(early, alarmFilter('20260313T000000Z', '20260313T000100Z')), true);
    assert.equal(matchCalendarObject(early, alarmFilter('20260314T000000Z', '20260315T000000Z')), false);
  });

  test('VALARM: prop-filters inside it', () => {
    const f = alarmFilter('20260303T084500Z', '20260303T084600Z', C.prop('ACTION', C.text('DISPLAY')));
    assert.equal(matchCalendarObject(withAlarm, f), true);
    const g = alarmFilter('20260303T084500Z', '20260303T084600Z', C.prop('ACTION', C.text('AUDIO')));
    assert.equal(matchCalendarObject(withAlarm, g), false, 'the AUDIO alarm fires at the end, not then');
  });

  test('VALARM: absolute trigger with REPEAT', () => {
    const t = ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x', 'BEGIN:VTODO', 'UID:t', 'DTSTAMP:20260101T000000Z',
      'DUE:20260310T170000Z', 'BEGIN:VALARM', 'ACTION:DISPLAY', 'DESCRIPTION:x', 'TRIGGER;VALUE=DATE-TIME:20260310T120000Z',
      'REPEAT:2', 'DURATION:PT1H', 'END:VALARM', 'END:VTODO', 'END:VCALENDAR');
    const f = (s: string, e: string) => parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VTODO', C.comp('VALARM', C.range(s, e))))));
    assert.equal(matchCalendarObject(t, f('20260310T140000Z', '20260310T140100Z')), true, 'second repeat');
    assert.equal(matchCalendarObject(t, f('20260310T150000Z', '20260310T160000Z')), false);
  });
});

describe('prop-filter, param-filter, text-match', () => {
  const meeting = event('DTSTART:20260310T140000Z', 'DTEND:20260310T150000Z', 'SUMMARY:Budget Review',
    'CATEGORIES:Work,Finance', 'ORGANIZER;CN="Ana Lima":mailto:ana@example.com', 'DESCRIPTION:Café with the team');
  const q = (...kids: ReturnType<typeof C.prop>[]) => parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', ...kids))));

  test('substring, ASCII case-insensitive by default', () => {
    assert.equal(matchCalendarObject(meeting, q(C.prop('SUMMARY', C.text('budget')))), true);
    assert.equal(matchCalendarObject(meeting, q(C.prop('summary', C.text('review')))), true, 'property names are case-insensitive');
    assert.equal(matchCalendarObject(meeting, q(C.prop('SUMMARY', C.text('planning')))), false);
  });

  test('i;octet is case-sensitive', () => {
    assert.equal(matchCalendarObject(meeting, q(C.prop('SUMMARY', C.text('budget', { collation: 'i;octet' })))), false);
    assert.equal(matchCalendarObject(meeting, q(C.prop('SUMMARY', C.text('Budget', { collation: 'i;octet' })))), true);
  });

  test('i;ascii-casemap folds only ASCII, i;unicode-casemap folds the rest', () => {
    assert.equal(matchCalendarObject(meeting, q(C.prop('DESCRIPTION', C.text('CAFÉ')))), false);
    assert.equal(matchCalendarObject(meeting, q(C.prop('DESCRIPTION', C.text('CAFÉ', { collation: 'i;unicode-casemap' })))), true);
  });

  test('negate-condition', () => {
    assert.equal(matchCalendarObject(meeting, q(C.prop('SUMMARY', C.text('budget', { 'negate-condition': 'yes' })))), false);
    assert.equal(matchCalendarObject(meeting, q(C.prop('SUMMARY', C.text('party', { 'negate-condition': 'yes' })))), true);
    assert.equal(matchCalendarObject(meeting, q(C.prop('LOCATION', C.text('x', { 'negate-condition': 'yes' })))), false,
      'a text-match needs the property to exist, negated or not');
  });

  test('multi-valued properties match on any value', () => {
    assert.equal(matchCalendarObject(meeting, q(C.prop('CATEGORIES', C.text('finance')))), true);
  });

  test('is-not-defined on properties and components', () => {
    assert.equal(matchCalendarObject(meeting, q(C.prop('LOCATION', C.notDefined()))), true);
    assert.equal(matchCalendarObject(meeting, q(C.prop('SUMMARY', C.notDefined()))), false);
    const noAlarm = parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.comp('VALARM', C.notDefined())))));
    assert.equal(matchCalendarObject(meeting, noAlarm), true);
    const noTodo = parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VTODO', C.notDefined()))));
    assert.equal(matchCalendarObject(meeting, noTodo), true);
    const noEvent = parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.notDefined()))));
    assert.equal(matchCalendarObject(meeting, noEvent), false);
  });

  test('a bare prop-filter tests existence', () => {
    assert.equal(matchCalendarObject(meeting, q(C.prop('ORGANIZER'))), true);
    assert.equal(matchCalendarObject(meeting, q(C.prop('ATTENDEE'))), false);
  });

  test('param-filter: existence, text-match, is-not-defined', () => {
    assert.equal(matchCalendarObject(meeting, q(C.prop('ORGANIZER', C.param('CN')))), true);
    assert.equal(matchCalendarObject(meeting, q(C.prop('ORGANIZER', C.param('CN', C.text('lima'))))), true);
    assert.equal(matchCalendarObject(meeting, q(C.prop('ORGANIZER', C.param('CN', C.text('silva'))))), false);
    assert.equal(matchCalendarObject(meeting, q(C.prop('ORGANIZER', C.param('SENT-BY', C.notDefined())))), true);
    assert.equal(matchCalendarObject(meeting, q(C.prop('ORGANIZER', C.param('CN', C.notDefined())))), false);
  });

  test('time-range on a DATE-TIME property', () => {
    assert.equal(matchCalendarObject(meeting, q(C.prop('DTSTAMP', C.range('20260206T000000Z', '20260207T000000Z')))), false);
    assert.equal(matchCalendarObject(meeting, q(C.prop('DTSTAMP', C.range('20060206T000000Z', '20060207T000000Z')))), true);
  });

  test('prop-filters on VCALENDAR itself', () => {
    const f = parseCalendarFilter(C.filter(C.comp('VCALENDAR', C.prop('VERSION', C.text('2.0')))));
    assert.equal(matchCalendarObject(meeting, f), true);
  });

  test('all filters at one level must hold', () => {
    assert.equal(matchCalendarObject(meeting, q(C.prop('SUMMARY', C.text('budget')), C.prop('LOCATION'))), false);
  });

  test('the bare VCALENDAR filter matches everything parseable, and nothing unparseable', () => {
    const all = parseCalendarFilter(C.filter(C.comp('VCALENDAR')));
    assert.equal(matchCalendarObject(meeting, all), true);
    assert.equal(matchCalendarObject('not a calendar', all), false);
    assert.equal(matchCalendarObject('BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n', all), false);
    assert.equal(matchCalendarObject('BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\nEND:VCARD\r\n', all), false);
  });
});

describe('parseCalendarFilter errors', () => {
  test('QueryError is an Error carrying the precondition', () => {
    try {
      parseCalendarFilter(C.filter());
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof Error && e instanceof QueryError);
      assert.equal(e.name, 'QueryError');
      assert.equal(e.precondition, 'valid-filter');
    }
  });

  const bad = (f: ReturnType<typeof C.filter>, precondition: string) =>
    assert.throws(() => parseCalendarFilter(f), (e: unknown) => e instanceof QueryError && e.precondition === precondition);

  test('the top comp-filter must be a single VCALENDAR', () => {
    bad(C.filter(), 'valid-filter');
    bad(C.filter(C.comp('VEVENT')), 'valid-filter');
    bad(C.filter(C.comp('VCALENDAR'), C.comp('VCALENDAR')), 'valid-filter');
    assert.throws(() => parseCalendarFilter(el(NS.CARDDAV, 'filter')), QueryError);
  });

  test('time-range must be UTC, ordered, and have a bound', () => {
    bad(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.range('20260310T100000', '20260311T100000Z')))), 'valid-filter');
    bad(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.range('20260311T100000Z', '20260310T100000Z')))), 'valid-filter');
    bad(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.range()))), 'valid-filter');
    bad(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.range('20260230T100000Z')))), 'valid-filter');
  });

  test('unsupported collation and time-range on VCALENDAR', () => {
    bad(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.prop('SUMMARY', C.text('x', { collation: 'i;klingon' }))))), 'supported-collation');
    bad(C.filter(C.comp('VCALENDAR', C.range('20260310T100000Z'))), 'supported-filter');
  });

  test('structural mistakes', () => {
    bad(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.notDefined(), C.prop('SUMMARY')))), 'valid-filter');
    bad(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.prop('DTSTART', C.range('20260310T100000Z'), C.text('x'))))), 'valid-filter');
    bad(C.filter(C.comp('VCALENDAR', el(NS.CALDAV, 'comp-filter'))), 'valid-filter');
    bad(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', el(NS.CALDAV, 'bogus')))), 'valid-filter');
    bad(C.filter(C.comp('VCALENDAR', C.comp('VEVENT', C.prop('SUMMARY', C.text('x', { 'negate-condition': 'maybe' }))))), 'valid-filter');
  });

  test('elements in other namespaces are ignored', () => {
    const f = parseCalendarFilter(C.filter(C.comp('VCALENDAR', el('http://example.com/ns', 'extension'))));
    assert.equal(f.root.name, 'VCALENDAR');
  });
});
