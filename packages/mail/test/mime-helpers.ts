// Shared by the mime*.test.ts files: the fixture messages and a small IMAP serialiser, so that
// expected ENVELOPE and BODYSTRUCTURE values read as they would on the wire.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImapValue } from '../src/imap/value.js';

/** The fixtures live in the source tree (test/fixtures/mime), next to the compiled dist/test. */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'mime');

export function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURES).filter((f) => f.endsWith('.eml')).sort();
}

/** An ImapValue in IMAP syntax; bytes and non-ASCII text as {n}text so differences show. */
export function imap(v: ImapValue): string {
  if (v === null) return 'NIL';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') {
    if (/^[\x20-\x7e]*$/.test(v)) return '"' + v.replace(/[\\"]/g, (c) => '\\' + c) + '"';
    return `{${Buffer.byteLength(v)}}${v}`;
  }
  if (v instanceof Uint8Array) return `{${v.length}}${Buffer.from(v).toString('utf8')}`;
  if (Array.isArray(v)) return '(' + v.map(imap).join(' ') + ')';
  return v.atom;
}

export function text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function bytes(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** A message from lines joined with CRLF. */
export function crlf(...lines: string[]): Buffer {
  return bytes(lines.join('\r\n'));
}
