import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import ICAL from 'ical.js';
import { NS } from '../src/xml-element.js';
import { calendarData, parseCalendarData, QueryError, type CalendarDataRequest } from '../src/query/index.js';
import { EASTERN_TZ, el, ics } from './query-helpers.js';

// calendar-data request elements, as the server's XML parser hands them over.
const X = {
  data: (attrs: Record<string, string>, ...kids: ReturnType<typeof el>[]) => el(NS.CALDAV, 'calendar-data', attrs, kids),
  comp: (name: string, ...kids: ReturnType<typeof el>[]) => el(NS.CALDAV, 'comp', { name }, kids),
  prop: (name: string, novalue?: 'yes' | 'no') => el(NS.CALDAV, 'prop', { name, ...(novalue ? { novalue } : {}) }),
  allprop: () => el(NS.CALDAV, 'allprop'),
  allcomp: () => el(NS.CALDAV, 'allcomp'),
  expand: (start: string, end: string) => el(NS.CALDAV, 'expand', { start, end }),
  limit: (start: string, end: string) => el(NS.CALDAV, 'limit-recurrence-set', { start, end }),
  limitFb: (start: string, end: string) => el(NS.CALDAV, 'limit-freebusy-set', { start, end }),
};

const req = (...kids: ReturnType<typeof el>[]): CalendarDataRequest => parseCalendarData(X.data({}, ...kids));

function parse(text: string): ICAL.Component {
  return new ICAL.Component(ICAL.parse(text) as never);
}

const propNames = (c: ICAL.Component) => c.getAllProperties().map((p) => p.name);

// Shaped like RFC 4791 Appendix B's recurring event: a daily 12:00 US/Eastern meeting with an
// alarm, whose third occurrence moved to 14:00 (with attendees, as in the RFC's other objects).
const daily = ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Nymote//Select test//EN', ...EASTERN_TZ,
  'BEGIN:VEVENT', 'UID:daily-meeting@example.org', 'DTSTAMP:20060206T001121Z',
  'DTSTART;TZID=US/Eastern:20060102T120000', 'DURATION:PT1H', 'RRULE:FREQ=DAILY;COUNT=5', 'SUMMARY:Planning',
  'DESCRIPTION:A description long enough that the stored line is folded once it passes the seventy-five',
  '  octet mark',
  'BEGIN:VALARM', 'ACTION:DISPLAY', 'DESCRIPTION:Planning', 'TRIGGER:-PT10M', 'END:VALARM',
  'END:VEVENT',
  'BEGIN:VEVENT', 'UID:daily-meeting@example.org', 'DTSTAMP:20060206T001121Z',
  'RECURRENCE-ID;TZID=US/Eastern:20060104T120000', 'DTSTART;TZID=US/Eastern:20060104T140000', 'DURATION:PT1H',
  'SUMMARY:Planning (moved)', 'ATTENDEE;PARTSTAT=ACCEPTED;CN="Lee, Sam":mailto:sam@example.org',
  'END:VEVENT', 'END:VCALENDAR');

