import type { IncomingMessage } from 'node:http';
import { LoginThrottled, isLoopback, type Accounts } from '@nymote/accounts';
import { DavError } from './errors.js';

export { isLoopback };

const REALM = 'Nymote';

/** The name and password of an HTTP Basic Authorization header, if it is one. */
export function parseBasic(header: string | undefined): { name: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Checks Basic credentials against the accounts (which remember recent successful logins and limit failed ones). */
export class Authenticator {
  constructor(private readonly accounts: Accounts) {}

  /**
   * The authenticated user's name, or a DavError to answer (403, 401 with the challenge, 429 with
   * Retry-After). Passwords travel in clear with Basic, so plain HTTP is only taken from this machine.
   */
  async authenticate(req: IncomingMessage): Promise<string> {
    const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
    if (!encrypted && !isLoopback(req.socket.remoteAddress)) {
      throw new DavError(403, 'plain HTTP is accepted from this machine only: connect over TLS');
    }
    const challenge = { 'WWW-Authenticate': `Basic realm="${REALM}", charset="UTF-8"` };
    const credentials = parseBasic(req.headers.authorization);
    if (!credentials) throw new DavError(401, 'authentication required', undefined, challenge);
    let name: string | undefined;
    try {
      name = (await this.accounts.login(credentials.name, credentials.password, req.socket.remoteAddress))?.name;
    } catch (e) {
      // RFC 6585: 429 with Retry-After; clients back off instead of prompting for the password again.
      if (e instanceof LoginThrottled) throw new DavError(429, e.message, undefined, { 'Retry-After': String(Math.ceil(e.retryAfterMs / 1000)) });
      name = undefined; // an impossible user name is just a wrong login
    }
    if (name === undefined) throw new DavError(401, 'wrong user name or password', undefined, challenge);
    return name;
  }
}
