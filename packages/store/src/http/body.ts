import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, badRequest } from './errors.js';

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

export function tooLarge(max: number): HttpError {
  // The rest of the body is not read, so the connection cannot carry another request.
  return new HttpError(413, 'payload-too-large', `the request body is larger than ${max} bytes`, { limit: max }, {}, { Connection: 'close' });
}

/**
 * Reads a request body of at most `max` bytes. A declared Content-Length over the limit is refused
 * before anything is read (and before "100 Continue", so a well-behaved client never sends it); a
 * body that turns out longer is refused as soon as it passes the limit, without keeping the rest.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, max: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > max) {
    discardRest(req, max);
    return Promise.reject(tooLarge(max));
  }
  if (/^100-continue$/i.test(req.headers.expect ?? '')) res.writeContinue();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        cleanup();
        discardRest(req, max);
        reject(tooLarge(max));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    // The client went away or broke the framing: its fault, and there is no one left to answer.
    const onError = (e: Error) => {
      cleanup();
      reject(badRequest(`the request body could not be read: ${e.message}`));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onAborted = () => onError(new Error('the client went away'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/**
 * After refusing a body: a client that is still sending only reads our 413 if we keep reading its
 * bytes a little longer (closing a socket with unread input resets it, and the reply can be lost), so
 * a bounded amount more is read and dropped; past that the connection is cut.
 */
const discarding = new WeakSet<IncomingMessage>();

export function discardRest(req: IncomingMessage, max: number): void {
  if (req.complete || discarding.has(req)) return;
  discarding.add(req);
  let dropped = 0;
  const budget = Math.max(max, 1 << 20);
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > budget) req.socket.destroy();
  });
  req.on('error', () => {});
  req.resume();
}

/** A JSON object body; 400 naming what is wrong otherwise. */
export async function readJson(req: IncomingMessage, res: ServerResponse, max: number): Promise<Record<string, unknown>> {
  const body = await readBody(req, res, max);
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw badRequest(`the request body is not valid JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest('the request body must be a JSON object');
  return value as Record<string, unknown>;
}
