import { ICAL, firstDuration, firstTime, isTime, toMs, type Component, type Time } from './ical.js';

/**
 * How many occurrences of one recurrence set are generated at most. Iteration always starts at
 * DTSTART (ical.js cannot fast-forward an RRULE without changing COUNT semantics), so this also
 * bounds the scan for a daily event that began decades before the queried range: 100,000 is about
 * 270 years of daily instances, and walking them costs about a second (ical.js clones a Time on
 * every step), which only a minutely/secondly rule or a huge COUNT reaches.
 */
export const MAX_INSTANCES = 100_000;

const DAY_MS = 86_400_000;

/** One occurrence of a VEVENT/VTODO/VJOURNAL: the component that describes it and its times. */
export interface Instance {
  /** The master (for generated occurrences) or the RECURRENCE-ID override. */
  component: Component;
  /** The occurrence's DTSTART, in the master's zone; undefined when the component has none. */
  start?: Time;
  /** The occurrence's end: DTEND / DTSTART+DURATION for events, DUE / DTSTART+DURATION for to-dos. */
  end?: Time;
  /** Set on every instance of a recurring component (generated or override). */
  recurrenceId?: Time;
  /**
   * Set on an occurrence generated from a RANGE=THISANDFUTURE override (`component`) rather than
   * stored as a component of its own: its times are the original ones shifted by the override's.
   */
  derived?: boolean;
}

export interface ExpansionState {
  /** Set when MAX_INSTANCES stopped the iteration before the set was exhausted. */
  truncated: boolean;
}

function uidOf(comp: Component): string {
  const v = comp.getFirstPropertyValue('uid');
  return typeof v === 'string' ? v : '';
}

export function isRecurring(comp: Component): boolean {
  return comp.hasProperty('rrule') || comp.hasProperty('rdate');
}

/** The name of the property that ends this kind of component ('due' for to-dos). */
function endPropName(comp: Component): string {
  return comp.name === 'vtodo' ? 'due' : 'dtend';
}

/**
 * The end of an occurrence starting at `occ`, keeping the master's length. The length is taken in
 * local time when start and end share a zone, so a 09:00-10:00 Europe/Paris event stays one local
 * hour long across a DST change.
 */
export function occurrenceEnd(master: Component, occ: Time): Time | undefined {
  const dtstart = firstTime(master, 'dtstart');
  const endProp = firstTime(master, endPropName(master));
  if (dtstart && endProp) {
    const end = occ.clone();
    if (endProp.zone === dtstart.zone) {
      end.addDuration(endProp.subtractDate(dtstart));
    } else {
      end.addDuration(ICAL.Duration.fromSeconds(endProp.subtractDateTz(dtstart).toSeconds()));
    }
    return end;
  }
  const dur = firstDuration(master, 'duration');
  if (dur) {
    const end = occ.clone();
    end.addDuration(dur);
    return end;
  }
  return undefined;
}

function ownInstance(comp: Component): Instance {
  const start = firstTime(comp, 'dtstart');
  const inst: Instance = { component: comp };
  if (start) inst.start = start;
  const end = firstTime(comp, endPropName(comp)) ?? (start ? occurrenceEnd(comp, start) : undefined);
  if (end) inst.end = end;
  const rid = firstTime(comp, 'recurrence-id');
  if (rid) inst.recurrenceId = rid;
  return inst;
}

export interface InstanceOptions {
  /** Stop generating a master's occurrences once one starts after this (ms). */
  until?: number;
  /**
   * Skip, without building them, occurrences that end well before this (ms): their start plus the
   * master's length plus a day of slack for DST and to-do rules.
   */
  from?: number;
  /** Components failing this yield nothing (an excluded override still hides its occurrence). */
  include?: (c: Component) => boolean;
  state?: ExpansionState;
}

function ymd(t: Time): string {
  return `${t.year}-${t.month}-${t.day}`;
}

/** The master's length in ms, for skipping occurrences cheaply; a DATE without an end is a day. */
function lengthMs(master: Component, dtstart: Time): number {
  const end = firstTime(master, endPropName(master));
  if (end) return Math.max(0, toMs(end) - toMs(dtstart));
  const dur = firstDuration(master, 'duration');
  if (dur) return Math.max(0, dur.toSeconds() * 1000);
  return dtstart.isDate ? DAY_MS : 0;
}

