// Splits an iCalendar file (a calendar export, or several VCALENDARs one after another) into calendar
// object resources as RFC 4791 4.1 wants them: one UID per object, the master and its RECURRENCE-ID
// overrides together, each VTIMEZONE the object refers to copied in. It only cuts by lines; whether
// each object is valid iCalendar is for the validator (the same as a PUT's) to say.
import { parseProperty, paramValue, readLines, type ByteSource, type ContentLine } from './content-lines.js';
import { PROGRESS_STEP, type ProgressListener, type SplitEntry } from './entry.js';

/** A top-level component of a VCALENDAR, kept as its lines. */
interface Block {
  type: string;
  raw: string[];
  line: number;
  calendar: number;
  uid: string | undefined;
  recurrenceId: string | undefined;
  /** VTIMEZONE: its TZID. Others: the TZIDs their properties refer to. */
  tzid: string | undefined;
  tzids: Set<string>;
  error: string | undefined;
}

/** What a VCALENDAR says about itself that the objects cut from it keep. */
interface CalendarHead {
  prodid: string | undefined;
  calscale: string | undefined;
  timezones: Map<string, string>;
}

interface Group {
  uid: string | undefined;
  line: number;
  blocks: Block[];
  error: string | undefined;
}

export interface SplitCalendar {
  entries: SplitEntry[];
  /** X-WR-CALNAME of the (first) calendar: what calendar apps call it, a name for a new collection. */
  name: string | undefined;
  /** Components dropped because a later one had the same UID and RECURRENCE-ID (the later one is kept). */
  duplicates: number;
}

const PRODID = '-//Nymote//Nymote import//EN';

/** The splitter itself, fed logical lines; `finish` gives the objects. Used on files and on stored objects. */
export class ICalendarSplitter {
  private readonly stack: string[] = [];
  private readonly calendars: CalendarHead[] = [];
  private block: Block | undefined;
  private stray: Group | undefined;
  private readonly groups: Group[] = [];
  private readonly byUid = new Map<string, Group>();
  private name: string | undefined;
  private duplicates = 0;

  /** `onEntry` hears the number of objects found so far, each time it grows. */
  constructor(private readonly onEntry?: (count: number) => void) {}

  push(l: ContentLine): void {
    const depth = this.stack.length;
    if (depth === 0) return this.outside(l);
    const p = parseProperty(l.text);
    if (depth === 1) return this.inCalendar(l, p);
    const b = this.block!;
    b.raw.push(l.raw);
    if (l.bad && !b.error) b.error = l.bad;
    if (p.name === 'BEGIN') {
      this.stack.push(p.value.trim().toUpperCase());
      return;
    }
    if (p.name === 'END') return this.endInBlock(p.value.trim().toUpperCase(), l);
    if (depth === 2) {
      if (p.name === 'UID') b.uid = p.value;
      else if (p.name === 'RECURRENCE-ID') b.recurrenceId = p.value.trim();
      else if (p.name === 'TZID' && b.type === 'VTIMEZONE') b.tzid = p.value.trim();
    }
    const tzid = paramValue(p.params, 'TZID');
    if (tzid !== undefined) b.tzids.add(tzid);
  }

  private outside(l: ContentLine): void {
    const p = parseProperty(l.text);
    if (p.name === 'BEGIN' && p.value.trim().toUpperCase() === 'VCALENDAR') {
      this.stray = undefined;
      this.stack.push('VCALENDAR');
      this.calendars.push({ prodid: undefined, calscale: undefined, timezones: new Map() });
      return;
    }
    if (l.text.trim() === '') return;
    // Consecutive lines outside any VCALENDAR make one bad entry, so --skip-invalid can pass over them.
    if (!this.stray) {
      this.stray = { uid: undefined, line: l.line, blocks: [], error: `"${clip(l.text)}" is outside any BEGIN:VCALENDAR ... END:VCALENDAR` };
      this.groups.push(this.stray);
    }
  }

  private inCalendar(l: ContentLine, p: ReturnType<typeof parseProperty>): void {
    const cal = this.calendars[this.calendars.length - 1]!;
    switch (p.name) {
      case 'BEGIN': {
        const type = p.value.trim().toUpperCase();
        this.stack.push(type);
        this.block = {
          type, raw: [l.raw], line: l.line, calendar: this.calendars.length - 1,
          uid: undefined, recurrenceId: undefined, tzid: undefined, tzids: new Set(), error: l.bad,
        };
        return;
      }
      case 'END':
        if (p.value.trim().toUpperCase() === 'VCALENDAR') this.stack.pop();
        else this.groups.push({ uid: undefined, line: l.line, blocks: [], error: `END:${p.value.trim()} without its BEGIN` });
        return;
      case 'PRODID': cal.prodid = p.value; return;
      case 'CALSCALE': cal.calscale = p.value; return;
      case 'X-WR-CALNAME': this.name ??= unescapeText(p.value); return;
      // METHOD (an iTIP export says PUBLISH) and VERSION are not carried over: a stored object has no METHOD.
      default: return;
    }
  }

