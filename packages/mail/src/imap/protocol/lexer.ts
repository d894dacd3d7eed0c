/**
 * The lexical layer of the command grammar (RFC 3501 section 9, RFC 9051 section 9): a cursor over
 * one complete command as the reader framed it, and the primitives every command parser is built
 * from (atoms, numbers, quoted strings, literals, astrings, flags, dates). Every failure is a
 * ParseError naming what was expected and where.
 */
import { ParseError, snippet } from './errors.js';
import { decodeMailboxUtf7 } from './mutf7.js';
import type { SeqNumber, SeqRange, SequenceSet } from './sequence.js';
import { MAX_UID } from './sequence.js';

/**
 * One command as framed by the reader: its lines without CRLF, and the literal data between them.
 * Every line but the last ends with the literal announcement (`{n}`, `{n+}`, `~{n}`) whose data is
 * `literals[i]`, so `lines.length === literals.length + 1`.
 */
export interface RawCommand {
  lines: Uint8Array[];
  literals: Uint8Array[];
}

export interface ParseOptions {
  /**
   * Mailbox names are UTF-8 rather than modified UTF-7: true once the client enabled UTF8=ACCEPT
   * (RFC 6855) or IMAP4rev2 (RFC 9051). The session flips it after ENABLE.
   */
  utf8: boolean;
  /** Deepest nesting of parentheses, NOT and OR accepted (search keys, lists). */
  maxDepth: number;
}

export const defaultParseOptions: ParseOptions = { utf8: false, maxDepth: 32 };

const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

/** ATOM-CHAR: any CHAR except atom-specials `(){ SP CTL %*"\]` (RFC 3501 section 9). */
const ATOM = new Uint8Array(256);
for (let c = 0x21; c < 0x7f; c++) ATOM[c] = 1;
for (const c of '(){%*"\\]') ATOM[c.charCodeAt(0)] = 0;

export const isAtomChar = (c: number) => c >= 0 && ATOM[c] === 1;
/** ASTRING-CHAR: ATOM-CHAR or `]`. */
export const isAstringChar = (c: number) => c === 0x5d || isAtomChar(c);
/** list-char: ATOM-CHAR, list-wildcards or `]`. */
const isListChar = (c: number) => c === 0x25 || c === 0x2a || isAstringChar(c);

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** A date as IMAP writes it (`1-Feb-1994`): no time, no zone; month 1-12. */
export interface ImapDate { year: number; month: number; day: number }
/** An APPEND date-time (`"17-Jul-1996 02:44:25 -0700"`); zone in minutes east of UTC. */
export interface ImapDateTime extends ImapDate { hour: number; minute: number; second: number; zone: number }

/** The instant an ImapDateTime names. */
export function dateTimeToDate(d: ImapDateTime): Date {
  return new Date(Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute, d.second) - d.zone * 60_000);
}