describe('calendar-data comp and prop selection (RFC 4791 9.6.1-9.6.4)', () => {
  test('VCALENDAR keeps only the named properties and components; an empty comp is returned whole', () => {
    const out = calendarData(daily, req(X.comp('VCALENDAR', X.prop('VERSION'),
      X.comp('VEVENT', X.prop('SUMMARY'), X.prop('UID'), X.prop('DTSTART'), X.prop('DURATION'), X.prop('RRULE'), X.prop('RECURRENCE-ID')),
      X.comp('VTIMEZONE'))));
    const vcal = parse(out);
    assert.deepEqual(propNames(vcal), ['version']);
    const tz = vcal.getFirstSubcomponent('vtimezone')!;
    assert.equal(tz.getFirstPropertyValue('tzid'), 'US/Eastern');
    assert.deepEqual(tz.getAllSubcomponents().map((c) => c.name), ['daylight', 'standard'], 'the VTIMEZONE is complete');
    const [master, moved] = vcal.getAllSubcomponents('vevent');
    assert.deepEqual(new Set(propNames(master!)), new Set(['uid', 'dtstart', 'duration', 'rrule', 'summary']));
    assert.deepEqual(new Set(propNames(moved!)), new Set(['uid', 'recurrence-id', 'dtstart', 'duration', 'summary']));
    assert.equal(master!.getAllSubcomponents('valarm').length, 0, 'no comp named VALARM, so alarms are left out');
    // The selected times still resolve against the returned VTIMEZONE.
    assert.equal(moved!.getFirstPropertyValue('dtstart')!.toString(), '2006-01-04T14:00:00');
    assert.equal((moved!.getFirstPropertyValue('dtstart') as ICAL.Time).toUnixTime(), Date.UTC(2006, 0, 4, 19) / 1000);
  });

  test('stored lines come back byte for byte (folding, parameter order and quoting)', () => {
    const out = calendarData(daily, req(X.comp('VCALENDAR', X.comp('VEVENT', X.prop('DESCRIPTION'), X.prop('ATTENDEE')))));
    assert.match(out, /DESCRIPTION:A description long enough that the stored line is folded once it passes the seventy-five\r\n  octet mark\r\n/);
    assert.match(out, /ATTENDEE;PARTSTAT=ACCEPTED;CN="Lee, Sam":mailto:sam@example.org\r\n/);
    assert.match(out, /^BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n/);
  });

  test('allprop and allcomp; VTIMEZONE left out unless selected', () => {
    const out = calendarData(daily, req(X.comp('VCALENDAR', X.allprop(), X.comp('VEVENT', X.allprop(), X.allcomp()))));
    const vcal = parse(out);
    assert.deepEqual(propNames(vcal), ['version', 'prodid']);
    assert.equal(vcal.getAllSubcomponents('vtimezone').length, 0);
    const master = vcal.getFirstSubcomponent('vevent')!;
    assert.equal(master.getAllSubcomponents('valarm').length, 1);
    assert.equal(master.getFirstPropertyValue('summary'), 'Planning');
    const noProps = parse(calendarData(daily, req(X.comp('VCALENDAR', X.allprop(), X.comp('VEVENT', X.allcomp())))));
    assert.deepEqual(propNames(noProps.getFirstSubcomponent('vevent')!), [], 'comps named and no props: no properties');
    assert.equal(noProps.getFirstSubcomponent('vevent')!.getAllSubcomponents('valarm').length, 1);
  });

  test('nested comp selects inside alarms; names are case-insensitive', () => {
    const out = calendarData(daily, req(X.comp('vcalendar', X.comp('vevent', X.prop('uid'), X.comp('valarm', X.prop('trigger'))))));
    const alarm = parse(out).getFirstSubcomponent('vevent')!.getFirstSubcomponent('valarm')!;
    assert.deepEqual(propNames(alarm), ['trigger']);
  });

  test('novalue="yes" returns the name, the parameters and a bare colon', () => {
    const out = calendarData(daily, req(X.comp('VCALENDAR', X.comp('VEVENT', X.prop('UID'), X.prop('ATTENDEE', 'yes'), X.prop('DESCRIPTION', 'yes')))));
    assert.match(out, /\r\nATTENDEE;PARTSTAT=ACCEPTED;CN="Lee, Sam":\r\n/);
    assert.match(out, /\r\nDESCRIPTION:\r\n/);
    assert.match(out, /\r\nUID:daily-meeting@example.org\r\n/);
  });

  test('a bare calendar-data returns the stored text itself', () => {
    assert.equal(calendarData(daily, req()), daily);
  });

  test('text that does not parse is returned as stored', () => {
    assert.equal(calendarData('BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n', req(X.comp('VCALENDAR', X.prop('VERSION')))), 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n');
  });
});

describe('calendar-data with expand and selection (RFC 4791 9.6.5)', () => {
  test('selection applies to each expanded instance, all in UTC, no VTIMEZONE', () => {
    const out = calendarData(daily, req(
      X.comp('VCALENDAR', X.prop('VERSION'), X.comp('VEVENT', X.prop('SUMMARY'), X.prop('RECURRENCE-ID'), X.prop('DTSTART')), X.comp('VTIMEZONE')),
      X.expand('20060103T000000Z', '20060105T000000Z')));
    const vcal = parse(out);
    assert.equal(vcal.getAllSubcomponents('vtimezone').length, 0);
    const instances = vcal.getAllSubcomponents('vevent');
    assert.deepEqual(instances.map((e) => [e.getFirstProperty('dtstart')!.toICALString(), e.getFirstPropertyValue('summary')]), [
      ['DTSTART:20060103T170000Z', 'Planning'],
      ['DTSTART:20060104T190000Z', 'Planning (moved)'],
    ]);
    for (const e of instances) assert.deepEqual(new Set(propNames(e)), new Set(['summary', 'recurrence-id', 'dtstart']));
    assert.doesNotMatch(out, /RRULE|TZID|DURATION|VALARM/);
  });
});

describe('limit-recurrence-set (RFC 4791 9.6.6)', () => {
  const overrides = (text: string) => parse(text).getAllSubcomponents('vevent').filter((e) => e.hasProperty('recurrence-id')).map((e) => e.getFirstPropertyValue('summary'));
  const all = X.comp('VCALENDAR', X.allprop(), X.allcomp());

  test('the master always, overrides only when they impact the range', () => {
    const before = calendarData(daily, req(all, X.limit('20060102T000000Z', '20060103T000000Z')));
    assert.equal(parse(before).getAllSubcomponents('vevent').length, 1, 'only the master');
    assert.equal(parse(before).getFirstSubcomponent('vevent')!.hasProperty('rrule'), true);
    assert.deepEqual(overrides(calendarData(daily, req(all, X.limit('20060104T000000Z', '20060105T000000Z')))), ['Planning (moved)']);
    // Only its original slot (12:00-13:00 Eastern, 17:00-18:00Z) is in the range: still kept.
    assert.deepEqual(overrides(calendarData(daily, req(all, X.limit('20060104T170000Z', '20060104T180000Z')))), ['Planning (moved)']);
    // Only its new slot (19:00-20:00Z).
    assert.deepEqual(overrides(calendarData(daily, req(all, X.limit('20060104T190000Z', '20060104T200000Z')))), ['Planning (moved)']);
    assert.deepEqual(overrides(calendarData(daily, req(all, X.limit('20060104T180000Z', '20060104T190000Z')))), []);
  });

  test('a THISANDFUTURE override before the range is kept when it rewrites occurrences in it', () => {
    const moved = ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x',
      'BEGIN:VEVENT', 'UID:d', 'DTSTAMP:20260101T000000Z', 'DTSTART:20260302T090000Z', 'DURATION:PT1H', 'RRULE:FREQ=DAILY;COUNT=10', 'SUMMARY:Master', 'END:VEVENT',
      'BEGIN:VEVENT', 'UID:d', 'DTSTAMP:20260101T000000Z', 'RECURRENCE-ID;RANGE=THISANDFUTURE:20260304T090000Z', 'DTSTART:20260304T110000Z', 'DURATION:PT1H', 'SUMMARY:Later', 'END:VEVENT',
      'BEGIN:VEVENT', 'UID:d', 'DTSTAMP:20260101T000000Z', 'RECURRENCE-ID:20260303T090000Z', 'DTSTART:20260303T100000Z', 'DURATION:PT1H', 'SUMMARY:One-off', 'END:VEVENT',
      'END:VCALENDAR');
    assert.deepEqual(overrides(calendarData(moved, req(all, X.limit('20260308T000000Z', '20260309T000000Z')))), ['Later']);
    assert.deepEqual(overrides(calendarData(moved, req(all, X.limit('20260302T000000Z', '20260303T000000Z')))), []);
    assert.deepEqual(overrides(calendarData(moved, req(all, X.limit('20260303T000000Z', '20260304T000000Z')))), ['One-off']);
  });
});

