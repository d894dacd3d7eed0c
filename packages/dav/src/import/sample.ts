// Generated calendars and address books of any size, for tests and benchmarks of import and export:
// plain events, weekly series with an override placed at the end of the file (so the splitter must
// gather it back), events in two time zones with their VTIMEZONEs, alarms, long folded descriptions.

const ZONES: Record<string, string> = {
  'Europe/Berlin': [
    'BEGIN:VTIMEZONE', 'TZID:Europe/Berlin',
    'BEGIN:DAYLIGHT', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'TZNAME:CEST', 'DTSTART:19700329T020000', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU', 'END:DAYLIGHT',
    'BEGIN:STANDARD', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'TZNAME:CET', 'DTSTART:19701025T030000', 'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU', 'END:STANDARD',
    'END:VTIMEZONE',
  ].join('\r\n'),
  'America/New_York': [
    'BEGIN:VTIMEZONE', 'TZID:America/New_York',
    'BEGIN:DAYLIGHT', 'TZOFFSETFROM:-0500', 'TZOFFSETTO:-0400', 'TZNAME:EDT', 'DTSTART:19700308T020000', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU', 'END:DAYLIGHT',
    'BEGIN:STANDARD', 'TZOFFSETFROM:-0400', 'TZOFFSETTO:-0500', 'TZNAME:EST', 'DTSTART:19701101T020000', 'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU', 'END:STANDARD',
    'END:VTIMEZONE',
  ].join('\r\n'),
};

/** Folds a content line at 75 octets (RFC 5545 3.1); the text here is ASCII. */
function fold(line: string): string {
  if (line.length <= 75) return line;
  const parts = [line.slice(0, 75)];
  for (let i = 75; i < line.length; i += 74) parts.push(` ${line.slice(i, i + 74)}`);
  return parts.join('\r\n');
}

const WORDS = 'agenda budget review planning design standup retro lunch call travel notes follow-up draft offsite launch'.split(' ');

function sentence(i: number, words: number): string {
  const out: string[] = [];
  for (let k = 0; k < words; k++) out.push(WORDS[(i * 7 + k * 3) % WORDS.length]!);
  return out.join(' ');
}

const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
const local = (d: Date) => stamp(d).replace(/Z$/, '');

export interface SampleCalendar {
  text: string;
  /** Calendar objects (UIDs) in it. */
  objects: number;
  /** Of those, weekly series; and the overrides (RECURRENCE-ID) of some of them. */
  recurring: number;
  overrides: number;
  /** Objects whose times carry a TZID. */
  zoned: number;
}

/** Event i's UID. */
export const sampleUid = (i: number) => `sample-${i}@nymote.example`;

/**
 * An iCalendar file of `events` events, about 1 KB each (so 10,000 make about 10 MB): every 10th a
 * weekly series (every other one of those with one moved occurrence), every 5th in a time zone, every
 * 3rd with an alarm. It says METHOD:PUBLISH, as calendar apps' exports do.
 */
export function sampleCalendar(events: number, options: { name?: string } = {}): SampleCalendar {
  const head = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Nymote//sample//EN', 'CALSCALE:GREGORIAN', 'METHOD:PUBLISH'];
  if (options.name) head.push(`X-WR-CALNAME:${options.name}`);
  const out: string[] = [head.join('\r\n'), ZONES['Europe/Berlin']!, ZONES['America/New_York']!];
  const overrides: string[] = [];
  let recurring = 0;
  let zoned = 0;
  for (let i = 0; i < events; i++) {
    const start = new Date(Date.UTC(2026, 0, 1) + (i % 365) * 86_400_000 + (8 + (i % 10)) * 3_600_000);
    const end = new Date(start.getTime() + 45 * 60_000);
    const zone = i % 5 === 2 ? (i % 2 ? 'America/New_York' : 'Europe/Berlin') : undefined;
    if (zone) zoned++;
    const time = (name: string, d: Date) => (zone ? `${name};TZID=${zone}:${local(d)}` : `${name}:${stamp(d)}`);
    const lines = [
      'BEGIN:VEVENT', `UID:${sampleUid(i)}`, 'DTSTAMP:20260101T000000Z', time('DTSTART', start), time('DTEND', end),
      `SUMMARY:${sentence(i, 3)} ${i}`,
      fold(`DESCRIPTION:${sentence(i, 60)}\\n${sentence(i + 1, 60)}`),
      `LOCATION:Room ${i % 40}`, 'STATUS:CONFIRMED', `SEQUENCE:${i % 3}`,
    ];
    if (i % 10 === 0) {
      recurring++;
      lines.push('RRULE:FREQ=WEEKLY;COUNT=10');
      if (i % 20 === 0) {
        const moved = new Date(start.getTime() + 7 * 86_400_000);
        overrides.push([
          'BEGIN:VEVENT', `UID:${sampleUid(i)}`, 'DTSTAMP:20260101T000000Z', time('RECURRENCE-ID', moved),
          time('DTSTART', new Date(moved.getTime() + 3_600_000)), time('DTEND', new Date(moved.getTime() + 6_300_000)),
          `SUMMARY:${sentence(i, 3)} ${i} (moved)`, 'END:VEVENT',
        ].join('\r\n'));
      }
    }
    if (i % 3 === 0) lines.push('BEGIN:VALARM', 'ACTION:DISPLAY', 'DESCRIPTION:Reminder', 'TRIGGER:-PT15M', 'END:VALARM');
    lines.push('END:VEVENT');
    out.push(lines.join('\r\n'));
  }
  out.push(...overrides, 'END:VCALENDAR', '');
  return { text: out.join('\r\n'), objects: events, recurring, overrides: overrides.length, zoned };
}

/** A .vcf of `count` vCards, 3.0 and 4.0 alternately, some with a folded NOTE. */
export function sampleVCards(count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const v4 = i % 2 === 0;
    out.push([
      'BEGIN:VCARD', `VERSION:${v4 ? '4.0' : '3.0'}`, `UID:${v4 ? 'urn:uuid:' : ''}contact-${i}`, `FN:Person ${i}`, `N:${i};Person;;;`,
      `EMAIL;TYPE=work:person${i}@example.org`, `TEL;TYPE=cell:+1-555-${String(i).padStart(7, '0')}`,
      ...(i % 4 === 1 ? [fold(`NOTE:${sentence(i, 30)}`)] : []),
      'END:VCARD', '',
    ].join('\r\n'));
  }
  return out.join('');
}
