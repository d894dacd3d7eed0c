// Reading mbox files (RFC 4155): messages separated by "From " lines, with mboxrd's ">From " quoting
// undone, line ends made CRLF (RFC 5322), and what mail programs keep in Status / X-Status turned into
// IMAP flags.

export interface MboxMessage {
  raw: Buffer;
  /** From the "From " line's date, ISO 8601 UTC; undefined if it has none that parses. */
  internalDate: string | undefined;
  flags: string[];
  /** The line of the file the message starts on (1-based), for errors. */
  line: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The date of a "From sender Thu Nov 26 10:00:00 2026" line (asctime, UTC by convention). */
export function fromLineDate(line: string): string | undefined {
  const m = /(\w{3}) +(\d{1,2}) +(\d{1,2}):(\d\d)(?::(\d\d))? +(?:[A-Z]{3,4} +|[+-]\d{4} +)?(\d{4})\s*$/.exec(line);
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[1]!);
  if (month < 0) return undefined;
  const ms = Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5] ?? 0));
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

/** IMAP flags from the Status and X-Status headers mutt, Thunderbird and others write into mbox files. */
export function mboxFlags(header: string): string[] {
  const flags: string[] = [];
  const status = /^Status:[ \t]*(\S*)/im.exec(header)?.[1] ?? '';
  const xstatus = /^X-Status:[ \t]*(\S*)/im.exec(header)?.[1] ?? '';
  if (status.includes('R')) flags.push('\\Seen');
  if (xstatus.includes('A')) flags.push('\\Answered');
  if (xstatus.includes('F')) flags.push('\\Flagged');
  if (xstatus.includes('T')) flags.push('\\Draft');
  if (xstatus.includes('D')) flags.push('\\Deleted');
  return flags;
}

/** The messages of an mbox file, read as a stream of chunks (a file of any size, one message in memory). */
export async function* readMbox(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<MboxMessage> {
  let pending = Buffer.alloc(0);
  let lines: Buffer[] = [];
  let fromLine = '';
  let start = 0;
  let lineNo = 0;
  let previousBlank = true;
  const finish = (): MboxMessage | undefined => {
    if (lines.length === 0 && fromLine === '') return undefined;
    // The blank line before the next "From " belongs to the separator, not the message.
    if (lines.length > 0 && lines[lines.length - 1]!.length === 0) lines.pop();
    const raw = Buffer.concat(lines.flatMap((l) => [l, CRLF]));
    const headerEnd = raw.indexOf('\r\n\r\n');
    const header = raw.subarray(0, headerEnd < 0 ? raw.length : headerEnd).toString('latin1');
    return { raw, internalDate: fromLineDate(fromLine), flags: mboxFlags(header), line: start };
  };
  const take = function* (line: Buffer): Generator<MboxMessage> {
    lineNo++;
    const text = line.subarray(0, 5).toString('latin1');
    if (text === 'From ' && previousBlank) {
      const done = finish();
      if (done && (done.raw.length > 0 || fromLine !== '')) yield done;
      fromLine = line.toString('latin1');
      lines = [];
      start = lineNo;
      previousBlank = false;
      return;
    }
    // mboxrd: a line ">From ", ">>From ", … lost one ">" when it was written.
    const unquoted = line[0] === 0x3e && /^>+From /.test(line.subarray(0, 64).toString('latin1')) ? line.subarray(1) : line;
    lines.push(unquoted);
    previousBlank = line.length === 0;
  };
  for await (const chunk of chunks) {
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
    let from = 0;
    for (;;) {
      const nl = pending.indexOf(10, from);
      if (nl < 0) break;
      const end = nl > from && pending[nl - 1] === 13 ? nl - 1 : nl;
      yield* take(pending.subarray(from, end));
      from = nl + 1;
    }
    pending = pending.subarray(from);
  }
  if (pending.length > 0) yield* take(pending);
  const last = finish();
  if (last && (last.raw.length > 0 || fromLine !== '')) yield last;
}

const CRLF = Buffer.from('\r\n');
