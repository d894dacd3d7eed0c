import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ACCOUNTS_BRANCH, type Accounts } from '@nymote/accounts';
import type { Store } from '@nymote/store';
import { DavError } from './errors.js';

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

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * Checks Basic credentials against the accounts. Clients send them on every request and scrypt costs
 * about 0.1 s, so a success is remembered for a while, keyed by a hash of the name, the password and
 * the stored account record: a changed password or a removed user stops matching at once.
 */
export class Authenticator {
  private readonly recent = new Map<string, { name: string; until: number }>();

  constructor(private readonly accounts: Accounts, private readonly store: Store, private readonly ttlMs = 60_000, private readonly now: () => number = Date.now) {}

  /**
   * The authenticated user's name. Passwords travel in clear with Basic, so plain HTTP is only taken
   * from this machine; TLS arrives with the daemon, until then a remote client is refused outright.
   */
  async authenticate(req: IncomingMessage): Promise<string> {
    const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
    if (!encrypted && !isLoopback(req.socket.remoteAddress)) {
      throw new DavError(403, 'plain HTTP is accepted from this machine only: connect over TLS');
    }
    const challenge = { 'WWW-Authenticate': `Basic realm="${REALM}", charset="UTF-8"` };
    const credentials = parseBasic(req.headers.authorization);
    if (!credentials) throw new DavError(401, 'authentication required', undefined, challenge);
    // The record as the accounts README lays it out (branch "accounts", key NAME.json); a name that is
    // not a valid key has no record, and verify() below refuses it.
    const record = await this.store.get(`${credentials.name}.json`, ACCOUNTS_BRANCH).catch(() => undefined);
    const key = createHash('sha256').update(`${credentials.name}\0${credentials.password}\0`).update(record ?? new Uint8Array()).digest('base64');
    const hit = this.recent.get(key);
    if (hit && hit.until > this.now()) return hit.name;
    let name: string | undefined;
    try {
      name = (await this.accounts.verify(credentials.name, credentials.password))?.name;
    } catch {
      name = undefined; // an impossible user name is just a wrong login
    }
    if (name === undefined) throw new DavError(401, 'wrong user name or password', undefined, challenge);
    if (this.recent.size > 1000) this.recent.clear();
    this.recent.set(key, { name, until: this.now() + this.ttlMs });
    return name;
  }
}
