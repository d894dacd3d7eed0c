import { ICAL, type Component } from './ical.js';

/**
 * Time zones synthesized from the runtime's IANA database (Node ships full ICU), for objects that
 * name a zone with TZID but carry no VTIMEZONE for it. RFC 5545 requires the VTIMEZONE, but
 * some producers omit it for well-known zones; without this those times would read as floating.
 * They are registered with ICAL.TimezoneService, which ical.js consults only when the object's
 * own tree has no definition, so an object's VTIMEZONE still wins; and since their data depends
 * only on the zone name, sharing them between users leaks nothing. Names tried and unknown are
 * remembered so they are not rebuilt.
 */
const unknown = new Set<string>();

const FROM_YEAR = 1970;
const TO_YEAR = 2100;
const STEP_MS = 7 * 86_400_000;

function offsetFormatter(tzid: string): Intl.DateTimeFormat | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: tzid, timeZoneName: 'longOffset' });
  } catch {
    return undefined;
  }
}

/** The zone's UTC offset in minutes at `ms`, from the "GMT+05:30" that longOffset formats. */
function offsetAt(fmt: Intl.DateTimeFormat, ms: number): number {
  const name = fmt.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
  if (!m) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
  return m[1] === '-' ? -minutes : minutes;
}

function fmtOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const a = Math.abs(minutes);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}${String(a % 60).padStart(2, '0')}`;
}

/** Local wall-clock time (in the offset before the change) as an iCalendar DATE-TIME. */
function fmtLocal(ms: number, offsetMin: number): string {
  return new Date(ms + offsetMin * 60_000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, '');
}

function build(tzid: string): Component | null {
  const fmt = offsetFormatter(tzid);
  if (!fmt) return null;
  const lines = ['BEGIN:VTIMEZONE', `TZID:${tzid}`];
  const start = Date.UTC(FROM_YEAR, 0, 1);
  const end = Date.UTC(TO_YEAR, 0, 1);
  let prev = offsetAt(fmt, start);
  const observance = (kind: string, at: number, from: number, to: number) =>
    lines.push(`BEGIN:${kind}`, `DTSTART:${fmtLocal(at, from)}`, `TZOFFSETFROM:${fmtOffset(from)}`, `TZOFFSETTO:${fmtOffset(to)}`, `END:${kind}`);
  observance('STANDARD', Date.UTC(1601, 0, 1), prev, prev);
  // Weekly samples, then a bisection to the minute: zones change at most a few times a year.
  for (let t = start + STEP_MS; t < end; t += STEP_MS) {
    const cur = offsetAt(fmt, t);
    if (cur === prev) continue;
    let lo = t - STEP_MS;
    let hi = t;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (offsetAt(fmt, mid) === prev) lo = mid;
      else hi = mid;
    }
    observance(cur > prev ? 'DAYLIGHT' : 'STANDARD', hi, prev, cur);
    prev = cur;
  }
  lines.push('END:VTIMEZONE');
  try {
    return new ICAL.Component(ICAL.parse(lines.join('\r\n') + '\r\n') as never);
  } catch {
    return null;
  }
}

function referencedTzids(jcal: unknown, out: Set<string>): void {
  // jCal: [name, properties[], components[]], a property being [name, params, type, ...values].
  if (!Array.isArray(jcal)) return;
  const [, props, comps] = jcal as [string, unknown[], unknown[]];
  for (const p of props ?? []) {
    const params = Array.isArray(p) ? (p[1] as Record<string, unknown>) : undefined;
    if (params && typeof params['tzid'] === 'string') out.add(params['tzid']);
  }
  for (const c of comps ?? []) referencedTzids(c, out);
}

/**
 * Makes every TZID the calendar uses without defining resolvable, when the runtime knows that
 * zone. Must run before any value is read (ical.js resolves TZIDs on first access).
 */
export function addMissingTimezones(vcal: Component): void {
  const used = new Set<string>();
  referencedTzids(vcal.toJSON(), used);
  if (used.size === 0) return;
  const defined = new Set(vcal.getAllSubcomponents('vtimezone').map((z) => String(z.getFirstPropertyValue('tzid'))));
  for (const tzid of used) {
    if (defined.has(tzid) || unknown.has(tzid) || ICAL.TimezoneService.has(tzid)) continue;
    const zone = build(tzid);
    if (zone) ICAL.TimezoneService.register(new ICAL.Timezone({ component: zone, tzid }));
    else unknown.add(tzid);
  }
}

/**
 * Hydrated zones by their exact VTIMEZONE text. ical.js rebuilds a zone's transitions from 1970
 * on every parse (about 3 ms for a DST zone, ten times the cost of matching the event itself), so
 * byte-identical definitions, which nearly every object from one client carries, share one
 * hydrated zone. Keyed by the full text, one object's definition is never used for another's
 * different one. Bounded by clearing when full.
 */
const hydrated = new Map<string, InstanceType<typeof ICAL.Timezone>>();
const MAX_HYDRATED = 1000;

/** Pre-fills the calendar's zone cache (an ical.js 2 internal; skipped if it is not there). */
export function reuseTimezones(vcal: Component): void {
  const cacheOf = (vcal as unknown as { _timezoneCache?: unknown })._timezoneCache;
  if (!(cacheOf instanceof Map)) return;
  for (const z of vcal.getAllSubcomponents('vtimezone')) {
    const tzid = z.getFirstPropertyValue('tzid');
    if (typeof tzid !== 'string' || cacheOf.has(tzid)) continue;
    const key = z.toString();
    let zone = hydrated.get(key);
    if (!zone) {
      if (hydrated.size >= MAX_HYDRATED) hydrated.clear();
      zone = new ICAL.Timezone({ component: new ICAL.Component(JSON.parse(JSON.stringify(z.toJSON()))), tzid });
      hydrated.set(key, zone);
    }
    cacheOf.set(tzid, zone);
  }
}
