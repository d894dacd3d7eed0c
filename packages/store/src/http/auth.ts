import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.js';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Checks requests against a shared token. Accepts `Authorization: Bearer TOKEN` (programs) and HTTP
 * Basic with the token as the password and any user name (what git sends from its credential
 * helpers or a URL like http://nymote:TOKEN@host/git). Comparison is of SHA-256 digests in constant
 * time, so neither the token's content nor its length leaks through timing.
 */
export function tokenChecker(token: string): (req: IncomingMessage) => void {
  const expected = digest(token);
  const matches = (candidate: string) => timingSafeEqual(digest(candidate), expected);
  return (req) => {
    const given = presented(req.headers.authorization);
    if (given === undefined || !matches(given)) {
      throw new HttpError(401, 'unauthorized', given === undefined ? 'this server needs a token (Authorization: Bearer TOKEN)' : 'the token is wrong', {}, {}, {
        // Basic first: git only offers credentials for a Basic challenge.
        'WWW-Authenticate': ['Basic realm="nymote", charset="UTF-8"', 'Bearer realm="nymote"'],
      });
    }
  };
}

/** The credential in an Authorization header: a bearer token, or a Basic password. */
function presented(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^(\S+)\s+(.*)$/.exec(header.trim());
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'bearer') return m[2]!.trim();
  if (scheme === 'basic') {
    const decoded = Buffer.from(m[2]!.trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}