/**
 * The recurrence set of a master (RFC 5545 3.8.5): DTSTART, every RRULE, every RDATE, minus
 * EXDATEs, in start order without duplicates. This merges ical.js's RRULE iterators itself rather
 * than use ICAL.RecurExpansion, which clones several times per step and was about 4x slower.
 * The yielded times are fresh copies; `decide(ms)` lets the caller drop one before it is copied,
 * or end the set.
 */
function* recurrenceSet(
  master: Component,
  dtstart: Time,
  state: ExpansionState,
  decide: (ms: number) => 'keep' | 'skip' | 'stop',
): Generator<Time> {
  const rules: { iter: InstanceType<typeof ICAL.RecurIterator>; head: Time | null }[] = [];
  for (const p of master.getAllProperties('rrule')) {
    const recur = p.getFirstValue() as unknown;
    if (!(recur instanceof ICAL.Recur)) continue;
    const iter = recur.iterator(dtstart);
    rules.push({ iter, head: iter.next() });
  }
  const dates: Time[] = [dtstart];
  for (const p of master.getAllProperties('rdate')) {
    for (const v of p.getValues() as unknown[]) {
      if (isTime(v)) dates.push(v);
      else if (v instanceof ICAL.Period) dates.push(v.start);
    }
  }
  dates.sort((a, b) => a.toUnixTime() - b.toUnixTime());
  const exMs = new Set<number>();
  const exDays = new Set<string>();
  for (const p of master.getAllProperties('exdate')) {
    for (const v of p.getValues() as unknown[]) {
      if (!isTime(v)) continue;
      // A DATE EXDATE on a DATE-TIME series removes that day's occurrence.
      if (v.isDate && !dtstart.isDate) exDays.add(ymd(v));
      else exMs.add(toMs(v));
    }
  }
  let di = 0;
  let last = -Infinity;
  for (let n = 0; ; n++) {
    if (n >= MAX_INSTANCES) {
      state.truncated = true;
      return;
    }
    let best: Time | undefined;
    let bestMs = Infinity;
    let bestRule = -1;
    for (let i = 0; i < rules.length; i++) {
      const h = rules[i]!.head;
      if (h && toMs(h) < bestMs) {
        best = h;
        bestMs = toMs(h);
        bestRule = i;
      }
    }
    const d = dates[di];
    if (d && toMs(d) <= bestMs) {
      best = d;
      bestMs = toMs(d);
      bestRule = -1;
    }
    if (!best) return;
    const ms = bestMs;
    const verdict = decide(ms);
    if (verdict === 'stop') return;
    const excluded = verdict === 'skip' || ms === last || exMs.has(ms) || (exDays.size > 0 && exDays.has(ymd(best)));
    const copy = excluded ? undefined : best.clone();
    // Advance the source only after reading it: RecurIterator reuses one Time for every step.
    if (bestRule >= 0) rules[bestRule]!.head = rules[bestRule]!.iter.next();
    else di++;
    last = ms;
    if (copy) yield copy;
  }
}

/** Whether an override's RECURRENCE-ID carries RANGE=THISANDFUTURE (RFC 5545 3.8.4.4). */
export function isRangeOverride(comp: Component): boolean {
  const range = comp.getFirstProperty('recurrence-id')?.getParameter('range');
  return typeof range === 'string' && range.toUpperCase() === 'THISANDFUTURE';
}

/** A RANGE=THISANDFUTURE override, ready to rewrite the occurrences after it. */
interface RangeOverride {
  component: Component;
  ridMs: number;
  /** How far the override moved its own occurrence: DTSTART minus RECURRENCE-ID. */
  shift: ICAL.Duration;
  shiftMs: number;
}

function rangeOverride(o: Component): RangeOverride | undefined {
  const rid = firstTime(o, 'recurrence-id');
  const start = firstTime(o, 'dtstart');
  if (!rid || !start) return undefined;
  // Wall-clock difference when both are in one zone, so a "one hour later" change stays one local
  // hour across a DST change; the absolute difference otherwise.
  const shift = rid.zone === start.zone ? start.subtractDate(rid) : ICAL.Duration.fromSeconds(start.subtractDateTz(rid).toSeconds());
  return { component: o, ridMs: toMs(rid), shift, shiftMs: toMs(start) - toMs(rid) };
}

/** The range override in force for an occurrence at `ms`: the latest one starting before it. */
function governing(ranges: RangeOverride[], ms: number): RangeOverride | undefined {
  let found: RangeOverride | undefined;
  for (const r of ranges) {
    if (r.ridMs < ms) found = r;
    else break;
  }
  return found;
}

