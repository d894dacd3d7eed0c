/**
 * Query engines for CalDAV and CardDAV REPORTs: pure functions over stored text and parsed
 * filters, no I/O.
 *
 * - parse*Filter throw QueryError (with `precondition`) on a malformed or unsupported filter;
 *   match* never throw: text that does not parse matches nothing.
 * - Floating times and DATE values are read in UTC (standing in for the server's time zone).
 *   TZIDs resolve against the object's own VTIMEZONEs only; an unknown TZID reads as floating.
 * - A recurrence set is walked from DTSTART and at most MAX_INSTANCES occurrences are generated;
 *   past that a query sees no further occurrences and a summary's end is left unbounded.
 *   RANGE=THISANDFUTURE overrides rewrite the occurrences after them (recurrence.ts).
 * - calendarData / addressData shape what a REPORT returns (comp/prop selection, expand,
 *   limit-recurrence-set, limit-freebusy-set, vCard 3.0 <-> 4.0); parse*Data throw QueryError.
 */
export { QueryError } from './errors.js';
export type {
  CalendarFilter,
  AddressbookFilter,
  CalendarSummary,
  CompFilter,
  CalendarPropFilter,
  CalendarParamFilter,
  AddressbookPropFilter,
  AddressbookParamFilter,
  TextMatch,
  TimeRange,
} from './types.js';
export { parseCalendarFilter, matchCalendarObject } from './calendar-filter.js';
export { parseAddressbookFilter, matchVCard } from './vcard-filter.js';
export { summarizeCalendarObject, mayOverlap, decideFromSummary, MAX_SUMMARY_SPANS } from './summary.js';
export { expandCalendarObject } from './expand.js';
export { freeBusy } from './free-busy.js';
export { MAX_INSTANCES } from './recurrence.js';
export { parseCalendarData, calendarData, isPlainCalendarData } from './calendar-data.js';
export type { CalendarDataRequest, CompSelection, PropSelection } from './calendar-data.js';
export { parseAddressData, addressData, isPlainAddressData } from './address-data.js';
export type { AddressDataRequest } from './address-data.js';
export { convertVCard } from './vcard-convert.js';
