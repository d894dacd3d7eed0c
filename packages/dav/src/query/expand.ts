import { ICAL, isTime, parseCalendar, type Component, type Property, type Time } from './ical.js';
import { MAX_INSTANCES, instancesOf, type Instance } from './recurrence.js';
import { instanceOverlaps as overlaps } from './time-range.js';
import type { TimeRange } from './types.js';

const RECURRENCE_PROPS = new Set(['rrule', 'rdate', 'exdate', 'exrule']);

function utc(t: Time): Time {
  // DATE values have no time of day to move; they stay DATEs.
  return t.isDate ? t : t.convertToZone(ICAL.Timezone.utcTimezone);
}

/** A copy of the property with DATE-TIME values in UTC and TZID dropped. */
function utcProperty(p: Property): Property {
  const copy = new ICAL.Property(JSON.parse(JSON.stringify(p.toJSON())));
  const values = p.getValues() as unknown[];
  if (values.some((v) => isTime(v) && !v.isDate)) {
    copy.removeParameter('tzid');
    const converted = values.map((v) => (isTime(v) ? utc(v) : v));
    if (converted.length === 1) copy.setValue(converted[0] as never);
    else copy.setValues(converted as never);
  }
  return copy;
}

/** A copy of the component, recursively, with times in UTC and no recurrence rules. */
function utcComponent(src: Component): Component {
  const out = new ICAL.Component(src.name);
  for (const p of src.getAllProperties()) {
    if (!RECURRENCE_PROPS.has(p.name)) out.addProperty(utcProperty(p));
  }
  for (const sub of src.getAllSubcomponents()) out.addSubcomponent(utcComponent(sub));
  return out;
}

function setTime(comp: Component, name: string, t: Time): void {
  const p = comp.getFirstProperty(name);
  if (!p) {
    comp.addPropertyWithValue(name, utc(t));
    return;
  }
  p.removeParameter('tzid');
  p.removeParameter('range');
  p.setValue(utc(t));
}

/**
 * calendar-data with CALDAV:expand (RFC 4791 9.6.5): every occurrence overlapping [start, end)
 * as its own component with a RECURRENCE-ID, all DATE-TIMEs in UTC (so VTIMEZONEs are dropped),
 * no RRULE/RDATE/EXDATE. Non-recurring components outside the range are dropped as well. At most
 * MAX_INSTANCES occurrences per recurrence set are considered. Unparseable text is returned as is.
 */
export function expandCalendarObject(ics: string, start: Date, end: Date): string {
  const vcal = parseCalendar(ics);
  if (!vcal) return ics;
  try {
    return expand(vcal, start, end);
  } catch {
    // A stored value ical.js cannot read (values parse lazily): better the object unexpanded
    // than a failed REPORT.
    return ics;
  }
}

function expand(vcal: Component, start: Date, end: Date): string {
  const range: TimeRange = { start: start.getTime(), end: end.getTime() };
  const out = new ICAL.Component('vcalendar');
  for (const p of vcal.getAllProperties()) out.addProperty(utcProperty(p));

  const timed = vcal.getAllSubcomponents().filter((c) => ['vevent', 'vtodo', 'vjournal'].includes(c.name));
  const picked: { inst: Instance; sortKey: number }[] = [];
  for (const inst of instancesOf(timed, { until: range.end, from: range.start })) {
    if (!overlaps(inst, range)) continue;
    picked.push({ inst, sortKey: inst.start ? inst.start.toUnixTime() : -Infinity });
    if (picked.length >= MAX_INSTANCES) break;
  }
  picked.sort((a, b) => a.sortKey - b.sortKey);
  for (const { inst } of picked) {
    const comp = utcComponent(inst.component);
    // Each expanded instance stands alone: a THISANDFUTURE range would claim the instances after it.
    comp.getFirstProperty('recurrence-id')?.removeParameter('range');
    const generated = inst.recurrenceId !== undefined && (inst.derived === true || !inst.component.hasProperty('recurrence-id'));
    if (generated) {
      if (inst.start) setTime(comp, 'dtstart', inst.start);
      const endName = comp.name === 'vtodo' ? 'due' : 'dtend';
      if (inst.end && comp.hasProperty(endName)) setTime(comp, endName, inst.end);
      setTime(comp, 'recurrence-id', inst.recurrenceId!);
    }
    out.addSubcomponent(comp);
  }
  for (const c of vcal.getAllSubcomponents()) {
    if (c.name !== 'vtimezone' && !timed.includes(c)) out.addSubcomponent(utcComponent(c));
  }
  return out.toString() + '\r\n';
}