/**
 * Every occurrence of the given components (all of one kind, e.g. the VEVENTs of one calendar
 * object), grouped by UID: each master's recurrence set minus the occurrences that a
 * RECURRENCE-ID override replaces, then every override on its own (so an override moved far from
 * its original slot is still seen). Masters are generated in start order and stop once an
 * occurrence starts after `until`; overrides come after their master's occurrences.
 *
 * An override with RANGE=THISANDFUTURE also rewrites every later occurrence (up to the next such
 * override): it is described by the override's properties, starts where the original would have
 * plus the override's shift (its DTSTART minus its RECURRENCE-ID) and lasts as long as the
 * override. ical.js's Event does the same in getOccurrenceDetails; this engine walks the sets
 * itself, so it applies the rule here.
 */
export function* instancesOf(components: Component[], opts: InstanceOptions = {}): Generator<Instance> {
  const state = opts.state ?? { truncated: false };
  const include = opts.include ?? (() => true);
  const groups = new Map<string, Component[]>();
  for (const c of components) {
    const uid = uidOf(c);
    const g = groups.get(uid);
    if (g) g.push(c);
    else groups.set(uid, [c]);
  }
  for (const group of groups.values()) {
    const masters = group.filter((c) => !c.hasProperty('recurrence-id'));
    const overrides = group.filter((c) => c.hasProperty('recurrence-id'));
    const replaced = new Set<number>();
    for (const o of overrides) {
      const rid = firstTime(o, 'recurrence-id');
      if (rid) replaced.add(toMs(rid));
    }
    const ranges = overrides
      .filter(isRangeOverride)
      .map(rangeOverride)
      .filter((r): r is RangeOverride => r !== undefined)
      .sort((a, b) => a.ridMs - b.ridMs);
    const included = new Map<Component, boolean>();
    const isIncluded = (c: Component) => {
      let v = included.get(c);
      if (v === undefined) included.set(c, (v = include(c)));
      return v;
    };
    for (const master of masters) {
      const dtstart = firstTime(master, 'dtstart');
      if (!dtstart || !isRecurring(master)) {
        if (isIncluded(master)) yield ownInstance(master);
        continue;
      }
      if (!isIncluded(master) && !ranges.some((r) => isIncluded(r.component))) continue;
      // Shifted occurrences may start before their original time (lead) or end after it (reach).
      let reach = lengthMs(master, dtstart);
      let lead = 0;
      for (const r of ranges) {
        const rs = firstTime(r.component, 'dtstart')!;
        reach = Math.max(reach, r.shiftMs + lengthMs(r.component, rs));
        lead = Math.max(lead, -r.shiftMs + DAY_MS);
      }
      reach += DAY_MS;
      const { until, from } = opts;
      const decide = (ms: number) =>
        until !== undefined && ms - lead > until
          ? 'stop'
          : replaced.has(ms) || (from !== undefined && ms + reach < from)
            ? 'skip'
            : 'keep';
      for (const occ of recurrenceSet(master, dtstart, state, decide)) {
        const r = ranges.length > 0 ? governing(ranges, toMs(occ)) : undefined;
        if (r) {
          if (!isIncluded(r.component)) continue;
          const start = occ.clone();
          start.addDuration(r.shift);
          const inst: Instance = { component: r.component, start, recurrenceId: occ, derived: true };
          const end = occurrenceEnd(r.component, start);
          if (end) inst.end = end;
          yield inst;
          continue;
        }
        if (!isIncluded(master)) continue;
        const inst: Instance = { component: master, start: occ, recurrenceId: occ };
        const end = occurrenceEnd(master, occ);
        if (end) inst.end = end;
        yield inst;
      }
    }
    for (const o of overrides) if (isIncluded(o)) yield ownInstance(o);
  }
}
/**
 * The [start, end) a VEVENT occurrence occupies for time-range purposes (RFC 4791 9.9): a DATE
 * without an end lasts one day, a DATE-TIME without one is an instant (end === start).
 */
export function eventSpan(inst: Instance): { start: number; end: number } | undefined {
  if (!inst.start) return undefined;
  const start = toMs(inst.start);
  if (inst.end) return { start, end: Math.max(start, toMs(inst.end)) };
  return { start, end: inst.start.isDate ? start + DAY_MS : start };
}

export { DAY_MS };
