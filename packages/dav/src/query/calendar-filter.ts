import { NS, type XmlElement } from '../xml-element.js';
import { QueryError } from './errors.js';
import { firstTime, parameterValues, parseCalendar, propertyTexts, toMs, type Component, type Property } from './ical.js';
import { instancesOf, type Instance } from './recurrence.js';
import { textMatches, parseTextMatch } from './text-match.js';
import {
  alarmOverlaps,
  alarmTriggers,
  eventOverlaps,
  freeBusyOverlaps,
  journalOverlaps,
  parseTimeRange,
  propertyInRange,
  todoOverlaps,
} from './time-range.js';
import type { CalendarFilter, CalendarParamFilter, CalendarPropFilter, CompFilter } from './types.js';

const TEXT_DEFAULTS = { collation: 'i;ascii-casemap', allowMatchType: false } as const;
/** Components whose time-range semantics RFC 4791 9.9 defines. */
const TIMED = new Set(['VEVENT', 'VTODO', 'VJOURNAL', 'VFREEBUSY', 'VALARM']);
const RECURRING = new Set(['VEVENT', 'VTODO', 'VJOURNAL']);

function requireName(el: XmlElement): string {
  const name = el.attrs['name']?.trim();
  if (!name) throw new QueryError(`${el.name} needs a name attribute`, 'valid-filter');
  return name.toUpperCase();
}

/** Children in the CalDAV namespace; anything else in it is an error, foreign elements are ignored. */
function caldavChildren(el: XmlElement, allowed: string[]): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.ns !== NS.CALDAV) continue;
    if (!allowed.includes(c.name)) throw new QueryError(`unexpected ${c.name} in ${el.name}`, 'valid-filter');
    out.push(c);
  }
  return out;
}

function only<T>(items: T[], what: string): T | undefined {
  if (items.length > 1) throw new QueryError(`at most one ${what} allowed`, 'valid-filter');
  return items[0];
}

function parseParamFilter(el: XmlElement): CalendarParamFilter {
  const kids = caldavChildren(el, ['is-not-defined', 'text-match']);
  const f: CalendarParamFilter = { name: requireName(el), isNotDefined: kids.some((k) => k.name === 'is-not-defined') };
  const tm = only(kids.filter((k) => k.name === 'text-match'), 'text-match');
  if (f.isNotDefined && tm) throw new QueryError('is-not-defined excludes text-match', 'valid-filter');
  if (tm) f.textMatch = parseTextMatch(tm, TEXT_DEFAULTS);
  return f;
}

function parsePropFilter(el: XmlElement): CalendarPropFilter {
  const kids = caldavChildren(el, ['is-not-defined', 'time-range', 'text-match', 'param-filter']);
  const f: CalendarPropFilter = {
    name: requireName(el),
    isNotDefined: kids.some((k) => k.name === 'is-not-defined'),
    paramFilters: kids.filter((k) => k.name === 'param-filter').map(parseParamFilter),
  };
  const tr = only(kids.filter((k) => k.name === 'time-range'), 'time-range');
  const tm = only(kids.filter((k) => k.name === 'text-match'), 'text-match');
  if (tr && tm) throw new QueryError('prop-filter takes a time-range or a text-match, not both', 'valid-filter');
  if (f.isNotDefined && kids.length > 1) throw new QueryError('is-not-defined must stand alone', 'valid-filter');
  if (tr) f.timeRange = parseTimeRange(tr);
  if (tm) f.textMatch = parseTextMatch(tm, TEXT_DEFAULTS);
  return f;
}

function parseCompFilter(el: XmlElement, depth: number): CompFilter {
  if (depth > 8) throw new QueryError('comp-filter nested too deeply', 'valid-filter');
  const kids = caldavChildren(el, ['is-not-defined', 'time-range', 'prop-filter', 'comp-filter']);
  const f: CompFilter = {
    name: requireName(el),
    isNotDefined: kids.some((k) => k.name === 'is-not-defined'),
    propFilters: kids.filter((k) => k.name === 'prop-filter').map(parsePropFilter),
    compFilters: kids.filter((k) => k.name === 'comp-filter').map((k) => parseCompFilter(k, depth + 1)),
  };
  if (f.isNotDefined && kids.length > 1) throw new QueryError('is-not-defined must stand alone', 'valid-filter');
  const tr = only(kids.filter((k) => k.name === 'time-range'), 'time-range');
  if (tr) {
    if (!TIMED.has(f.name)) {
      throw new QueryError(`time-range is not supported on ${f.name}`, 'supported-filter');
    }
    f.timeRange = parseTimeRange(tr);
  }
  return f;
}

/** The C:filter of a calendar-query (RFC 4791 9.7): exactly one comp-filter, for VCALENDAR. */
export function parseCalendarFilter(filter: XmlElement): CalendarFilter {
  if (filter.ns !== NS.CALDAV || filter.name !== 'filter') {
    throw new QueryError(`expected C:filter, got ${filter.name}`, 'valid-filter');
  }
  const comps = caldavChildren(filter, ['comp-filter']);
  if (comps.length !== 1) throw new QueryError('filter must hold exactly one comp-filter', 'valid-filter');
  const root = parseCompFilter(comps[0]!, 0);
  if (root.name !== 'VCALENDAR') throw new QueryError('the top comp-filter must name VCALENDAR', 'valid-filter');
  return { root };
}

