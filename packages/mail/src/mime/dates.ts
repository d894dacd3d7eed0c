// The Date header (RFC 5322 section 3.3, with the obsolete forms of section 4.3) for SENTBEFORE,
// SENTON and SENTSINCE, which compare the date as written, disregarding time and zone (RFC 3501
// section 6.4.4), and for sorting by the instant it names.

export interface MessageDate {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Zone offset east of UTC in minutes (0 for "-0000", unknown and military zones). */
  offset: number;
  /** The instant, in milliseconds since the epoch. */
  time: number;
  /** year*10000 + month*100 + day: the calendar date SENT* searches compare. */
  day8: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** RFC 5322 section 4.3 zone names; the one-letter military zones are taken as "-0000". */
const ZONES: Record<string, number> = {
  ut: 0, utc: 0, gmt: 0, z: 0, est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420,
};

/** Parses a Date header value (any string); null when no date can be found in it. */
export function parseDate(value: string): MessageDate | null {
  const s = value.replace(/\([^()]*\)/g, ' ').replace(/,/g, ' ').trim().toLowerCase();
  const words = s.split(/\s+/).filter(Boolean);
  let day = NaN;
  let month = NaN;
  let year = NaN;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let offset: number | null = null;
  let timeSeen = false;
  for (const w of words) {
    const mi = MONTHS.indexOf(w.slice(0, 3));
    if (/^[a-z]+\.?$/.test(w) && mi >= 0 && w.length >= 3 && Number.isNaN(month)) { month = mi + 1; continue; }
    let m = /^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$/.exec(w);
    if (m && !timeSeen) {
      hour = Number(m[1]); minute = Number(m[2]); second = Number(m[3] ?? 0); timeSeen = true;
      continue;
    }
    m = /^([+-])(\d{2}):?(\d{2})$/.exec(w);
    if (m && offset === null && timeSeen) {
      offset = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
      continue;
    }
    if (offset === null && timeSeen && w in ZONES) { offset = ZONES[w]!; continue; }
    if (/^\d+$/.test(w)) {
      if (Number.isNaN(day) && w.length <= 2 && Number.isNaN(year)) day = Number(w);
      else if (Number.isNaN(year)) year = Number(w);
      continue;
    }
    // ISO 8601 dates, which some software writes in Date: anyway.
    m = /^(\d{4})-(\d{2})-(\d{2})(?:t(\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(w);
    if (m && Number.isNaN(year)) {
      year = Number(m[1]); month = Number(m[2]); day = Number(m[3]);
      if (m[4]) { hour = Number(m[4]); minute = Number(m[5]); second = Number(m[6] ?? 0); timeSeen = true; }
      continue;
    }
  }
  if (Number.isNaN(day) || Number.isNaN(month) || Number.isNaN(year)) return null;
  // RFC 5322 section 4.3: two-digit years below 50 are 20xx, other two- and three-digit years 19xx.
  if (year < 50) year += 2000;
  else if (year < 1000) year += 1900;
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const off = offset ?? 0;
  const time = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59)) - off * 60000;
  if (!Number.isFinite(time)) return null;
  return { year, month, day, hour, minute, second, offset: off, time, day8: year * 10000 + month * 100 + day };
}
