import ICAL from 'ical.js';
import { addMissingTimezones, reuseTimezones } from './time-zones.js';

export type Component = ICAL.Component;
export type Property = ICAL.Property;
export type Time = ICAL.Time;

/**
 * Parses iCalendar text into its VCALENDAR component, or undefined when it does not parse.
 * TZID-qualified times resolve against the object's own VTIMEZONEs (ical.js 2 looks them up in
 * the component tree), so no global TimezoneService registration is needed: registering would
 * let one user's VTIMEZONE redefine a zone for everyone else's objects. A TZID the object uses
 * without defining gets a VTIMEZONE built from the runtime's IANA data when the name is known.
 */
export function parseCalendar(ics: string): Component | undefined {
  try {
    const jcal = ICAL.parse(ics);
    // Several top-level components in one text is not a valid stored object: take the first.
    const first = Array.isArray(jcal[0]) ? (jcal[0] as unknown as unknown[]) : jcal;
    const comp = new ICAL.Component(first as never);
    if (comp.name !== 'vcalendar') return undefined;
    addMissingTimezones(comp);
    reuseTimezones(comp);
    return comp;
  } catch {
    return undefined;
  }
}

export function parseVCard(vcf: string): Component | undefined {
  try {
    const jcal = ICAL.parse(vcf);
    const first = Array.isArray(jcal[0]) ? (jcal[0] as unknown as unknown[]) : jcal;
    const comp = new ICAL.Component(first as never);
    if (comp.name !== 'vcard') return undefined;
    return comp;
  } catch {
    return undefined;
  }
}

/**
 * ms since the epoch. Floating times and DATE values have no zone of their own; they are read in
 * UTC, standing in for the server's time zone (RFC 4791 9.9 leaves that to the server).
 */
export function toMs(t: Time): number {
  return t.toUnixTime() * 1000;
}

export function isTime(v: unknown): v is Time {
  return v instanceof ICAL.Time;
}

export function firstTime(comp: Component, name: string): Time | undefined {
  try {
    const v = comp.getFirstPropertyValue(name);
    return isTime(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function firstDuration(comp: Component, name: string): ICAL.Duration | undefined {
  try {
    const v = comp.getFirstPropertyValue(name);
    return v instanceof ICAL.Duration ? v : undefined;
  } catch {
    return undefined;
  }
}

function valueText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(valueText).join(';');
  if (typeof v === 'object' && 'toICALString' in v && typeof v.toICALString === 'function') {
    return String(v.toICALString());
  }
  return String(v);
}

/**
 * The strings a text-match is tried against: the whole value (structured values such as N joined
 * with ';', lists such as CATEGORIES with ',') and each individual value.
 */
export function propertyTexts(prop: Property): string[] {
  let values: unknown[];
  try {
    values = prop.getValues();
  } catch {
    return [];
  }
  const parts = values.map(valueText);
  const out = [parts.join(',')];
  if (parts.length > 1) out.push(...parts);
  for (const v of values) {
    if (Array.isArray(v) && v.length > 1) out.push(...v.map(valueText));
  }
  return out;
}

/** A parameter's values: TYPE=work,voice and TYPE=work;TYPE=voice both give ['work', 'voice']. */
export function parameterValues(prop: Property, name: string): string[] | undefined {
  const v = prop.getParameter(name.toLowerCase()) as unknown;
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.map(String);
  return [String(v)];
}

export function timeFromMs(ms: number): Time {
  return ICAL.Time.fromJSDate(new Date(ms), true);
}

export { ICAL };
