import type { XmlElement } from '../xml-element.js';
import { QueryError } from './errors.js';
import { ICAL, firstDuration, firstTime, isTime, toMs, type Component, type Property, type Time } from './ical.js';
import { DAY_MS, eventSpan, type Instance } from './recurrence.js';
import type { TimeRange } from './types.js';

const UTC_DATE_TIME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function parseUtc(value: string, attr: string): number {
  const m = UTC_DATE_TIME.exec(value.trim());
  if (!m) throw new QueryError(`time-range ${attr} must be a UTC date-time, got ${JSON.stringify(value)}`, 'valid-filter');
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (Number.isNaN(ms) || new Date(ms).getUTCDate() !== d) {
    throw new QueryError(`time-range ${attr} is not a valid date: ${value}`, 'valid-filter');
  }
  return ms;
}

/** A CALDAV:time-range element (RFC 4791 9.9): start and/or end, UTC, end after start. */
export function parseTimeRange(el: XmlElement): TimeRange {
  const range: TimeRange = {};
  if (el.attrs['start'] !== undefined) range.start = parseUtc(el.attrs['start'], 'start');
  if (el.attrs['end'] !== undefined) range.end = parseUtc(el.attrs['end'], 'end');
  if (range.start === undefined && range.end === undefined) {
    throw new QueryError('time-range needs a start or an end', 'valid-filter');
  }
  if (range.start !== undefined && range.end !== undefined && range.end <= range.start) {
    throw new QueryError('time-range end must be after its start', 'valid-filter');
  }
  return range;
}

function lo(r: TimeRange): number {
  return r.start ?? -Infinity;
}
function hi(r: TimeRange): number {
  return r.end ?? Infinity;
}

/** RFC 4791 9.9, VEVENT: overlap with the occurrence, an instant matching when start <= it < end. */
export function eventOverlaps(inst: Instance, r: TimeRange): boolean {
  const span = eventSpan(inst);
  if (!span) return false;
  if (span.end > span.start) return lo(r) < span.end && hi(r) > span.start;
  return lo(r) <= span.start && hi(r) > span.start;
}

/** RFC 4791 9.9 for one occurrence of a VEVENT, VTODO or VJOURNAL, by its component's kind. */
export function instanceOverlaps(inst: Instance, r: TimeRange): boolean {
  switch (inst.component.name) {
    case 'vevent':
      return eventOverlaps(inst, r);
    case 'vtodo':
      return todoOverlaps(inst, r);
    default:
      return journalOverlaps(inst, r);
  }
}

/** RFC 4791 9.9, VTODO: the table over DTSTART, DURATION, DUE, COMPLETED and CREATED. */
export function todoOverlaps(inst: Instance, r: TimeRange): boolean {
  const s = lo(r);
  const e = hi(r);
  const comp = inst.component;
  const dtstart = inst.start ? toMs(inst.start) : undefined;
  const hasDuration = comp.hasProperty('duration');
  const hasDue = comp.hasProperty('due');
  const end = inst.end ? toMs(inst.end) : undefined;
  if (dtstart !== undefined && hasDuration && end !== undefined) {
    return s <= end && (e > dtstart || e >= end);
  }
  if (dtstart !== undefined && hasDue && end !== undefined) {
    return (s < end || s <= dtstart) && (e > dtstart || e >= end);
  }
  if (dtstart !== undefined) return s <= dtstart && e > dtstart;
  if (hasDue && end !== undefined) return s < end && e >= end;
  const completed = firstTime(comp, 'completed');
  const created = firstTime(comp, 'created');
  if (completed && created) {
    const c = toMs(completed);
    const cr = toMs(created);
    return (s <= cr || s <= c) && (e >= cr || e >= c);
  }
  if (completed) {
    const c = toMs(completed);
    return s <= c && e >= c;
  }
  if (created) return e > toMs(created);
  return true;
}

/** RFC 4791 9.9, VJOURNAL: a DATE lasts the day, a DATE-TIME is an instant, no DTSTART never matches. */
export function journalOverlaps(inst: Instance, r: TimeRange): boolean {
  if (!inst.start) return false;
  const start = toMs(inst.start);
  if (inst.start.isDate) return lo(r) < start + DAY_MS && hi(r) > start;
  return lo(r) <= start && hi(r) > start;
}

/** RFC 4791 9.9, VFREEBUSY: DTSTART/DTEND, else any FREEBUSY period. */
export function freeBusyOverlaps(comp: Component, r: TimeRange): boolean {
  const start = firstTime(comp, 'dtstart');
  const end = firstTime(comp, 'dtend');
  if (start && end) return lo(r) <= toMs(end) && hi(r) > toMs(start);
  for (const p of comp.getAllProperties('freebusy')) {
    for (const v of p.getValues()) {
      if (!(v instanceof ICAL.Period)) continue;
      const ps = toMs(v.start);
      const pe = toMs(v.getEnd());
      if (lo(r) < pe && hi(r) > ps) return true;
    }
  }
  return false;
}

/**
 * When a VALARM fires for one occurrence of its parent (RFC 5545 3.8.6.3): an absolute TRIGGER,
 * or one relative to the occurrence's start (or end, RELATED=END), plus REPEAT more times DURATION
 * apart. Empty when the trigger cannot be placed (relative to an occurrence without that time).
 */
export function alarmTriggers(alarm: Component, parent: Instance | undefined): number[] {
  const prop = alarm.getFirstProperty('trigger');
  if (!prop) return [];
  let first: number | undefined;
  const value = prop.getFirstValue() as unknown;
  if (isTime(value)) {
    first = toMs(value);
  } else if (value instanceof ICAL.Duration && parent) {
    const related = String(prop.getParameter('related') ?? 'START').toUpperCase();
    const base: Time | undefined = related === 'END' ? parent.end ?? parent.start : parent.start;
    if (base) {
      const t = base.clone();
      t.addDuration(value);
      first = toMs(t);
    }
  }
  if (first === undefined) return [];
  const out = [first];
  const repeat = Number(alarm.getFirstPropertyValue('repeat') ?? 0);
  const every = firstDuration(alarm, 'duration');
  if (every && Number.isInteger(repeat) && repeat > 0) {
    const step = every.toSeconds() * 1000;
    for (let i = 1; i <= Math.min(repeat, 1000); i++) out.push(first + i * step);
  }
  return out;
}

export function alarmOverlaps(alarm: Component, parent: Instance | undefined, r: TimeRange): boolean {
  return alarmTriggers(alarm, parent).some((t) => lo(r) <= t && hi(r) > t);
}

/**
 * A time-range in a prop-filter (RFC 4791 9.9, last paragraph): the property's DATE-TIME value is
 * an instant in the range; a DATE value covers its day. Non-date values never match.
 */
export function propertyInRange(prop: Property, r: TimeRange): boolean {
  let values: unknown[];
  try {
    values = prop.getValues();
  } catch {
    return false;
  }
  return values.some((v) => {
    const t = v instanceof ICAL.Period ? v.start : v;
    if (!isTime(t)) return false;
    const ms = toMs(t);
    if (t.isDate) return lo(r) < ms + DAY_MS && hi(r) > ms;
    return lo(r) <= ms && hi(r) > ms;
  });
}
