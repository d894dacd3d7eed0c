/**
 * The response writer (RFC 3501 / RFC 9051 section 7): values, status and data responses, and
 * response codes, as Buffers. Literal data is copied byte for byte, never re-encoded; text is
 * UTF-8. Nothing here checks that a response is right for the session's state: that is the
 * session's job.
 */
import type { ImapValue } from '../value.js';
import type { ParseError } from './errors.js';
import type { FetchItem } from './fetch-items.js';
import { fetchItemName } from './fetch-items.js';
import { encodeMailboxUtf7 } from './mutf7.js';
import { compressSequenceSet } from './sequence.js';

/** An ImapValue, or bytes to send as literal8 (`~{n}`, BINARY fetch data that may hold NUL). */
export type WireValue = ImapValue | { literal8: Uint8Array } | WireValue[];

export interface WriterOptions {
  /**
   * The client enabled UTF8=ACCEPT or IMAP4rev2: quoted strings may carry UTF-8. Otherwise a
   * string with non-ASCII characters goes as a literal of its UTF-8 bytes.
   */
  utf8?: boolean;
  /** Strings longer than this (in UTF-16 units) go as literals. Default 1024. */
  maxQuoted?: number;
}

/** Collects text and byte pieces of a response; text pieces are joined before encoding. */
class Out {
  readonly parts: Buffer[] = [];
  private text = '';
  put(s: string): void {
    this.text += s;
  }
  bytes(b: Uint8Array): void {
    this.flush();
    this.parts.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  }
  private flush(): void {
    if (this.text) this.parts.push(Buffer.from(this.text, 'utf8'));
    this.text = '';
  }
  toBuffer(): Buffer {
    this.flush();
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
  }
}

/** Whether a string can be sent quoted: no CR, LF, NUL or other controls; 8-bit only with utf8. */
function quotable(s: string, o: WriterOptions): boolean {
  if (s.length > (o.maxQuoted ?? 1024)) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
    if (c > 0x7f && (!o.utf8 || (c >= 0x80 && c < 0xa0))) return false;
    // A lone surrogate would not survive UTF-8 encoding.
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    }
  }
  return true;
}

/** `"..."` with `"` and `\` escaped; the caller checked quotable(). */
export function quote(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

function write(out: Out, v: WireValue, o: WriterOptions): void {
  if (v === null) out.put('NIL');
  else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`IMAP numbers are non-negative integers, not ${v}`);
    out.put(String(v));
  } else if (typeof v === 'bigint') {
    if (v < 0n) throw new RangeError(`IMAP numbers are non-negative integers, not ${v}`);
    out.put(v.toString());
  } else if (typeof v === 'string') {
    if (quotable(v, o)) out.put(quote(v));
    else {
      const bytes = Buffer.from(v, 'utf8');
      out.put(`{${bytes.length}}\r\n`);
      out.bytes(bytes);
    }
  } else if (v instanceof Uint8Array) {
    out.put(`{${v.length}}\r\n`);
    out.bytes(v);
  } else if (Array.isArray(v)) {
    out.put('(');
    v.forEach((x, i) => {
      if (i) out.put(' ');
      write(out, x, o);
    });
    out.put(')');
  } else if ('atom' in v) out.put(v.atom);
  else {
    out.put(`~{${v.literal8.length}}\r\n`);
    out.bytes(v.literal8);
  }
}

/** One value in wire form, e.g. `("a" NIL {3}\r\nxyz)`. */
export function encodeValue(v: WireValue, options: WriterOptions = {}): Buffer {
  const out = new Out();
  write(out, v, options);
  return out.toBuffer();
}

export const atom = (text: string): { atom: string } => ({ atom: text });

/** Response text cannot hold CR or LF; a client-supplied snippet must not end the line early. */
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');

function status(prefix: string, state: string, text: string, code?: string): Buffer {
  const c = code ? `[${oneLine(code).replace(/\]/g, '')}] ` : '';
  // A text starting with "[" would read as a response code.
  const t = oneLine(text) || state;
  return Buffer.from(`${prefix} ${state} ${c}${!code && t.startsWith('[') ? ' ' : ''}${t}\r\n`, 'utf8');
}

/** `tag OK [code] text`, the command's completion. */
export function tagged(tag: string, state: 'OK' | 'NO' | 'BAD', text: string, code?: string): Buffer {
  return status(tag, state, text, code);
}

