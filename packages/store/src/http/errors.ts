import type { ServerResponse } from 'node:http';
import { StoreError, type StoreErrorCode } from '../errors.js';

/**
 * An error to answer with: an HTTP status, a stable machine-readable code, a message for people, and
 * details naming what was at fault (key, branch, commit), all sent as
 * { "error": { "code", "message", ...details } } plus any `extra` top-level members (conflicts).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string | string[]> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * How each store failure reads over HTTP: the one place where store codes become statuses. A code
 * added later and not listed here is answered as a server error until it is.
 */
const STATUS: Partial<Record<StoreErrorCode, number>> = {
  'not-found': 404,
  'invalid-key': 400,
  'invalid-ref': 400,
  'ambiguous': 400,
  'conflict': 409,
  'exists': 409,
  'type-mismatch': 409,
  'non-fast-forward': 409,
  'rejected': 409,
  'lock-timeout': 503,
  // Reached only through stored data (our inputs are parsed before the store sees them), so the
  // server's repository is at fault, not the request.
  'invalid-object': 500,
  'corrupt-object': 500,
  'corrupt-pack': 500,
  'not-a-repository': 500,
  'protocol': 502,
  'remote': 502,
};

export function toHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (e instanceof StoreError) {
    const status = STATUS[e.code] ?? 500;
    const headers: Record<string, string> = status === 503 ? { 'Retry-After': '1' } : {};
    return new HttpError(status, e.code, e.message, e.data, {}, headers);
  }
  return new HttpError(500, 'internal', 'internal server error');
}

/** Writes the JSON error reply, or cuts the connection when a reply has already begun. */
export function sendError(res: ServerResponse, e: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code: e.code, message: e.message, ...e.details }, ...e.extra });
  res.writeHead(e.status, {
    ...e.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

export const badRequest = (message: string, details: Record<string, unknown> = {}) => new HttpError(400, 'bad-request', message, details);
