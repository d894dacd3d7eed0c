import { NS, type XmlElement } from '../xml-element.js';
import { headLength, newLine, parseContent, serializeContent, value, type ContentComponent, type ContentLine } from './content-lines.js';
import { QueryError } from './errors.js';
import { expandCalendarObject } from './expand.js';
import { ICAL, firstTime, parseCalendar, toMs, type Component } from './ical.js';
import { instancesOf, occurrenceEnd, type Instance } from './recurrence.js';
import { instanceOverlaps } from './time-range.js';
import type { TimeRange } from './types.js';

/** One CALDAV:prop (RFC 4791 9.6.4) or CARDDAV:prop (RFC 6352 10.4.2) of a data selection. */
export interface PropSelection {
  /** Upper-case property name. */
  name: string;
  /** novalue="yes": the name and parameters only, with an empty value. */
  novalue: boolean;
}

/** One CALDAV:comp (RFC 4791 9.6.1): which properties and subcomponents of that component. */
export interface CompSelection {
  name: string;
  allProps: boolean;
  props: PropSelection[];
  allComps: boolean;
  comps: CompSelection[];
}

/** A parsed CALDAV:calendar-data request element (RFC 4791 9.6). */
export interface CalendarDataRequest {
  comp?: CompSelection;
  expand?: Required<TimeRange>;
  limitRecurrenceSet?: Required<TimeRange>;
  limitFreeBusySet?: Required<TimeRange>;
}

const UTC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function utcAttr(el: XmlElement, attr: string): number {
  const v = el.attrs[attr];
  if (v === undefined) throw new QueryError(`${el.name} needs a ${attr} attribute`);
  const m = UTC.exec(v.trim());
  const ms = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
  if (!m || Number.isNaN(ms) || new Date(ms).getUTCDate() !== +m[3]!) {
    throw new QueryError(`${el.name} ${attr} must be a UTC date-time such as 20260101T000000Z, got ${JSON.stringify(v)}`);
  }
  return ms;
}

/** start and end, both required (RFC 4791 9.6.5-9.6.7), end after start. */
function range(el: XmlElement): Required<TimeRange> {
  const start = utcAttr(el, 'start');
  const end = utcAttr(el, 'end');
  if (end <= start) throw new QueryError(`${el.name} end must be after its start`);
  return { start, end };
}

/** The children of `el` in namespace `ns`; names outside `allowed` are an error, other namespaces are ignored. */
function kids(el: XmlElement, ns: string, allowed: string[]): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.ns !== ns) continue;
    if (!allowed.includes(c.name)) throw new QueryError(`unexpected ${c.name} in ${el.name} (it takes ${allowed.join(', ')})`);
    out.push(c);
  }
  return out;
}

function requiredName(el: XmlElement): string {
  const name = el.attrs['name']?.trim();
  if (!name) throw new QueryError(`${el.name} needs a name attribute`);
  if (!/^[A-Za-z0-9-]+$/.test(name)) throw new QueryError(`${el.name} name ${JSON.stringify(name)} is not an iCalendar or vCard name`);
  return name.toUpperCase();
}

export function parsePropSelection(el: XmlElement): PropSelection {
  const nv = el.attrs['novalue'] ?? 'no';
  if (nv !== 'yes' && nv !== 'no') throw new QueryError(`novalue must be yes or no, got ${JSON.stringify(nv)}`);
  return { name: requiredName(el), novalue: nv === 'yes' };
}

function parseComp(el: XmlElement, depth: number): CompSelection {
  if (depth > 8) throw new QueryError('comp nested too deeply');
  const children = kids(el, NS.CALDAV, ['allprop', 'prop', 'allcomp', 'comp']);
  const has = (n: string) => children.some((c) => c.name === n);
  if (has('allprop') && has('prop')) throw new QueryError(`comp ${el.attrs['name'] ?? ''} has both allprop and prop`);
  if (has('allcomp') && has('comp')) throw new QueryError(`comp ${el.attrs['name'] ?? ''} has both allcomp and comp`);
  return {
    name: requiredName(el),
    allProps: has('allprop'),
    props: children.filter((c) => c.name === 'prop').map(parsePropSelection),
    allComps: has('allcomp'),
    comps: children.filter((c) => c.name === 'comp').map((c) => parseComp(c, depth + 1)),
  };
}