/** `* OK|NO|BAD|BYE|PREAUTH [code] text`. */
export function untaggedStatus(state: 'OK' | 'NO' | 'BAD' | 'BYE' | 'PREAUTH', text: string, code?: string): Buffer {
  return status('*', state, text, code);
}

/**
 * `* <text> <values...>`: text is written as is (`5 EXISTS`, `FLAGS`, `LIST`), values encoded,
 * separated by spaces.
 */
export function untagged(text: string, ...values: WireValue[]): Buffer {
  const out = new Out();
  out.put(`* ${text}`);
  for (const v of values) {
    out.put(' ');
    write(out, v, {});
  }
  out.put('\r\n');
  return out.toBuffer();
}

/** Same as untagged with writer options (UTF-8 quoted strings). */
export function untaggedWith(options: WriterOptions, text: string, ...values: WireValue[]): Buffer {
  const out = new Out();
  out.put(`* ${text}`);
  for (const v of values) {
    out.put(' ');
    write(out, v, options);
  }
  out.put('\r\n');
  return out.toBuffer();
}

/** `+ text`, a continuation request (a synchronising literal, IDLE). */
export function continuation(text = 'Ready'): Buffer {
  return Buffer.from(`+ ${oneLine(text)}\r\n`, 'utf8');
}

/** `+ base64`, a SASL challenge (an empty challenge is `+ `). */
export function continuationBase64(challenge: Uint8Array): Buffer {
  return Buffer.from(`+ ${Buffer.from(challenge).toString('base64')}\r\n`, 'latin1');
}

/**
 * Decodes a client's AUTHENTICATE response line: bytes, or 'cancel' for `*` (RFC 3501 section
 * 6.2.2), or null when it is not base64 (answer BAD and end the exchange).
 */
export function decodeSaslResponse(line: Uint8Array): Uint8Array | 'cancel' | null {
  const text = Buffer.from(line).toString('latin1');
  if (text === '*') return 'cancel';
  if (text === '' || text === '=') return new Uint8Array(0);
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) return null;
  return Buffer.from(text, 'base64');
}

/** The answer to a reader error event: `tag BAD [code] reason`, untagged when no tag was read. */
export function formatError(error: ParseError): Buffer {
  return status(error.tag ?? '*', error.status, error.message, error.code);
}

/** Response codes (the text between brackets), for tagged() and untaggedStatus(). */
export const codes = {
  uidNext: (n: number) => `UIDNEXT ${n}`,
  uidValidity: (n: number) => `UIDVALIDITY ${n}`,
  unseen: (n: number) => `UNSEEN ${n}`,
  highestModseq: (n: bigint | number) => `HIGHESTMODSEQ ${n}`,
  appendLimit: (n: number) => `APPENDLIMIT ${n}`,
  permanentFlags: (flags: string[]) => `PERMANENTFLAGS (${flags.join(' ')})`,
  capability: (caps: string[]) => `CAPABILITY ${caps.join(' ')}`,
  badCharset: (charsets: string[] = []) => (charsets.length ? `BADCHARSET (${charsets.join(' ')})` : 'BADCHARSET'),
  /** APPENDUID (RFC 4315): one UID, or several in order for MULTIAPPEND. */
  appendUid: (uidValidity: number, uids: number[]) => `APPENDUID ${uidValidity} ${compressSequenceSet(uids, { keepOrder: true })}`,
  /** COPYUID (RFC 4315): source and destination UIDs pair up in order, so order is kept. */
  copyUid: (uidValidity: number, source: number[], destination: number[]) =>
    `COPYUID ${uidValidity} ${compressSequenceSet(source, { keepOrder: true })} ${compressSequenceSet(destination, { keepOrder: true })}`,
  /** MODIFIED (RFC 7162): the messages STORE UNCHANGEDSINCE did not change. */
  modified: (set: number[]) => `MODIFIED ${compressSequenceSet(set)}`,
};

/** A mailbox name as a value: modified UTF-7 unless the client uses UTF-8 names. */
export function mailboxName(name: string, utf8 = false): string {
  return utf8 ? name : encodeMailboxUtf7(name);
}

/** A list of flags (or attributes) as atoms: `(\Seen $Forwarded)`. */
export function flagList(flags: Iterable<string>): WireValue[] {
  return Array.from(flags, atom);
}

/**
 * The value flagList(flags) writes, `(\\Seen $Label)`, as one verbatim token built in one string: a
 * FETCH of FLAGS writes one per message. `flags` are atoms already (stored flags are checked when set).
 */
