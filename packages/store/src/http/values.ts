import { fromUtf8Strict } from '../git/bytes.js';
import type { ConflictSide, Schema } from '../merge-trees.js';
import { badRequest } from './errors.js';

/** A value in a JSON body: UTF-8 text as a string, other bytes as { "base64": ... }. */
export type JsonValue = string | { base64: string };

export function jsonValue(bytes: Uint8Array): JsonValue {
  return fromUtf8Strict(bytes) ?? { base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
}

export function jsonValueOrNull(bytes: Uint8Array | undefined): JsonValue | null {
  return bytes === undefined ? null : jsonValue(bytes);
}

/** The reverse of jsonValue, for values sent in JSON bodies (merge resolutions). */
export function bytesOfJsonValue(v: unknown, what: string): Uint8Array {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v !== null && typeof v === 'object' && typeof (v as { base64?: unknown }).base64 === 'string') {
    const b64 = (v as { base64: string }).base64;
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw badRequest(`${what}: "base64" is not valid base64`);
    return Buffer.from(b64, 'base64');
  }
  throw badRequest(`${what} must be a string (UTF-8 text) or { "base64": "..." }`);
}

export function conflictSide(s: ConflictSide): { kind: 'value'; value: JsonValue } | { kind: 'tree'; id: string } | null {
  if (s === undefined) return null;
  return s.kind === 'tree' ? { kind: 'tree', id: s.id } : { kind: 'value', value: jsonValue(s.bytes) };
}

/** The media type a value is served with, from its content type's name. */
export function mediaType(key: string, schema: Schema | undefined): string {
  const name = schema ? schema(key).name : key.endsWith('.json') ? 'json' : 'bytes';
  switch (name) {
    case 'json':
      return 'application/json';
    case 'text':
    case 'lines':
      return 'text/plain; charset=utf-8';
    default:
      return 'application/octet-stream';
  }
}