/** A media type without its parameters, lower-cased ("text/calendar; charset=utf-8" gives "text/calendar"). */
export function mediaType(s: string): string {
  return s.split(';', 1)[0]!.trim().toLowerCase();
}

/**
 * Reads a CALDAV:calendar-data element of a REPORT's DAV:prop. Throws QueryError: with the
 * precondition 'supported-calendar-data' for a content-type or version other than iCalendar 2.0,
 * without one (a 400) for a malformed selection.
 */
export function parseCalendarData(el: XmlElement): CalendarDataRequest {
  const type = el.attrs['content-type'];
  const version = el.attrs['version'];
  if ((type !== undefined && mediaType(type) !== 'text/calendar') || (version !== undefined && version.trim() !== '2.0')) {
    throw new QueryError(
      `calendar-data as ${type ?? 'text/calendar'} version ${version ?? '2.0'} is not supported (text/calendar 2.0 is)`,
      'supported-calendar-data',
    );
  }
  const children = kids(el, NS.CALDAV, ['comp', 'expand', 'limit-recurrence-set', 'limit-freebusy-set']);
  const one = (name: string) => {
    const found = children.filter((c) => c.name === name);
    if (found.length > 1) throw new QueryError(`calendar-data takes one ${name}`);
    return found[0];
  };
  const req: CalendarDataRequest = {};
  const comp = one('comp');
  if (comp) {
    req.comp = parseComp(comp, 0);
    if (req.comp.name !== 'VCALENDAR') throw new QueryError(`the top comp of calendar-data must be VCALENDAR, not ${req.comp.name}`);
  }
  const expand = one('expand');
  const limit = one('limit-recurrence-set');
  if (expand && limit) throw new QueryError('calendar-data takes expand or limit-recurrence-set, not both');
  if (expand) req.expand = range(expand);
  if (limit) req.limitRecurrenceSet = range(limit);
  const fb = one('limit-freebusy-set');
  if (fb) req.limitFreeBusySet = range(fb);
  return req;
}

/** Whether the request changes anything: a bare calendar-data is answered with the stored text. */
export function isPlainCalendarData(req: CalendarDataRequest): boolean {
  return !req.comp && !req.expand && !req.limitRecurrenceSet && !req.limitFreeBusySet;
}

/** A line with its value removed, keeping name and parameters and the ':' (RFC 4791 9.6.4, RFC 6352 10.4.2). */
export function withoutValue(l: ContentLine): ContentLine {
  return newLine(l.text.slice(0, headLength(l.text)) + ':');
}

/**
 * The part of `c` that `sel` selects. A comp with neither properties nor subcomponents named
 * selects the component whole: RFC 4791 7.8.1 asks for VTIMEZONE as an empty comp and shows it
 * returned in full. Otherwise what is not named is left out (a comp naming props and no comps
 * drops the VALARMs, as in the same example).
 */
function pick(c: ContentComponent, sel: CompSelection): ContentComponent {
  if (!sel.allProps && sel.props.length === 0 && !sel.allComps && sel.comps.length === 0) return c;
  const items: ContentComponent['items'] = [];
  for (const item of c.items) {
    if (item.kind === 'line') {
      if (sel.allProps) {
        items.push(item);
        continue;
      }
      const p = sel.props.find((x) => x.name === item.name);
      if (p) items.push(p.novalue ? withoutValue(item) : item);
    } else if (sel.allComps) {
      items.push(item);
    } else {
      const s = sel.comps.find((x) => x.name === item.name);
      if (s) items.push(pick(item, s));
    }
  }
  return { ...c, items };
}

const TIMED = new Set(['vevent', 'vtodo', 'vjournal']);

/**
 * limit-recurrence-set (RFC 4791 9.6.6): which of the VEVENT/VTODO/VJOURNAL components (in
 * document order) to keep. Masters and non-recurring components always stay; an override stays
 * when it impacts the range: its own time overlaps it, its original time (the occurrence it
 * replaces) does, or, for RANGE=THISANDFUTURE, one of the later occurrences it rewrites does.
 */
