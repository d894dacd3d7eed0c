// Password guessing is slowed down where every service checks passwords: one limiter per Accounts,
// so failures over IMAP, SMTP and DAV add up. An address that keeps failing is refused for a while
// (that is the attacker); a user name failing from many addresses is refused at a higher count, which
// catches a spread-out attack on one account at the price of locking that account out for a while
// (the owner can still log in from an address that logged in recently).

export interface LoginLimits {
  /** Failures from one address, within `windowMs`, after which it is refused (default 20). */
  perAddress?: number;
  /** Failures for one user name from all addresses, within `windowMs`, after which it is refused (default 50). */
  perUser?: number;
  /** The sliding window failures are counted in (default 15 minutes). */
  windowMs?: number;
  /** How long a successful login lets its address in despite the per-user count (default 7 days). */
  trustMs?: number;
}

/** An attempt refused before its password was checked; `retryAfterMs` says when one may try again. */
export class LoginThrottled extends Error {
  constructor(readonly retryAfterMs: number, readonly reason: 'address' | 'user') {
    super(reason === 'address'
      ? `too many failed logins from this address: try again in ${Math.ceil(retryAfterMs / 1000)} s`
      : `too many failed logins for this user: try again in ${Math.ceil(retryAfterMs / 1000)} s`);
    this.name = 'LoginThrottled';
  }
}

/** Entries kept at most per table; beyond, expired ones go first, then the oldest. */
const MAX_ENTRIES = 10_000;

/**
 * The key an address is counted under: IPv4 as it is (also when IPv4-mapped), IPv6 by its /64, since
 * one host usually holds a whole /64 and could otherwise change address at every attempt.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return '-';
  const a = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (!a.includes(':')) return a;
  const [head = '', tail = ''] = a.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = a.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** Whether a client address is this machine's (where a password in clear never crosses a network). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

export class LoginLimiter {
  private readonly perAddress: number;
  private readonly perUser: number;
  private readonly windowMs: number;
  private readonly trustMs: number;
  /** Failure times (ascending) by address key and by user name. */
  private readonly byAddress = new Map<string, number[]>();
  private readonly byUser = new Map<string, number[]>();
  /** Until when a pair "user\0address" that logged in successfully is let through the per-user count. */
  private readonly trusted = new Map<string, number>();

  constructor(limits: LoginLimits = {}, private readonly clock: () => number = Date.now) {
    this.perAddress = limits.perAddress ?? 20;
    this.perUser = limits.perUser ?? 50;
    this.windowMs = limits.windowMs ?? 15 * 60_000;
    this.trustMs = limits.trustMs ?? 7 * 24 * 3600_000;
  }

  /** Throws LoginThrottled if an attempt by `user` from `address` is to be refused now. */
  check(user: string, address: string | undefined): void {
    const now = this.clock();
    const a = this.wait(this.byAddress, addressKey(address), this.perAddress, now);
    if (a > 0) throw new LoginThrottled(a, 'address');
    if ((this.trusted.get(`${user}\0${addressKey(address)}`) ?? 0) > now) return;
    const u = this.wait(this.byUser, user, this.perUser, now);
    if (u > 0) throw new LoginThrottled(u, 'user');
  }

  failed(user: string, address: string | undefined): void {
    const now = this.clock();
    this.add(this.byAddress, addressKey(address), now);
    this.add(this.byUser, user, now);
  }

  /** A success clears its address's failures and trusts the pair for a while. */
  succeeded(user: string, address: string | undefined): void {
    const key = addressKey(address);
    this.byAddress.delete(key);
    if (this.trusted.size >= MAX_ENTRIES) this.prune(this.trusted, (until) => until <= this.clock());
    this.trusted.set(`${user}\0${key}`, this.clock() + this.trustMs);
  }

  /** Milliseconds until the count under `key` falls below `max`, 0 if it is below already. */
  private wait(table: Map<string, number[]>, key: string, max: number, now: number): number {
    const times = table.get(key);
    if (!times) return 0;
    while (times.length > 0 && times[0]! <= now - this.windowMs) times.shift();
    if (times.length === 0) table.delete(key);
    if (times.length < max) return 0;
    return times[times.length - max]! + this.windowMs - now;
  }

  private add(table: Map<string, number[]>, key: string, now: number): void {
    let times = table.get(key);
    if (!times) {
      if (table.size >= MAX_ENTRIES) this.prune(table, (t) => t[t.length - 1]! <= now - this.windowMs);
      times = [];
      table.set(key, times);
    }
    times.push(now);
    // More than a few windows' worth is never needed to decide.
    if (times.length > 4 * Math.max(this.perAddress, this.perUser)) times.shift();
  }

  private prune<V>(table: Map<string, V>, expired: (v: V) => boolean): void {
    for (const [k, v] of table) if (expired(v)) table.delete(k);
    // Still full: the oldest entries (Map keeps insertion order) make room.
    for (const k of table.keys()) {
      if (table.size < MAX_ENTRIES) break;
      table.delete(k);
    }
  }
}