describe('limit-freebusy-set (RFC 4791 9.6.7)', () => {
  const fb = ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x', 'BEGIN:VFREEBUSY', 'UID:fb', 'DTSTAMP:20260101T000000Z',
    'DTSTART:20260301T000000Z', 'DTEND:20260401T000000Z',
    'FREEBUSY:20260302T090000Z/PT1H,20260310T090000Z/20260310T100000Z,20260320T090000Z/PT2H',
    'FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260325T090000Z/PT1H', 'END:VFREEBUSY', 'END:VCALENDAR');

  test('only FREEBUSY values overlapping the range; properties left empty are dropped', () => {
    const out = calendarData(fb, req(X.limitFb('20260305T000000Z', '20260321T000000Z')));
    const lines = out.split('\r\n').filter((l) => l.startsWith('FREEBUSY'));
    assert.deepEqual(lines, ['FREEBUSY:20260310T090000Z/20260310T100000Z,20260320T090000Z/PT2H']);
    assert.match(out, /DTSTART:20260301T000000Z/);
  });
});

describe('parseCalendarData errors', () => {
  const fails = (e: ReturnType<typeof el>, precondition: string | undefined, message: RegExp) =>
    assert.throws(() => parseCalendarData(e), (err: unknown) => err instanceof QueryError && err.precondition === precondition && message.test(err.message));

  test('unsupported media type or version: supported-calendar-data', () => {
    fails(X.data({ 'content-type': 'application/calendar+json' }), 'supported-calendar-data', /application\/calendar\+json/);
    fails(X.data({ 'content-type': 'text/calendar', version: '1.0' }), 'supported-calendar-data', /1\.0/);
    assert.deepEqual(parseCalendarData(X.data({ 'content-type': 'text/calendar; charset=utf-8', version: '2.0' })), {});
  });

  test('malformed selections: a QueryError without precondition, saying what is wrong', () => {
    fails(X.data({}, X.comp('VEVENT')), undefined, /top comp .* VCALENDAR/);
    fails(X.data({}, X.comp('VCALENDAR', X.allprop(), X.prop('VERSION'))), undefined, /allprop and prop/);
    fails(X.data({}, X.comp('VCALENDAR', X.allcomp(), X.comp('VEVENT'))), undefined, /allcomp and comp/);
    fails(X.data({}, el(NS.CALDAV, 'comp', {})), undefined, /name/);
    fails(X.data({}, X.comp('VCALENDAR', el(NS.CALDAV, 'prop', { name: 'A:B' }))), undefined, /not an iCalendar/);
    fails(X.data({}, X.comp('VCALENDAR', el(NS.CALDAV, 'prop', { name: 'UID', novalue: 'maybe' }))), undefined, /novalue/);
    fails(X.data({}, X.comp('VCALENDAR', el(NS.CALDAV, 'filter'))), undefined, /unexpected filter/);
    fails(X.data({}, X.expand('20060101T000000Z', '20060102T000000Z'), X.limit('20060101T000000Z', '20060102T000000Z')), undefined, /not both/);
    fails(X.data({}, el(NS.CALDAV, 'expand', { start: '20060101T000000Z' })), undefined, /end/);
    fails(X.data({}, X.expand('2006-01-01', '20060102T000000Z')), undefined, /UTC/);
    fails(X.data({}, X.limitFb('20060102T000000Z', '20060101T000000Z')), undefined, /after/);
  });
});