function keptByRecurrenceLimit(vcal: Component, r: Required<TimeRange>): boolean[] {
  const timed = vcal.getAllSubcomponents().filter((c) => TIMED.has(c.name));
  const impacting = new Set<Component>();
  for (const inst of instancesOf(timed, { until: r.end, from: r.start })) {
    if (instanceOverlaps(inst, r)) impacting.add(inst.component);
  }
  const uid = (c: Component) => String(c.getFirstPropertyValue('uid') ?? '');
  for (const o of timed) {
    if (!o.hasProperty('recurrence-id') || impacting.has(o)) continue;
    const master = timed.find((m) => !m.hasProperty('recurrence-id') && uid(m) === uid(o));
    const rid = firstTime(o, 'recurrence-id');
    if (!master || !rid) continue;
    const original: Instance = { component: master, start: rid, recurrenceId: rid };
    const end = occurrenceEnd(master, rid);
    if (end) original.end = end;
    if (instanceOverlaps(original, r)) impacting.add(o);
  }
  return timed.map((c) => !c.hasProperty('recurrence-id') || impacting.has(c));
}

/**
 * limit-freebusy-set (RFC 4791 9.6.7): FREEBUSY values of VFREEBUSY components that overlap the
 * range; a FREEBUSY property left with no values is dropped.
 */
function limitFreeBusy(vfb: ContentComponent, r: Required<TimeRange>): ContentComponent {
  const items: ContentComponent['items'] = [];
  for (const item of vfb.items) {
    if (item.kind !== 'line' || item.name !== 'FREEBUSY') {
      items.push(item);
      continue;
    }
    let periods: unknown[];
    try {
      periods = ICAL.Property.fromString(item.text).getValues();
    } catch {
      items.push(item);
      continue;
    }
    const raw = value(item).split(',');
    if (raw.length !== periods.length) {
      items.push(item);
      continue;
    }
    const kept = raw.filter((_, i) => {
      const p = periods[i];
      if (!(p instanceof ICAL.Period)) return true;
      return toMs(p.start) < r.end && toMs(p.getEnd()) > r.start;
    });
    if (kept.length === raw.length) items.push(item);
    else if (kept.length > 0) items.push(newLine(item.text.slice(0, headLength(item.text)) + ':' + kept.join(',')));
  }
  return { ...vfb, items };
}

/**
 * The calendar-data a REPORT returns for a stored calendar object: expanded or with its
 * recurrence set limited, free-busy limited, then reduced to the selected components and
 * properties (RFC 4791 9.6.5: selection applies to the expanded instances). Text that does not
 * parse as one VCALENDAR is returned as stored.
 */
export function calendarData(ics: string, req: CalendarDataRequest): string {
  if (isPlainCalendarData(req)) return ics;
  const text = req.expand ? expandCalendarObject(ics, new Date(req.expand.start), new Date(req.expand.end)) : ics;
  const tree = parseContent(text);
  if (!tree || tree.name !== 'VCALENDAR') return ics;
  let out = tree;
  if (req.limitRecurrenceSet) {
    const vcal = parseCalendar(text);
    let keep: boolean[] | undefined;
    try {
      keep = vcal ? keptByRecurrenceLimit(vcal, req.limitRecurrenceSet) : undefined;
    } catch {
      keep = undefined;
    }
    if (keep) {
      // The ical.js components and the tree's list the timed components in the same order.
      let i = 0;
      out = { ...out, items: out.items.filter((item) => item.kind === 'line' || !TIMED.has(item.name.toLowerCase()) || keep[i++] !== false) };
    }
  }
  if (req.limitFreeBusySet) {
    const r = req.limitFreeBusySet;
    out = { ...out, items: out.items.map((item) => (item.kind === 'component' && item.name === 'VFREEBUSY' ? limitFreeBusy(item, r) : item)) };
  }
  if (req.comp) out = pick(out, req.comp);
  return serializeContent(out);
}