export function flagListToken(flags: readonly string[]): { atom: string } {
  return { atom: `(${flags.join(' ')})` };
}

/**
 * `* <seq> FETCH (<name> <value> ...)`: items by FetchItem (named as the response names them,
 * PEEK dropped, `<origin>` kept) or by name for what the session adds (`UID`, `MODSEQ`).
 * MODSEQ's value is `[modseq]` (a list of one number, RFC 7162).
 */
export function fetchResponse(seq: number, items: Array<[FetchItem | string, WireValue]>, options: WriterOptions = {}): Buffer {
  const out = new Out();
  out.put(`* ${seq} FETCH (`);
  items.forEach(([item, value], i) => {
    out.put(`${i ? ' ' : ''}${typeof item === 'string' ? item : fetchItemName(item)} `);
    write(out, value, options);
  });
  out.put(')\r\n');
  return out.toBuffer();
}

/**
 * `* <seq> FETCH (UID <uid> FLAGS (<flags>) [MODSEQ (<modseq>)])`: the bytes fetchResponse makes of
 * those items, as one string. Every session is told of every flag change in its mailbox (eight
 * sessions flagging at once send each other sixty-four of these per group of writes), so this is the
 * response the server sends most. `flags` are atoms already (stored flags are checked when set).
 */
export function flagsFetchResponse(seq: number, uid: number, flags: readonly string[], modseq?: number): Buffer {
  const m = modseq === undefined ? '' : ` MODSEQ (${modseq})`;
  return Buffer.from(`* ${seq} FETCH (UID ${uid} FLAGS (${flags.join(' ')})${m})\r\n`, 'utf8');
}

/** `* LIST (attributes) "delimiter" name [extended items]` (or LSUB). */
export function listResponse(entry: { attributes: string[]; delimiter: string | null; name: string; extended?: WireValue[] }, options: { utf8?: boolean; command?: 'LIST' | 'LSUB' } = {}): Buffer {
  const values: WireValue[] = [flagList(entry.attributes), entry.delimiter, mailboxName(entry.name, options.utf8)];
  if (entry.extended?.length) values.push(entry.extended);
  return untaggedWith({ utf8: options.utf8 ?? false }, options.command ?? 'LIST', ...values);
}

/** `* STATUS name (MESSAGES 3 UIDNEXT 9 ...)`. */
export function statusResponse(name: string, items: Array<[string, number | bigint]>, options: { utf8?: boolean } = {}): Buffer {
  return untaggedWith({ utf8: options.utf8 ?? false }, 'STATUS', mailboxName(name, options.utf8), items.flatMap(([k, v]) => [atom(k), v]));
}

/** `* SEARCH 2 5 9 [(MODSEQ n)]` (IMAP4rev1 clients). */
export function searchResponse(numbers: number[], modseq?: bigint): Buffer {
  const text = ['SEARCH', ...numbers.map(String)].join(' ');
  return Buffer.from(`* ${text}${modseq !== undefined && numbers.length ? ` (MODSEQ ${modseq})` : ''}\r\n`, 'latin1');
}

/**
 * `* ESEARCH (TAG "t") [UID] [MIN n] [MAX n] [ALL set] [COUNT n] [MODSEQ n]` (RFC 4731, RFC 9051):
 * give only what RETURN asked for; ALL is compressed, and left out when empty as RFC 4731 says.
 */
export function esearchResponse(r: { tag: string; uid: boolean; min?: number; max?: number; all?: number[]; count?: number; modseq?: bigint }): Buffer {
  let s = `* ESEARCH (TAG ${quote(r.tag)})${r.uid ? ' UID' : ''}`;
  if (r.min !== undefined) s += ` MIN ${r.min}`;
  if (r.max !== undefined) s += ` MAX ${r.max}`;
  if (r.all?.length) s += ` ALL ${compressSequenceSet(r.all)}`;
  if (r.count !== undefined) s += ` COUNT ${r.count}`;
  if (r.modseq !== undefined) s += ` MODSEQ ${r.modseq}`;
  return Buffer.from(s + '\r\n', 'latin1');
}

/** `* VANISHED [(EARLIER)] uid-set` (QRESYNC, RFC 7162 section 3.2.10). Empty input gives an empty Buffer. */
export function vanishedResponse(uids: number[], earlier: boolean): Buffer {
  if (uids.length === 0) return Buffer.alloc(0);
  return Buffer.from(`* VANISHED ${earlier ? '(EARLIER) ' : ''}${compressSequenceSet(uids)}\r\n`, 'latin1');
}
