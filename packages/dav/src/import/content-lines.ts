// Content lines of iCalendar (RFC 5545 3.1) and vCard (RFC 6350 3.2): bytes in, logical lines out,
// each with the physical text it came from (so a split object keeps the exact lines of the file)
// and the number of the line where it starts (so errors can name it).
import { isUtf8 } from 'node:buffer';

/** What an import reads: a stream of bytes (a file, stdin), a buffer, or text. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array | string;

/** One logical line: unfolded `text`, the physical lines as they were (`raw`, CRLF between them), where it starts. */
export interface ContentLine {
  text: string;
  raw: string;
  line: number;
  /** Set when the bytes were not UTF-8: the line cannot be trusted, so neither can its object. */
  bad?: string;
}

/** The parts of a content line: NAME;PARAMS:VALUE. The value starts at the first colon outside quotes. */
export interface Property {
  /** Upper case. */
  name: string;
  /** The text between the name and the colon, with its leading ";" ("" when none). */
  params: string;
  value: string;
}

export function parseProperty(text: string): Property {
  let i = 0;
  while (i < text.length && text[i] !== ';' && text[i] !== ':') i++;
  const name = text.slice(0, i).trim().toUpperCase();
  let quoted = false;
  let j = i;
  for (; j < text.length; j++) {
    const c = text[j];
    if (c === '"') quoted = !quoted;
    else if (c === ':' && !quoted) break;
  }
  return { name, params: text.slice(i, j), value: text.slice(j + 1) };
}

/** The value of parameter `param` (upper case) in a property's params, unquoted; undefined if absent. */
export function paramValue(params: string, param: string): string | undefined {
  if (!params) return undefined;
  const at = params.toUpperCase().indexOf(`;${param}=`);
  if (at < 0) return undefined;
  const rest = params.slice(at + param.length + 2);
  if (rest.startsWith('"')) {
    const end = rest.indexOf('"', 1);
    return rest.slice(1, end < 0 ? undefined : end);
  }
  const end = rest.search(/[;,]/);
  return end < 0 ? rest : rest.slice(0, end);
}

/**
 * Turns physical lines into logical ones: a line starting with a space or a tab continues the one
 * before (folding). Feed it with `push`, then `end`; it calls `emit` for each finished line.
 */
export class Unfolder {
  private current: ContentLine | undefined;

  constructor(private readonly emit: (line: ContentLine) => void) {}

  push(physical: string, line: number, bad?: string): void {
    const c = physical.charCodeAt(0);
    if ((c === 0x20 || c === 0x09) && this.current) {
      this.current.text += physical.slice(1);
      this.current.raw += `\r\n${physical}`;
      if (bad && !this.current.bad) this.current.bad = bad;
      return;
    }
    if (this.current) this.emit(this.current);
    this.current = bad ? { text: physical, raw: physical, line, bad } : { text: physical, raw: physical, line };
  }

  end(): void {
    if (this.current) this.emit(this.current);
    this.current = undefined;
  }
}

/** Feeds every logical line of a text (already decoded) to `emit`. */
export function linesOfText(text: string, emit: (line: ContentLine) => void): void {
  const unfold = new Unfolder(emit);
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let n = 0;
  while (start < text.length) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    const end = nl > start && text.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl;
    unfold.push(text.slice(start, end), ++n);
    start = nl + 1;
  }
  unfold.end();
}

function isIterable(x: unknown): x is Iterable<Uint8Array> {
  return typeof (x as Iterable<Uint8Array>)[Symbol.iterator] === 'function';
}

/**
 * Reads `source` line by line as it arrives and feeds every logical line to `emit`. Each chunk's whole
 * lines are decoded at once when they are valid UTF-8 (the usual case); otherwise line by line, so a
 * stray byte spoils only its own line (and the object holding it).
 */
export async function readLines(source: ByteSource, emit: (line: ContentLine) => void): Promise<void> {
  if (typeof source === 'string') return linesOfText(source, emit);
  const unfold = new Unfolder(emit);
  let n = 0;
  let first = true;
  const text = (t: string) => {
    let start = 0;
    while (start < t.length) {
      let nl = t.indexOf('\n', start);
      if (nl < 0) nl = t.length;
      unfold.push(t.slice(start, nl > start && t.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl), ++n);
      start = nl + 1;
    }
  };
  const bytes = (b: Buffer) => {
    if (first) {
      first = false;
      if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
    }
    if (isUtf8(b)) return text(b.toString('utf8'));
    for (let start = 0; start < b.length;) {
      let nl = b.indexOf(0x0a, start);
      if (nl < 0) nl = b.length;
      const line = b.subarray(start, nl > start && b[nl - 1] === 0x0d ? nl - 1 : nl);
      ++n;
      unfold.push(line.toString('utf8'), n, isUtf8(line) ? undefined : `line ${n} is not valid UTF-8`);
      start = nl + 1;
    }
  };
  let pending: Buffer = Buffer.alloc(0);
  const take = (chunk: Uint8Array) => {
    const buf = pending.length ? Buffer.concat([pending, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const last = buf.lastIndexOf(0x0a);
    if (last < 0) {
      pending = Buffer.from(buf);
      return;
    }
    bytes(buf.subarray(0, last + 1));
    // Copied: the caller may reuse its chunk's memory once we return.
    pending = Buffer.from(buf.subarray(last + 1));
  };
  if (source instanceof Uint8Array) take(source);
  else if (isIterable(source)) for (const chunk of source) take(chunk);
  else for await (const chunk of source) take(chunk);
  if (pending.length) bytes(pending);
  unfold.end();
}
