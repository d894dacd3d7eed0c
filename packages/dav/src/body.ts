import type { IncomingMessage } from 'node:http';
import { DavError } from './errors.js';

/**
 * Reads a request body of at most `limit` bytes. A declared Content-Length over the limit is refused
 * before reading; an undeclared one as soon as it passes the limit, without keeping the rest.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    req.resume();
    throw new DavError(413, `the body is larger than ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw new DavError(413, `the body is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The body as UTF-8 text; bytes that are not UTF-8 are refused rather than silently replaced. */
export function utf8(body: Buffer, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new DavError(400, `${what} is not UTF-8`);
  }
}