function paramMatches(prop: Property, f: CalendarParamFilter): boolean {
  const values = parameterValues(prop, f.name);
  if (f.isNotDefined) return values === undefined;
  if (values === undefined) return false;
  if (!f.textMatch) return true;
  return textMatches(values.length > 1 ? [values.join(','), ...values] : values, f.textMatch);
}

function propMatches(comp: Component, f: CalendarPropFilter): boolean {
  const props = comp.getAllProperties(f.name.toLowerCase());
  if (f.isNotDefined) return props.length === 0;
  return props.some(
    (p) =>
      (!f.timeRange || propertyInRange(p, f.timeRange)) &&
      (!f.textMatch || textMatches(propertyTexts(p), f.textMatch)) &&
      f.paramFilters.every((pf) => paramMatches(p, pf)),
  );
}

/** Whether occurrences matter: prop-filter time-ranges test stored values and need no expansion. */
function hasTimeRange(f: CompFilter): boolean {
  return f.timeRange !== undefined || f.compFilters.some(hasTimeRange);
}

/** The latest end among nested VALARM time-ranges; undefined when one of them is open-ended. */
function alarmRangeEnd(f: CompFilter): { end: number | undefined } {
  let end: number | undefined = -Infinity;
  for (const c of f.compFilters) {
    if (c.name === 'VALARM' && c.timeRange) {
      end = c.timeRange.end === undefined || end === undefined ? undefined : Math.max(end, c.timeRange.end);
    }
  }
  return { end: end === -Infinity ? undefined : end };
}

/**
 * How far past an alarm range's end an occurrence may start and still have an alarm inside it:
 * a trigger can precede its occurrence (negative offsets) by any amount.
 */
function alarmLead(components: Component[]): number {
  let lead = 0;
  for (const c of components) {
    const start = firstTime(c, 'dtstart');
    if (!start) continue;
    // Placing RELATED=END triggers at the start too only overestimates the lead.
    const probe: Instance = { component: c, start, end: start };
    for (const a of c.getAllSubcomponents('valarm')) {
      for (const t of alarmTriggers(a, probe)) lead = Math.max(lead, toMs(start) - t);
    }
  }
  return lead;
}

function componentMatches(comp: Component, inst: Instance | undefined, f: CompFilter): boolean {
  if (f.timeRange) {
    const r = f.timeRange;
    const ok = (() => {
      switch (f.name) {
        case 'VEVENT':
          return inst ? eventOverlaps(inst, r) : false;
        case 'VTODO':
          return inst ? todoOverlaps(inst, r) : false;
        case 'VJOURNAL':
          return inst ? journalOverlaps(inst, r) : false;
        case 'VFREEBUSY':
          return freeBusyOverlaps(comp, r);
        default:
          return false;
      }
    })();
    if (!ok) return false;
  }
  return f.propFilters.every((pf) => propMatches(comp, pf)) && f.compFilters.every((cf) => subMatches(comp, inst, cf));
}

/**
 * One comp-filter against the children of `parent`. For recurring kinds each occurrence is tried
 * on its own (RFC 4791 9.9: a recurring component matches when any instance does), with the
 * override's properties for overridden occurrences; a VALARM is tried against the occurrence of
 * its parent that is being examined, since relative triggers move with it.
 */
function subMatches(parent: Component, parentInst: Instance | undefined, f: CompFilter): boolean {
  const comps = parent.getAllSubcomponents(f.name.toLowerCase());
  if (f.isNotDefined) return comps.length === 0;
  if (comps.length === 0) return false;

  if (f.name === 'VALARM') {
    return comps.some(
      (a) =>
        (!f.timeRange || alarmOverlaps(a, parentInst, f.timeRange)) &&
        f.propFilters.every((pf) => propMatches(a, pf)) &&
        f.compFilters.every((cf) => subMatches(a, parentInst, cf)),
    );
  }
  if (RECURRING.has(f.name) && hasTimeRange(f)) {
    // An occurrence must start before the component's range ends; without one, before the alarm
    // range ends plus the longest lead of a trigger over its occurrence.
    let until = f.timeRange?.end;
    if (until === undefined && !f.timeRange) {
      const alarms = alarmRangeEnd(f);
      if (alarms.end !== undefined) until = alarms.end + alarmLead(comps);
    }
    // Properties and alarm-free sub-filters do not vary between occurrences of one component:
    // checking them first avoids expanding a long series that can never match.
    const eligible = (c: Component) =>
      f.propFilters.every((pf) => propMatches(c, pf)) &&
      f.compFilters.every((cf) => hasTimeRange(cf) || subMatches(c, undefined, cf));
    const from = f.timeRange?.start;
    for (const inst of instancesOf(comps, { include: eligible, ...(until !== undefined && { until }), ...(from !== undefined && { from }) })) {
      if (componentMatches(inst.component, inst, f)) return true;
    }
    return false;
  }
  return comps.some((c) => componentMatches(c, undefined, f));
}

/**
 * Whether a stored calendar object matches a parsed calendar-query filter. Text that does not
 * parse matches nothing rather than failing the whole REPORT.
 */
export function matchCalendarObject(ics: string, filter: CalendarFilter): boolean {
  const vcal = parseCalendar(ics);
  if (!vcal) return false;
  const root = filter.root;
  if (root.isNotDefined) return false;
  try {
    return root.propFilters.every((pf) => propMatches(vcal, pf)) && root.compFilters.every((cf) => subMatches(vcal, undefined, cf));
  } catch {
    return false;
  }
}
