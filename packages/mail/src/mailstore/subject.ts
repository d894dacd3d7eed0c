import { headerValue, parseHeader } from '../mime/headers.js';

/**
 * A header field of a message, for commit messages only ("Deliver “Lunch?” from ann@…"): read by
 * the message parser, unfolded, encoded words left as they are, shortened. Never throws.
 */
export function headerLine(raw: Uint8Array, field: string, max = 60): string | undefined {
  const value = headerValue(raw, parseHeader(raw, 0).fields, field.toLowerCase())?.trim();
  if (value === undefined) return undefined;
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}