// ignoreBOM: a U+FEFF at the start of a string is part of it (a password may start with one), not a byte-order mark.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class Cursor {
  private line = 0;
  private pos = 0;
  private depth = 0;
  /** For error messages: the command being parsed, e.g. `UID FETCH`. */
  context = '';
  tag: string | undefined;

  constructor(readonly raw: RawCommand, readonly options: ParseOptions) {}

  private get bytes(): Uint8Array {
    return this.raw.lines[this.line]!;
  }

  /** The current byte, or -1 at the end of a line (before a literal's data or the end). */
  peek(ahead = 0): number {
    const b = this.bytes;
    return this.pos + ahead < b.length ? b[this.pos + ahead]! : -1;
  }

  atEnd(): boolean {
    return this.line === this.raw.lines.length - 1 && this.pos >= this.bytes.length;
  }

  /** Byte offset in the command (lines only, literal data not counted), for error messages. */
  offset(): number {
    let n = this.pos;
    for (let i = 0; i < this.line; i++) n += this.raw.lines[i]!.length;
    return n;
  }

  error(message: string, extra: { status?: 'BAD' | 'NO'; code?: string } = {}): ParseError {
    return new ParseError(this.context ? `${this.context}: ${message}` : message, { tag: this.tag, command: this.context || undefined, ...extra });
  }

  /** Throws "expected X at position N, found ...". */
  fail(expected: string): never {
    const found = this.pos < this.bytes.length ? snippet(this.bytes.subarray(this.pos)) : this.line < this.raw.lines.length - 1 ? 'a literal' : 'end of command';
    throw this.error(`expected ${expected} at position ${this.offset()}, found ${found}`);
  }

  sp(what = 'a space'): void {
    if (this.peek() !== SP) this.fail(what);
    this.pos++;
  }

  trySp(): boolean {
    if (this.peek() !== SP) return false;
    this.pos++;
    return true;
  }

  tryChar(c: string): boolean {
    if (this.peek() !== c.charCodeAt(0)) return false;
    this.pos++;
    return true;
  }

  char(c: string, what = `"${c}"`): void {
    if (!this.tryChar(c)) this.fail(what);
  }

  end(): void {
    if (!this.atEnd()) this.fail('end of command');
  }

  /** Enters a nesting level (a parenthesised list, NOT, OR), refusing beyond maxDepth. */
  enter(): void {
    if (++this.depth > this.options.maxDepth) throw this.error(`nesting deeper than ${this.options.maxDepth} levels`);
  }

  leave(): void {
    this.depth--;
  }

  open(what = '"("'): void {
    this.char('(', what);
    this.enter();
  }

  close(what = '")"'): void {
    this.char(')', what);
    this.leave();
  }

  /** The longest run of bytes matching pred, as latin1 text (empty when none). */
  take(pred: (c: number) => boolean): string {
    const start = this.pos;
    const b = this.bytes;
    while (this.pos < b.length && pred(b[this.pos]!)) this.pos++;
    return latin1(b, start, this.pos);
  }

  /** An atom (1*ATOM-CHAR). */
  atom(what = 'an atom'): string {
    const s = this.take(isAtomChar);
    if (!s) this.fail(what);
    return s;
  }

  /** A keyword-like name: letters, digits, `.`, `-`, `=` (command names, fetch attributes, options), upper-cased. */
  word(what: string): string {
    const s = this.take((c) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0x3d || c === 0x5f);
    if (!s) this.fail(what);
    return s.toUpperCase();
  }

  /** Whether the next word is `kw` (case-insensitive) followed by a non-atom byte; consumes it if so. */
  tryWord(kw: string): boolean {
    const b = this.bytes;
    if (this.pos + kw.length > b.length) return false;
    for (let i = 0; i < kw.length; i++) {
      let c = b[this.pos + i]!;
      if (c >= 0x61 && c <= 0x7a) c -= 0x20;
      if (c !== kw.charCodeAt(i)) return false;
    }
    if (isAtomChar(this.peek(kw.length))) return false;
    this.pos += kw.length;
    return true;
  }

  private digits(what: string): string {
    const s = this.take((c) => c >= 0x30 && c <= 0x39);
    if (!s) this.fail(what);
    return s;
  }

  /** number (32-bit unsigned, RFC 3501) or, with max, a bounded one. */
  number(what = 'a number', max = MAX_UID): number {
    const d = this.digits(what);
    const n = d.length > 15 ? Infinity : Number(d);
    if (n > max) throw this.error(`${what} ${d.length > 20 ? d.slice(0, 20) + '...' : d} is out of range (at most ${max})`);
    return n;
  }

  nzNumber(what = 'a non-zero number', max = MAX_UID): number {
    const n = this.number(what, max);
    if (n === 0) throw this.error(`${what} must not be 0`);
    return n;
  }

  /** number64 / mod-sequence-value (RFC 9051, RFC 7162): up to 2^63-1. */
  number64(what = 'a number'): bigint {
    const d = this.digits(what);
    const n = d.length > 20 ? 1n << 64n : BigInt(d);
    if (n > 0x7fffffffffffffffn) throw this.error(`${what} is out of range (at most 2^63-1)`);
    return n;
  }

  /**
   * A literal's data if a literal starts here (`{n}`, `{n+}`, and `~{n}` when binary is allowed).
   * The reader framed it, so the announcement ends the line and its data is the next literal.
   */
  private literal(binaryAllowed: boolean): Uint8Array | null {
    const start = this.pos;
    const b = this.bytes;
    let p = start;
    if (b[p] === 0x7e) {
      if (!binaryAllowed) return null;
      p++;
    }
    if (b[p] !== 0x7b) return null;
    p++;
    const d0 = p;
    while (p < b.length && b[p]! >= 0x30 && b[p]! <= 0x39) p++;
    if (p === d0) return null;
    if (b[p] === 0x2b) p++;
    if (b[p] !== 0x7d) return null;
    p++;
    if (p !== b.length || this.line >= this.raw.lines.length - 1) {
      this.pos = start;
      this.fail('a literal announcement at the end of a line');
    }
    const data = this.raw.literals[this.line]!;
    this.line++;
    this.pos = 0;
    return data;
  }

  private quoted(): Uint8Array {
    const b = this.bytes;
    const start = this.pos;
    let p = start + 1;
    const out: number[] = [];
    for (;;) {
      if (p >= b.length) {
        this.pos = start;
        this.fail('a closing \'"\' of the quoted string');
      }
      const c = b[p]!;
      if (c === DQUOTE) break;
      if (c === BACKSLASH) {
        const n = b[p + 1];
        if (n !== DQUOTE && n !== BACKSLASH) {
          this.pos = p;
          this.fail('\\" or \\\\ in a quoted string');
        }
        out.push(n);
        p += 2;
        continue;
      }
      // CR, LF and NUL cannot be in a quoted string; 8-bit bytes are UTF-8 in IMAP4rev2 and UTF8=ACCEPT.
      if (c === 0 || c === 0x0d || c === 0x0a) {
        this.pos = p;
        this.fail('a character allowed in a quoted string');
      }
      out.push(c);
      p++;
    }
    this.pos = p + 1;
    return Uint8Array.from(out);
  }

  /** string = quoted / literal; null if neither starts here. */
  tryString(binaryAllowed = false): Uint8Array | null {
    const c = this.peek();
    if (c === DQUOTE) return this.quoted();
    if (c === 0x7b || (c === 0x7e && binaryAllowed)) return this.literal(binaryAllowed);
    return null;
  }

  string(what = 'a string'): Uint8Array {
    return this.tryString() ?? this.fail(what);
  }

  /** Whether the next item is a literal (`{` or `~{`), without consuming it. */
  atLiteral(): boolean {
    const c = this.peek();
    return c === 0x7b || (c === 0x7e && this.peek(1) === 0x7b);
  }

  /** A literal or literal8 (APPEND message data); binary tells which. */
  appendData(what = 'the message as a literal'): { data: Uint8Array; binary: boolean } {
    const binary = this.peek() === 0x7e;
    if (!this.atLiteral()) this.fail(what);
    return { data: this.literal(true)!, binary };
  }

  /** astring = 1*ASTRING-CHAR / string. */
  astringBytes(what = 'an atom or string'): Uint8Array {
    const s = this.tryString();
    if (s) return s;
    const start = this.pos;
    this.take(isAstringChar);
    if (this.pos === start) this.fail(what);
    return this.bytes.subarray(start, this.pos);
  }

  /** An astring as text: UTF-8 (rejecting invalid sequences, which no IMAP text may hold). */
  astring(what = 'an atom or string'): string {
    return this.utf8(this.astringBytes(what), what);
  }

  /** nstring = string / NIL. */
  nstring(what = 'a string or NIL'): string | null {
    const s = this.tryString();
    if (s) return this.utf8(s, what);
    if (this.tryWord('NIL')) return null;
    this.fail(what);
  }

  utf8(bytes: Uint8Array, what: string): string {
    try {
      return utf8Decoder.decode(bytes);
    } catch {
      throw this.error(`${what} is not valid UTF-8`);
    }
  }

  /**
   * A mailbox name: astring, decoded from modified UTF-7 unless UTF-8 names are on, with INBOX
   * in any case spelled INBOX (RFC 3501 section 5.1).
   */
  mailbox(what = 'a mailbox name'): string {
    return this.decodeMailbox(this.astring(what), what);
  }

  decodeMailbox(text: string, what = 'the mailbox name'): string {
    let name = text;
    if (!this.options.utf8) {
      const decoded = decodeMailboxUtf7(text);
      if (decoded === null) throw this.error(`${what.replace(/^an? /, 'the ')} ${JSON.stringify(text.slice(0, 40))} is not valid modified UTF-7 (RFC 3501 section 5.1.3; enable UTF8=ACCEPT to send UTF-8)`);
      name = decoded;
    }
    return name.toUpperCase() === 'INBOX' ? 'INBOX' : name;
  }

  /** list-mailbox = 1*list-char / string: a LIST pattern, wildcards `%` and `*` kept. */
  listMailbox(what = 'a mailbox pattern'): string {
    const s = this.tryString();
    let text: string;
    if (s) text = this.utf8(s, what);
    else {
      text = this.take(isListChar);
      if (!text) this.fail(what);
    }
    return this.decodeMailbox(text, what);
  }

  /** A flag: a system flag (canonical case) or a keyword atom; `\Recent` and unknown `\X` refused where stored. */
  flag(what = 'a flag'): string {
    if (this.tryChar('\\')) {
      const name = this.take(isAtomChar);
      const sys = SYSTEM_FLAGS.get(name.toUpperCase());
      if (!sys) {
        this.pos -= name.length + 1;
        if (!name) this.fail(what);
        throw this.error(`\\${name} is not a system flag (expected \\Answered, \\Flagged, \\Deleted, \\Seen or \\Draft, or a keyword)`);
      }
      return sys;
    }
    return this.atom(what);
  }

  /** flag-list = "(" [flag *(SP flag)] ")". */
  flagList(): string[] {
    this.open('a flag list "("');
    const flags: string[] = [];
    if (!this.tryChar(')')) {
      do flags.push(this.flag());
      while (this.trySp());
      this.close('")" or a space and another flag');
    } else this.leave();
    return flags;
  }

  /** A sequence set, `$` or `1:*,5,7:9`. */
  sequenceSet(what = 'a sequence set'): SequenceSet {
    if (this.tryChar('$')) return '$';
    const ranges: SeqRange[] = [];
    do {
      const start = this.seqNumber(what);
      const end = this.tryChar(':') ? this.seqNumber(what) : start;
      ranges.push({ start, end });
    } while (this.tryChar(','));
    return ranges;
  }

  private seqNumber(what: string): SeqNumber {
    if (this.tryChar('*')) return '*';
    if (!(this.peek() >= 0x30 && this.peek() <= 0x39)) this.fail(what);
    return this.nzNumber('a message number or UID (1 to 4294967295)');
  }

  /** A sequence set that may not be `$` (QRESYNC parameters, which SEARCHRES does not cover). */
  plainSequenceSet(what = 'a sequence set'): SeqRange[] {
    if (this.peek() === 0x24) this.fail(what + ' (not "$")');
    return this.sequenceSet(what) as SeqRange[];
  }

  /** date = date-text / DQUOTE date-text DQUOTE, date-text = day "-" Mon "-" year. */
  date(what = 'a date like 1-Feb-2024'): ImapDate {
    const q = this.tryChar('"');
    const day = this.number(what, 99);
    this.char('-', what);
    const month = this.month(what);
    this.char('-', what);
    const year = this.yearDigits(what);
    if (q) this.char('"', 'a closing \'"\' after the date');
    return this.checkDate({ year, month, day }, what);
  }

  private month(what: string): number {
    const m = MONTHS.indexOf(latin1(this.bytes, this.pos, this.pos + 3).toUpperCase());
    if (m < 0) this.fail(what);
    this.pos += 3;
    return m + 1;
  }

  private yearDigits(what: string): number {
    const start = this.pos;
    const y = this.number(what, 9999);
    if (this.pos - start !== 4) {
      this.pos = start;
      this.fail(`${what} (a 4-digit year)`);
    }
    return y;
  }

  private checkDate(d: ImapDate, what: string): ImapDate {
    const days = new Date(Date.UTC(d.year, d.month, 0)).getUTCDate();
    if (d.day < 1 || d.day > days) throw this.error(`expected ${what}, found the day ${d.day}, which ${MONTHS[d.month - 1]![0]}${MONTHS[d.month - 1]!.slice(1).toLowerCase()} ${d.year} does not have`);
    return d;
  }

  /** date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE. */
  dateTime(what = 'a date-time like "17-Jul-1996 02:44:25 -0700"'): ImapDateTime {
    this.char('"', what);
    if (this.peek() === SP) this.pos++;
    const day = this.number(what, 99);
    this.char('-', what);
    const month = this.month(what);
    this.char('-', what);
    const year = this.yearDigits(what);
    this.sp(what);
    const two = (max: number) => {
      const s = this.pos;
      const n = this.number(what, max);
      if (this.pos - s !== 2) {
        this.pos = s;
        this.fail(what);
      }
      return n;
    };
    const hour = two(23);
    this.char(':', what);
    const minute = two(59);
    this.char(':', what);
    const second = two(60);
    this.sp(what);
    const sign = this.peek();
    if (sign !== 0x2b && sign !== 0x2d) this.fail(`${what} (a zone like +0100)`);
    this.pos++;
    const zs = this.pos;
    const z = this.number(what, 9999);
    if (this.pos - zs !== 4 || z % 100 > 59) {
      this.pos = zs;
      this.fail(`${what} (a zone like +0100)`);
    }
    this.char('"', `a closing '"' after the date-time`);
    this.checkDate({ year, month, day }, what);
    return { year, month, day, hour, minute, second, zone: (sign === 0x2d ? -1 : 1) * (Math.floor(z / 100) * 60 + (z % 100)) };
  }
}

export const SYSTEM_FLAGS = new Map(['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft', '\\Recent'].map((f) => [f.slice(1).toUpperCase(), f]));

function latin1(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end && i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}