  private endInBlock(name: string, l: ContentLine): void {
    const b = this.block!;
    const top = this.stack[this.stack.length - 1]!;
    if (name !== top) {
      const at = this.stack.lastIndexOf(name);
      b.error ??= `END:${name} on line ${l.line} where END:${top} was expected`;
      if (at < 0) return;
      // The file skipped an END: close what it skipped, and the calendar too if that was its END.
      this.stack.length = at + 1;
    }
    this.stack.pop();
    if (this.stack.length === 1) this.finishBlock(b);
    else if (this.stack.length === 0) {
      b.raw.pop();
      this.finishBlock(b);
    }
  }

  private finishBlock(b: Block): void {
    this.block = undefined;
    if (b.type === 'VTIMEZONE' && !b.error) {
      const zones = this.calendars[b.calendar]!.timezones;
      if (b.tzid !== undefined && !zones.has(b.tzid)) zones.set(b.tzid, b.raw.join('\r\n'));
      return;
    }
    if (b.type === 'VTIMEZONE') {
      this.groups.push({ uid: undefined, line: b.line, blocks: [], error: `broken VTIMEZONE: ${b.error}` });
      return;
    }
    const uid = b.uid;
    const group = uid === undefined ? undefined : this.byUid.get(uid);
    if (!group) {
      const g: Group = { uid, line: b.line, blocks: [b], error: b.error };
      this.groups.push(g);
      if (uid !== undefined) this.byUid.set(uid, g);
      this.onEntry?.(this.groups.length);
      return;
    }
    if (b.error && !group.error) group.error = b.error;
    const same = group.blocks.findIndex((x) => x.recurrenceId === b.recurrenceId && x.type === b.type);
    if (same >= 0) {
      group.blocks[same] = b;
      this.duplicates++;
    } else {
      group.blocks.push(b);
    }
  }

  /** The UID of the first object: what a stored resource is known by. */
  firstUid(): string | undefined {
    return this.groups.find((g) => g.uid !== undefined)?.uid;
  }

  /** Every VTIMEZONE (by TZID, first definition kept) and every other component, as their lines: what an export joins. */
  pieces(): { timezones: Map<string, string>; components: string[] } {
    const timezones = new Map<string, string>();
    for (const c of this.calendars) for (const [id, text] of c.timezones) if (!timezones.has(id)) timezones.set(id, text);
    const components: string[] = [];
    for (const g of this.groups) for (const b of g.blocks) components.push(b.raw.join('\r\n'));
    return { timezones, components };
  }

  finish(): SplitCalendar {
    if (this.block) {
      const b = this.block;
      b.error ??= `END:${this.stack[this.stack.length - 1]} missing (the file ends inside a ${b.type} that starts on line ${b.line})`;
      this.stack.length = 2;
      this.finishBlock(b);
    }
    const entries = this.groups.map((g, i): SplitEntry => {
      const base = { entry: i + 1, line: g.line, uid: g.uid };
      return g.error !== undefined ? { ...base, text: '', error: g.error } : { ...base, text: this.objectText(g) };
    });
    return { entries, name: this.name, duplicates: this.duplicates };
  }

  /** One VCALENDAR holding the group's components and the time zones they use. */
  private objectText(g: Group): string {
    const first = this.calendars[g.blocks[0]!.calendar]!;
    const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', `PRODID:${first.prodid ?? PRODID}`];
    if (first.calscale !== undefined) lines.push(`CALSCALE:${first.calscale}`);
    const zones = new Set<string>();
    for (const b of g.blocks) for (const z of b.tzids) zones.add(z);
    for (const z of zones) {
      // The definition of the VCALENDAR the component came from, else any other in the file; a TZID
      // with none (clients often assume the IANA zones) is left for the reader, as a PUT would be.
      const own = g.blocks.find((b) => b.tzids.has(z));
      const def = this.calendars[own!.calendar]!.timezones.get(z) ?? this.calendars.find((c) => c.timezones.has(z))?.timezones.get(z);
      if (def !== undefined) lines.push(def);
    }
    for (const b of g.blocks) lines.push(b.raw.join('\r\n'));
    lines.push('END:VCALENDAR', '');
    return lines.join('\r\n');
  }
}

/** A TEXT value (RFC 5545 3.3.11) as plain text. */
function unescapeText(s: string): string {
  return s.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

/** Splits an iCalendar file or stream into calendar object resources, one per UID. */
export async function splitICalendar(source: ByteSource, onProgress?: ProgressListener): Promise<SplitCalendar> {
  const splitter = new ICalendarSplitter(onProgress && ((n) => { if (n % PROGRESS_STEP === 0) onProgress({ phase: 'parse', done: n }); }));
  await readLines(source, (l) => splitter.push(l));
  const result = splitter.finish();
  onProgress?.({ phase: 'parse', done: result.entries.length, total: result.entries.length });
  return result;
}
