/**
 * The streaming command reader: bytes in as they come off the socket, split anywhere, and events
 * out, one at a time when the session asks (pull), so the session decides when to read on: after
 * IDLE or AUTHENTICATE it switches to raw lines before anything more is interpreted, and after
 * STARTTLS it drops what was pipelined in plaintext (discardBuffered).
 *
 * Framing (RFC 3501 section 4.3, RFC 9051 section 4.3, RFC 7888): a command is lines ending in
 * CRLF (a bare LF is accepted); a line ending with `{n}`, `{n+}`, `~{n}` or `~{n+}` is followed by
 * n bytes of literal data and the command goes on after them. Every byte the reader keeps is
 * bounded by the limits below; past a limit it answers with an error event and then skips the rest
 * of the command without keeping it, or, when it cannot know where the command ends within
 * maxDiscard bytes, says the connection must be closed.
 */
import type { Command } from './commands.js';
import { commandPrefix, parseCommand } from './commands.js';
import { ParseError } from './errors.js';
import { defaultParseOptions } from './lexer.js';
import type { ParseOptions, RawCommand } from './lexer.js';

export interface ReaderLimits {
  /** Bytes of one command's lines, CRLFs and literal data not counted (also one raw line). Default 64 KiB. */
  maxLineLength: number;
  /** Bytes of literal data in one command other than APPEND, all its literals together. Default 64 KiB. */
  maxLiteralSize: number;
  /** Bytes of one APPEND message (advertise it as APPENDLIMIT, RFC 7889). Default 50 MiB. */
  maxAppendSize: number;
  /** Bytes of literal data in one APPEND command, all messages of a MULTIAPPEND together. Default maxAppendSize. */
  maxAppendTotal: number;
  /**
   * Bytes the reader will read and throw away to get past a rejected command (an over-long line,
   * a refused non-synchronising literal) before giving up and asking to close. Default 64 MiB.
   */
  maxDiscard: number;
  /**
   * Only LITERAL- is advertised (RFC 7888 section 4): a non-synchronising literal over 4096 bytes
   * is refused with BAD [TOOBIG]. Default false (LITERAL+: any size up to the limits above).
   */
  literalMinus: boolean;
}

export const defaultReaderLimits: ReaderLimits = {
  maxLineLength: 64 * 1024,
  maxLiteralSize: 64 * 1024,
  maxAppendSize: 50 * 1024 * 1024,
  maxAppendTotal: 50 * 1024 * 1024,
  maxDiscard: 64 * 1024 * 1024,
  literalMinus: false,
};

/** The largest non-synchronising literal LITERAL- allows (RFC 7888 section 4). */
export const LITERAL_MINUS_MAX = 4096;

export type ReaderEvent =
  /** A complete, parsed command. */
  | { type: 'command'; command: Command }
  /**
   * A synchronising literal was announced and is within the limits: send a continuation request
   * (`+ Ready`) and call next() again, or call refuseLiteral() and answer the tagged NO/BAD yourself.
   */
  | { type: 'continue'; tag: string | undefined; command: string | undefined; size: number; binary: boolean }
  /**
   * Answer `${tag ?? '*'} ${status} [code] message` (formatError does it); then, if error.close,
   * close the connection (after `* BYE`): the reader reads nothing more.
   */
  | { type: 'error'; error: ParseError }
  /** In line mode: one line, CRLF removed (an AUTHENTICATE response, IDLE's DONE). */
  | { type: 'line'; line: Uint8Array };

export type ReaderMode = 'command' | 'line';

type State =
  /** Collecting a line. */
  | 'line'
  /** Collecting literal data. */
  | 'literal'
  /** Throwing away the data of a refused literal. */
  | 'skip-literal'
  /** Throwing away the rest of a refused command's line. */
  | 'skip-line'
  | 'closed';

interface Announcement { size: number; nonSync: boolean; binary: boolean }

/**
 * A literal announcement ending a line: `{digits}` or `{digits+}`, `~` before for literal8. Sizes
 * too long to be a safe integer are Infinity, so every limit refuses them.
 */
