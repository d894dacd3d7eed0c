import { firstTime, parseCalendar, toMs, type Component } from './ical.js';
import { DAY_MS, eventSpan, instancesOf, isRecurring, type ExpansionState, type Instance } from './recurrence.js';
import type { CalendarFilter, CalendarSummary, CompFilter } from './types.js';

/** Whether a recurrence rule set never ends: an RRULE with neither COUNT nor UNTIL. */
function endless(comp: Component): boolean {
  return comp.getAllProperties('rrule').some((p) => {
    const r = p.getFirstValue() as { count?: number | null; until?: unknown } | null;
    return !!r && !r.count && !r.until;
  });
}

/**
 * The span [start, end] one occurrence can match a time-range in, per component kind, widened to
 * inclusive bounds since the RFC 4791 9.9 tests mix < and <=. undefined = unbounded.
 */
function instanceSpan(inst: Instance): { start?: number; end?: number } {
  const comp = inst.component;
  switch (comp.name) {
    case 'vevent': {
      const s = eventSpan(inst);
      return s ?? {};
    }
    case 'vjournal': {
      if (!inst.start) return {};
      const s = toMs(inst.start);
      return { start: s, end: inst.start.isDate ? s + DAY_MS : s };
    }
    case 'vtodo': {
      const s = inst.start ? toMs(inst.start) : undefined;
      const e = inst.end ? toMs(inst.end) : undefined;
      if (s !== undefined && e !== undefined) return { start: Math.min(s, e), end: Math.max(s, e) };
      if (s !== undefined) return { start: s, end: s };
      if (e !== undefined) return { start: e, end: e };
      const completed = firstTime(comp, 'completed');
      const created = firstTime(comp, 'created');
      if (completed && created) {
        const a = toMs(created);
        const b = toMs(completed);
        return { start: Math.min(a, b), end: Math.max(a, b) };
      }
      if (completed) return { start: toMs(completed), end: toMs(completed) };
      // CREATED alone matches every range ending after it; nothing at all matches everything.
      if (created) return { start: toMs(created) };
      return {};
    }
    default:
      return {};
  }
}

/**
 * The latest DTSTART among the masters: with an endless set only the earliest occurrences matter
 * for the span's start, and occurrences never precede DTSTART.
 */
function firstStart(comps: Component[]): number | undefined {
  let max: number | undefined;
  for (const c of comps) {
    const t = firstTime(c, 'dtstart');
    if (t) max = Math.max(max ?? -Infinity, toMs(t));
  }
  return max;
}

/**
 * What an index needs to skip a calendar object without parsing it: its UID, its component kinds
 * and the span covering every occurrence. Unbounded sides (endless RRULEs, to-dos without dates,
 * sets larger than MAX_INSTANCES, unparseable text) are left undefined so the object is never
 * skipped wrongly.
 */
export function summarizeCalendarObject(ics: string): CalendarSummary {
  const vcal = parseCalendar(ics);
  if (!vcal) return { uid: undefined, components: [] };
  const subs = vcal.getAllSubcomponents().filter((c) => c.name !== 'vtimezone');
  const components = [...new Set(subs.map((c) => c.name.toUpperCase()))];
  let uid: string | undefined;
  for (const c of subs) {
    const v = c.getFirstPropertyValue('uid');
    if (typeof v === 'string') {
      uid = v;
      break;
    }
  }
  const summary: CalendarSummary = { uid, components };
  const timed = subs.filter((c) => c.name === 'vevent' || c.name === 'vtodo' || c.name === 'vjournal');
  if (timed.length === 0 || timed.length !== subs.length) return summary;
  let start = Infinity;
  let end = -Infinity;
  let openStart = false;
  let openEnd = timed.some((c) => isRecurring(c) && endless(c));
  const state: ExpansionState = { truncated: false };
  let spans: [number, number][] | undefined = !openEnd && timed.every((c) => c.name === 'vevent') ? [] : undefined;
  try {
    for (const inst of instancesOf(timed, { state, ...(openEnd ? { until: firstStart(timed) } : {}) })) {
      if (spans) {
        const s = eventSpan(inst);
        if (!s || spans.length >= MAX_SUMMARY_SPANS) spans = undefined;
        else spans.push([s.start, s.end]);
      }
      const span = instanceSpan(inst);
      if (span.start === undefined) openStart = true;
      else start = Math.min(start, span.start);
      if (span.end === undefined) openEnd = true;
      else end = Math.max(end, span.end);
      if (openStart && openEnd) break;
    }
  } catch {
    return summary;
  }
  if (state.truncated) openEnd = true;
  if (!openStart && Number.isFinite(start)) summary.start = start;
  if (!openEnd && Number.isFinite(end)) summary.end = end;
  if (spans && !state.truncated && !openEnd) summary.spans = spans;
  return summary;
}

/** Occurrences kept per summary for exact answers; more than this and the object is parsed. */
export const MAX_SUMMARY_SPANS = 64;

/**
 * The answer of matchCalendarObject from the summary alone, when it is certain: for the query
 * clients send most (VCALENDAR > VEVENT with a time-range and nothing else) over an object whose
 * occurrences the summary lists. undefined otherwise: parse and match.
 */
export function decideFromSummary(summary: CalendarSummary, filter: CalendarFilter): boolean | undefined {
  if (!mayOverlap(summary, filter)) return false;
  const root = filter.root;
  if (root.timeRange || root.propFilters.length > 0 || root.compFilters.length !== 1) return undefined;
  const f = root.compFilters[0]!;
  if (f.name !== 'VEVENT' || f.isNotDefined || f.propFilters.length > 0 || f.compFilters.length > 0) return undefined;
  if (!summary.spans) return undefined;
  if (!f.timeRange) return summary.spans.length > 0 || undefined;
  const lo = f.timeRange.start ?? -Infinity;
  const hi = f.timeRange.end ?? Infinity;
  // RFC 4791 9.9 for VEVENT, as eventOverlaps applies it to each occurrence.
  return summary.spans.some(([s, e]) => (e > s ? lo < e && hi > s : lo <= s && hi > s));
}

/** A component filter's own time-range and whether it excludes the summary. */
function excludes(summary: CalendarSummary, f: CompFilter): boolean {
  const present = summary.components.includes(f.name);
  if (f.isNotDefined) return present;
  if (!present) return true;
  // Only the top-level component's range bounds occurrences; alarms may fire outside it.
  const r = f.timeRange;
  if (!r || f.name === 'VFREEBUSY') return false;
  if (r.end !== undefined && summary.start !== undefined && summary.start > r.end) return true;
  if (r.start !== undefined && summary.end !== undefined && summary.end < r.start) return true;
  return false;
}

/**
 * A cheap pre-check from the summary alone: false only when the object certainly cannot match
 * (a required component kind is missing, a forbidden one present, or all occurrences fall outside
 * a component time-range). A summary of unparseable text lists no components and is excluded by
 * any component filter, which agrees with matchCalendarObject.
 */
export function mayOverlap(summary: CalendarSummary, filter: CalendarFilter): boolean {
  if (filter.root.isNotDefined) return false;
  return !filter.root.compFilters.some((f) => excludes(summary, f));
}
