import type { IncomingMessage } from 'node:http';
import { DavError } from './errors.js';

function etags(header: string): string[] {
  return header.split(',').map((s) => s.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1')).filter((s) => s !== '');
}

/**
 * If-Match and If-None-Match (RFC 9110 13.1) against the resource's current ETag (undefined: it does
 * not exist). Writes call this inside the commit's edit, so the check and the write are one atomic step.
 * Returns 304 for a GET whose If-None-Match matches; throws 412 when a write's condition fails.
 */
export function checkConditions(req: IncomingMessage, current: string | undefined, read = false): 304 | undefined {
  const ifMatch = req.headers['if-match'];
  if (ifMatch !== undefined) {
    const ok = current !== undefined && (ifMatch.trim() === '*' || etags(ifMatch).includes(current));
    if (!ok) throw new DavError(412, current === undefined ? 'If-Match: the resource does not exist' : 'If-Match: the resource has changed (its ETag is different)');
  }
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined && current !== undefined) {
    const matches = ifNoneMatch.trim() === '*' || etags(ifNoneMatch).includes(current);
    if (matches) {
      if (read) return 304;
      throw new DavError(412, 'If-None-Match: the resource exists');
    }
  }
  return undefined;
}