export function literalAnnouncement(line: Uint8Array): Announcement | null {
  let p = line.length - 1;
  if (line[p] !== 0x7d) return null;
  p--;
  const nonSync = line[p] === 0x2b;
  if (nonSync) p--;
  const end = p + 1;
  while (p >= 0 && line[p]! >= 0x30 && line[p]! <= 0x39) p--;
  if (p === end - 1 || line[p] !== 0x7b) return null;
  const digits = Buffer.from(line.subarray(p + 1, end)).toString('latin1');
  const binary = p > 0 && line[p - 1] === 0x7e;
  const size = digits.length > 15 ? Infinity : Number(digits);
  return { size, nonSync, binary };
}

/** The last n bytes of a list of parts (parts may be a byte each when the client trickles). */
function lastBytes(parts: Buffer[], n: number): Buffer {
  const picked: Buffer[] = [];
  let total = 0;
  for (let i = parts.length - 1; i >= 0 && total < n; i--) {
    picked.unshift(parts[i]!);
    total += parts[i]!.length;
  }
  const b = Buffer.concat(picked);
  return b.subarray(Math.max(0, b.length - n));
}

export class CommandReader {
  readonly limits: ReaderLimits;
  /** Parser options; the session sets utf8 once UTF8=ACCEPT or IMAP4rev2 is enabled. */
  readonly parseOptions: ParseOptions;
  mode: ReaderMode = 'command';

  private queue: Buffer[] = [];
  private queueOffset = 0;
  private queued = 0;
  private state: State = 'line';

  /** The line being collected. */
  private lineParts: Buffer[] = [];
  private lineLength = 0;
  /** The command being collected: lines and literals so far. */
  private lines: Uint8Array[] = [];
  private literals: Uint8Array[] = [];
  private commandLineBytes = 0;
  private commandLiteralBytes = 0;
  /** The literal being collected or skipped. */
  private literalParts: Buffer[] = [];
  private remaining = 0;
  /** While skipping: the last bytes of the skipped line (to see a literal announcement) and the count. */
  private tail: Buffer = Buffer.alloc(0);
  private discarded = 0;
  /** The last event was 'continue' and the session has not refused. */
  private awaitingContinuation = false;

  constructor(options: { limits?: Partial<ReaderLimits>; parse?: Partial<ParseOptions> } = {}) {
    this.limits = { ...defaultReaderLimits, ...options.limits };
    this.parseOptions = { ...defaultParseOptions, ...options.parse };
  }

  /** Bytes pushed and not yet read by next(). */
  get buffered(): number {
    return this.queued;
  }

  /** Whether the reader has stopped for good (a fatal error was reported). */
  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Adds bytes from the connection. Nothing is parsed until next(). */
  push(chunk: Uint8Array): void {
    if (this.state === 'closed' || chunk.length === 0) return;
    this.queue.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.queued += chunk.length;
  }

  /**
   * Drops every byte pushed and not yet read, and any partial command; returns how many bytes.
   * Call it after answering STARTTLS: bytes sent before the TLS handshake must not be taken as
   * commands (the plaintext command injection of CVE-2011-0411).
   */
  discardBuffered(): number {
    const n = this.queued + this.lineLength;
    this.queue = [];
    this.queueOffset = 0;
    this.queued = 0;
    if (this.state !== 'closed') this.state = 'line';
    this.resetCommand();
    return n;
  }

  /**
   * After a 'continue' event: the session will not accept the literal (it answers the tagged NO or
   * BAD itself). The client then abandons the command (RFC 3501 section 7.5), so the reader
   * expects a new command next.
   */
  refuseLiteral(): void {
    if (!this.awaitingContinuation) throw new Error('refuseLiteral() is only valid right after a continue event');
    this.awaitingContinuation = false;
    this.resetCommand();
    this.state = 'line';
  }

  /** The next event, or null when more bytes are needed. */
  next(): ReaderEvent | null {
    this.awaitingContinuation = false;
    for (;;) {
      if (this.state === 'closed') return null;
      if (this.state === 'literal' && this.remaining === 0) {
        this.finishLiteral();
        continue;
      }
      const chunk = this.queue[0];
      if (!chunk) return null;
      let event: ReaderEvent | null = null;
      switch (this.state) {
        case 'line':
          event = this.readLine(chunk);
          break;
        case 'literal': {
          const n = Math.min(this.remaining, chunk.length - this.queueOffset);
          this.literalParts.push(chunk.subarray(this.queueOffset, this.queueOffset + n));
          this.consume(n);
          this.remaining -= n;
          break;
        }
        case 'skip-literal': {
          const n = Math.min(this.remaining, chunk.length - this.queueOffset);
          this.consume(n);
          this.remaining -= n;
          if (this.remaining === 0) this.state = 'skip-line';
          break;
        }
        case 'skip-line':
          event = this.skipLine(chunk);
          break;
      }
      if (event) return event;
    }
  }

