// Builders for the XmlElement filters the server would hand the query engines, and fixtures.
import { NS, type XmlElement } from '../src/xml-element.js';

export function el(ns: string, name: string, attrs: Record<string, string> = {}, children: XmlElement[] = [], text = ''): XmlElement {
  return { ns, name, attrs, children, text };
}

export const C = {
  filter: (...kids: XmlElement[]) => el(NS.CALDAV, 'filter', {}, kids),
  comp: (name: string, ...kids: XmlElement[]) => el(NS.CALDAV, 'comp-filter', { name }, kids),
  prop: (name: string, ...kids: XmlElement[]) => el(NS.CALDAV, 'prop-filter', { name }, kids),
  param: (name: string, ...kids: XmlElement[]) => el(NS.CALDAV, 'param-filter', { name }, kids),
  range: (start?: string, end?: string) =>
    el(NS.CALDAV, 'time-range', { ...(start ? { start } : {}), ...(end ? { end } : {}) }),
  text: (value: string, attrs: Record<string, string> = {}) => el(NS.CALDAV, 'text-match', attrs, [], value),
  notDefined: () => el(NS.CALDAV, 'is-not-defined'),
};

export const CR = {
  filter: (attrs: Record<string, string>, ...kids: XmlElement[]) => el(NS.CARDDAV, 'filter', attrs, kids),
  prop: (name: string, attrs: Record<string, string>, ...kids: XmlElement[]) =>
    el(NS.CARDDAV, 'prop-filter', { name, ...attrs }, kids),
  param: (name: string, ...kids: XmlElement[]) => el(NS.CARDDAV, 'param-filter', { name }, kids),
  text: (value: string, attrs: Record<string, string> = {}) => el(NS.CARDDAV, 'text-match', attrs, [], value),
  notDefined: () => el(NS.CARDDAV, 'is-not-defined'),
};

/** Joins lines with CRLF, as stored objects are. */
export function ics(...lines: string[]): string {
  return lines.join('\r\n') + '\r\n';
}

export const PARIS_TZ = [
  'BEGIN:VTIMEZONE',
  'TZID:Europe/Paris',
  'BEGIN:DAYLIGHT',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0200',
  'TZNAME:CEST',
  'DTSTART:19700329T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'TZOFFSETFROM:+0200',
  'TZOFFSETTO:+0100',
  'TZNAME:CET',
  'DTSTART:19701025T030000',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
];

/** RFC 4791 Appendix B style US/Eastern zone (pre-2007 rules, as in the RFC's examples). */
export const EASTERN_TZ = [
  'BEGIN:VTIMEZONE',
  'LAST-MODIFIED:20040110T032845Z',
  'TZID:US/Eastern',
  'BEGIN:DAYLIGHT',
  'DTSTART:20000404T020000',
  'RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=4',
  'TZNAME:EDT',
  'TZOFFSETFROM:-0500',
  'TZOFFSETTO:-0400',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'DTSTART:20001026T020000',
  'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10',
  'TZNAME:EST',
  'TZOFFSETFROM:-0400',
  'TZOFFSETTO:-0500',
  'END:STANDARD',
  'END:VTIMEZONE',
];

export function event(...props: string[]): string {
  return ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Test//EN', 'BEGIN:VEVENT', 'UID:e1@example.com', 'DTSTAMP:20060206T001102Z', ...props, 'END:VEVENT', 'END:VCALENDAR');
}
