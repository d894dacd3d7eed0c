import type { ImportRecord } from '@nymote/store';
import { UsageError } from '../usage.js';
import { author } from './options.js';

/** Which line of the input is being read; the import names it when the store rejects a record. */
export interface LinePosition {
  line: number;
}

const FIELDS = ['key', 'value', 'message', 'author', 'time'];

/**
 * Turns JSON lines into import records, lazily, so a large import streams. Each line is
 * {"key": "...", "value": "text" | {"base64": "..."} | null, "message"?: "...",
 * "author"?: "Name <mail>", "time"?: ISO 8601 | milliseconds}; null removes the key. Blank lines are
 * skipped. A malformed line is a usage error naming its number and what is wrong.
 */
export async function* importRecords(input: AsyncIterable<Uint8Array>, position: LinePosition = { line: 0 }): AsyncGenerator<ImportRecord> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const bytes of input) {
    position.line++;
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw new UsageError(`stdin line ${position.line}: not valid UTF-8 (binary values go in {"base64": "..."})`);
    }
    if (text.trim() === '') continue;
    yield parseImportLine(text, position.line);
  }
}

export function parseImportLine(text: string, line: number): ImportRecord {
  const bad = (what: string) => new UsageError(`stdin line ${line}: ${what}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('expected an object like {"key": "a/b", "value": "text"}');
  const o = json as Record<string, unknown>;
  const unknown = Object.keys(o).find((f) => !FIELDS.includes(f));
  if (unknown !== undefined) throw bad(`unknown field "${unknown}" (the fields are ${FIELDS.join(', ')})`);
  if (typeof o['key'] !== 'string' || o['key'] === '') throw bad('"key" must be a non-empty string');
  const record: ImportRecord = { key: o['key'], value: value(o['value'], bad) };
  if (o['message'] !== undefined) {
    if (typeof o['message'] !== 'string') throw bad('"message" must be a string');
    record.message = o['message'];
  }
  if (o['author'] !== undefined) {
    if (typeof o['author'] !== 'string') throw bad('"author" must be a string like "Name <mail@example.org>"');
    record.author = author(o['author'], `stdin line ${line}: "author"`);
  }
  if (o['time'] !== undefined) record.time = time(o['time'], bad);
  return record;
}

function value(v: unknown, bad: (what: string) => Error): Uint8Array | string | null {
  if (v === null || typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const keys = Object.keys(v);
    const b64: unknown = (v as Record<string, unknown>)['base64'];
    if (keys.length === 1 && typeof b64 === 'string') {
      // Buffer.from(s, 'base64') skips bad characters silently; a corrupted value must not import quietly.
      if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw bad('"value.base64" is not valid base64');
      return new Uint8Array(Buffer.from(b64, 'base64'));
    }
  }
  if (v === undefined) throw bad('"value" is missing (use null to remove the key)');
  throw bad('"value" must be a string, {"base64": "..."} or null');
}

function time(v: unknown, bad: (what: string) => Error): number {
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms) || ms < 0) throw bad('"time" must be an ISO 8601 date or milliseconds since 1970');
  return ms;
}