  private consume(n: number): void {
    this.queueOffset += n;
    this.queued -= n;
    if (this.queueOffset >= this.queue[0]!.length) {
      this.queue.shift();
      this.queueOffset = 0;
    }
  }

  private resetCommand(): void {
    this.lineParts = [];
    this.lineLength = 0;
    this.lines = [];
    this.literals = [];
    this.commandLineBytes = 0;
    this.commandLiteralBytes = 0;
    this.literalParts = [];
    this.remaining = 0;
  }

  private finishLiteral(): void {
    const data = this.literalParts.length === 1 ? this.literalParts[0]! : Buffer.concat(this.literalParts);
    this.literals.push(data);
    this.commandLiteralBytes += data.length;
    this.literalParts = [];
    this.state = 'line';
  }

  private readLine(chunk: Buffer): ReaderEvent | null {
    const lf = chunk.indexOf(0x0a, this.queueOffset);
    const end = lf < 0 ? chunk.length : lf;
    const part = chunk.subarray(this.queueOffset, end);
    this.consume(end - this.queueOffset + (lf < 0 ? 0 : 1));
    if (this.commandLineBytes + this.lineLength + part.length > this.limits.maxLineLength + 1) return this.lineTooLong(part, lf >= 0);
    this.lineParts.push(part);
    this.lineLength += part.length;
    if (lf < 0) return null;
    let line = this.lineParts.length === 1 ? this.lineParts[0]! : Buffer.concat(this.lineParts);
    this.lineParts = [];
    this.lineLength = 0;
    if (line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    if (this.commandLineBytes + line.length > this.limits.maxLineLength) return this.lineTooLong(Buffer.alloc(0), true, line);
    return this.endOfLine(line);
  }

  /**
   * The command's lines passed maxLineLength: report it now (the client may still be sending) and
   * skip to the end of the line, where a literal announcement decides how much more to skip.
   */
  private lineTooLong(rest: Buffer, sawLf: boolean, whole?: Buffer): ReaderEvent {
    const first = this.lines[0] ?? whole ?? Buffer.concat([...this.lineParts, rest]).subarray(0, 256);
    const { tag, name } = this.mode === 'command' ? commandPrefix(first) : {};
    const last = whole ?? lastBytes([...this.lineParts, rest], 32);
    this.resetCommand();
    this.tail = Buffer.from(last.subarray(Math.max(0, last.length - 32)));
    this.discarded = 0;
    this.state = 'skip-line';
    const error = new ParseError(`${this.mode === 'line' ? 'line' : 'command line'} longer than ${this.limits.maxLineLength} bytes`, { tag, command: name, code: 'TOOBIG' });
    // The line is over: what follows it (a literal to skip, or the next command) is decided now;
    // if that is a literal too big to skip, the fatal error replaces this one.
    return (sawLf ? this.endSkippedLine() : null) ?? { type: 'error', error };
  }

  private skipLine(chunk: Buffer): ReaderEvent | null {
    const lf = chunk.indexOf(0x0a, this.queueOffset);
    const end = lf < 0 ? chunk.length : lf;
    const part = chunk.subarray(this.queueOffset, end);
    this.consume(end - this.queueOffset + (lf < 0 ? 0 : 1));
    this.discarded += part.length;
    this.tail = Buffer.concat([this.tail, part.subarray(Math.max(0, part.length - 32))]);
    this.tail = this.tail.subarray(Math.max(0, this.tail.length - 32));
    if (this.discarded > this.limits.maxDiscard) return this.fatal(`no end of line within ${this.limits.maxDiscard} bytes of a rejected command`);
    if (lf < 0) return null;
    return this.endSkippedLine();
  }

  /** A skipped line ended: skip the literal it announces, if non-synchronising, or stop skipping. */
  private endSkippedLine(): ReaderEvent | null {
    let tail = this.tail;
    if (tail[tail.length - 1] === 0x0d) tail = tail.subarray(0, tail.length - 1);
    const a = this.mode === 'command' ? literalAnnouncement(tail) : null;
    this.tail = Buffer.alloc(0);
    // A synchronising literal in a rejected command is never sent: the client waits for "+", gets
    // the tagged response instead and abandons the command.
    if (!a || !a.nonSync) {
      this.state = 'line';
      return null;
    }
    this.discarded += a.size;
    if (this.discarded > this.limits.maxDiscard) return this.fatal(`a rejected command goes on with a ${a.size}-byte literal`);
    this.remaining = a.size;
    this.state = 'skip-literal';
    return null;
  }

  private fatal(message: string, extra: { tag?: string; command?: string; code?: string } = {}): ReaderEvent {
    this.state = 'closed';
    this.queue = [];
    this.queued = 0;
    this.resetCommand();
    return { type: 'error', error: new ParseError(message, { ...extra, close: true }) };
  }

  private endOfLine(line: Buffer): ReaderEvent | null {
    if (this.mode === 'line') return { type: 'line', line };
    // Stray empty lines between commands are ignored rather than answered.
    if (line.length === 0 && this.lines.length === 0) return null;
    this.lines.push(line);
    this.commandLineBytes += line.length;
    const a = literalAnnouncement(line);
    if (!a) {
      const raw: RawCommand = { lines: this.lines, literals: this.literals };
      this.resetCommand();
      return this.parse(raw);
    }
    const { tag, name } = commandPrefix(this.lines[0]!);
    const append = name === 'APPEND';
    const l = this.limits;
    let refusal: ParseError | undefined;
    if (a.nonSync && l.literalMinus && a.size > LITERAL_MINUS_MAX) {
      refusal = new ParseError(`non-synchronizing literal of ${a.size} bytes is over the ${LITERAL_MINUS_MAX} bytes LITERAL- allows; send it as a synchronizing literal`, { tag, command: name, code: 'TOOBIG' });
    } else if (append && (a.size > l.maxAppendSize || this.commandLiteralBytes + a.size > l.maxAppendTotal)) {
      const what = a.size > l.maxAppendSize ? `message of ${a.size} bytes is over the limit of ${l.maxAppendSize}` : `messages of this APPEND are over the limit of ${l.maxAppendTotal} bytes in all`;
      refusal = new ParseError(what, { tag, command: name, status: 'NO', code: 'TOOBIG' });
    } else if (!append && this.commandLiteralBytes + a.size > l.maxLiteralSize) {
      refusal = new ParseError(`literal of ${a.size} bytes is over the limit of ${l.maxLiteralSize} bytes for ${name ?? 'this command'}`, { tag, command: name, status: 'NO', code: 'TOOBIG' });
    }
    if (refusal) {
      this.resetCommand();
      if (!a.nonSync) {
        this.state = 'line';
        return { type: 'error', error: refusal };
      }
      // RFC 7888 section 4: the client has sent, or is sending, the data anyway. It is not a command:
      // skip it and the rest of the command, or close when that is more than maxDiscard bytes.
      if (a.size > l.maxDiscard) return this.fatal(refusal.message, { tag, command: name, code: 'TOOBIG' });
      this.discarded = a.size;
      this.remaining = a.size;
      this.state = 'skip-literal';
      return { type: 'error', error: refusal };
    }
    this.remaining = a.size;
    this.literalParts = [];
    this.state = 'literal';
    if (a.nonSync) return null;
    this.awaitingContinuation = true;
    return { type: 'continue', tag, command: name, size: a.size, binary: a.binary };
  }

  private parse(raw: RawCommand): ReaderEvent {
    try {
      return { type: 'command', command: parseCommand(raw, this.parseOptions) };
    } catch (e) {
      if (e instanceof ParseError) return { type: 'error', error: e };
      // A bug in a command parser must not take the connection down with it.
      const { tag, name } = commandPrefix(raw.lines[0]!);
      return { type: 'error', error: new ParseError(`could not parse the command (${e instanceof Error ? e.message : String(e)})`, { tag, command: name }) };
    }
  }
}
