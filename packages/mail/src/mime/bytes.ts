// Byte helpers shared by the MIME modules. Header text is handled as "binary strings" (latin1: one
// char per byte) so that every index in a parsed string is also a byte offset, and 8-bit header
// bytes survive until we decide how to present them.
import { Buffer, isUtf8 } from 'node:buffer';
import { decodeWindows1252 } from './charsets.js';

export const CR = 13;
export const LF = 10;
export const SP = 32;
export const HT = 9;
export const DASH = 45;
export const COLON = 58;

/** A Buffer view of the same memory (no copy), for its native indexOf and toString. */
export function view(raw: Uint8Array): Buffer {
  return Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** raw[start, end) as a binary string. */
export function latin1(raw: Uint8Array, start: number, end: number): string {
  return view(raw).toString('latin1', start, end);
}

export function fromLatin1(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}

/**
 * A binary string as an IMAP string: ASCII and valid UTF-8 (RFC 6532 headers) become a JS string,
 * anything else stays bytes so the response writer sends exactly what the message holds.
 */
export function imapText(s: string): string | Uint8Array {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(s)) return s;
  const bytes = Buffer.from(s, 'latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : new Uint8Array(bytes);
}

/** A binary string shown to people: UTF-8 when it is valid UTF-8, else read as windows-1252. */
export function binaryToText(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(s)) return s;
  const bytes = Buffer.from(s, 'latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : decodeWindows1252(bytes);
}

/** The start of the line after the one holding position p (or raw.length). */
export function nextLine(raw: Uint8Array, p: number): number {
  const i = view(raw).indexOf(LF, p);
  return i < 0 ? raw.length : i + 1;
}

/** Count of LF bytes in raw[start, end): IMAP's body line count. */
export function countLines(raw: Uint8Array, start: number, end: number): number {
  const b = view(raw);
  let n = 0;
  for (let i = b.indexOf(LF, start); i >= 0 && i < end; i = b.indexOf(LF, i + 1)) n++;
  return n;
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks);
}
