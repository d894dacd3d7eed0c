/** Shared decoding helpers so every content type reports bad bytes the same way. */
import { StoreError } from '../errors.js';
import { fromUtf8Strict } from '../git/bytes.js';

/**
 * The error decode throws: a StoreError with code 'invalid-object' (bytes that do not parse as what
 * they claim to be), a message starting with the content type's name, and that name in `data`.
 */
export function invalidValue(type: string, message: string, cause?: unknown): StoreError<{ contentType: string }> {
  return new StoreError('invalid-object', `${type}: ${message}`, { contentType: type }, cause === undefined ? undefined : { cause });
}

/** Strict UTF-8: silently replacing bad bytes with U+FFFD would corrupt the value on the next write. */
export function decodeText(type: string, bytes: Uint8Array): string {
  const s = fromUtf8Strict(bytes);
  if (s === undefined) throw invalidValue(type, `not valid UTF-8 (${bytes.length} bytes)`);
  return s;
}

/** Shortens a value for an error message, so a huge blob does not become a huge message. */
export function preview(s: string, max = 40): string {
  const q = JSON.stringify(s);
  return q.length <= max ? q : `${q.slice(0, max - 4)}..."`;
}
