// Accounts live in the store itself, on a branch of their own: adding a user, changing a password or
// removing someone is a commit like any other (who did what, when, and undoable). Each account's data
// (mail, contacts, calendars) is a branch of its own, users/NAME, which is what one person's devices
// sync and what an app's history and undo look at.
import { createHash } from 'node:crypto';
import { type Author, type Store } from '@nymote/store';
import { accountNameProblem } from './names.js';
import { LoginLimiter, type LoginLimits } from './login-limiter.js';
import { DEFAULT_COST, hashPassword, needsRehash, verifyPassword, type ScryptCost } from './password.js';

/** The branch that holds the account records (accounts/NAME.json). */
export const ACCOUNTS_BRANCH = 'accounts';
/** Shortest password accepted. */
export const MIN_PASSWORD_LENGTH = 8;

export type AccountErrorCode = 'invalid-name' | 'exists' | 'not-found' | 'weak-password';

export class AccountError extends Error {
  constructor(readonly code: AccountErrorCode, message: string, readonly account: string) {
    super(message);
    this.name = 'AccountError';
  }
}

export interface Account {
  name: string;
  /** When it was added (ISO 8601). */
  created: string;
  /** The branch holding this account's data. */
  branch: string;
}

/** What is stored per account: never the password, only its scrypt hash. */
interface AccountRecord {
  name: string;
  password: string;
  created: string;
}

export interface AccountsOptions {
  /** The scrypt cost of new hashes (default ln=15, r=8, p=1). Tests may lower it. */
  cost?: ScryptCost;
  /** Who the commits are by (default: the store's author). */
  author?: Author;
  /** Milliseconds since the epoch (default Date.now). */
  clock?: () => number;
  /** How long a successful verify is remembered (default 60 s; 0: never). */
  rememberLoginsMs?: number;
  /** How failed logins through `login` are limited (see LoginLimiter); shared by every service using these Accounts. */
  loginLimits?: LoginLimits;
}

const MAX_REMEMBERED_LOGINS = 1000;

/** The branch holding an account's data. */
export function dataBranch(name: string): string {
  return `users/${name}`;
}

const recordKey = (name: string) => `${name}.json`;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class Accounts {
  private readonly cost: ScryptCost;
  private readonly clock: () => number;
  /** A hash to check unknown names against, so that they take as long to refuse as known ones. */
  private decoy: Promise<string> | undefined;
  private readonly loginMs: number;
  /** Successful logins by a hash of name, password and record, to when they expire. */
  private readonly logins = new Map<string, number>();
  /** Counts failed logins by address and by user, for every service that logs people in. */
  readonly limiter: LoginLimiter;

  constructor(readonly store: Store, private readonly options: AccountsOptions = {}) {
    this.cost = options.cost ?? DEFAULT_COST;
    this.clock = options.clock ?? Date.now;
    this.loginMs = options.rememberLoginsMs ?? 60_000;
    this.limiter = new LoginLimiter(options.loginLimits, this.clock);
  }

  /**
   * A login by a client at `address` (its IP address): `verify`, after the limiter has let the attempt
   * through (it throws LoginThrottled otherwise, before any password is checked), and counted by it.
   */
  async login(name: string, password: string, address: string | undefined): Promise<Account | undefined> {
    this.limiter.check(name, address);
    const account = await this.verify(name, password);
    if (account) this.limiter.succeeded(name, address);
    else this.limiter.failed(name, address);
    return account;
  }

  private commitInfo(message: string) {
    return { branch: ACCOUNTS_BRANCH, message, ...(this.options.author ? { author: this.options.author } : {}) };
  }

  /** The stored record of `name` as bytes (what the login cache is keyed on), or undefined. */
  private async recordBytes(name: string): Promise<Uint8Array | undefined> {
    if (accountNameProblem(name)) return undefined;
    if ((await this.store.head(ACCOUNTS_BRANCH)) === undefined) return undefined;
    return this.store.get(recordKey(name), ACCOUNTS_BRANCH);
  }

  private async record(name: string): Promise<AccountRecord | undefined> {
    const bytes = await this.recordBytes(name);
    return bytes && (JSON.parse(decoder.decode(bytes)) as AccountRecord);
  }

  private static account(r: AccountRecord): Account {
    return { name: r.name, created: r.created, branch: dataBranch(r.name) };
  }

  /** Every account, by name. */
  async list(): Promise<Account[]> {
    if ((await this.store.head(ACCOUNTS_BRANCH)) === undefined) return [];
    const out: Account[] = [];
    for (const e of await this.store.list('', ACCOUNTS_BRANCH)) {
      if (e.kind !== 'value' || !e.name.endsWith('.json')) continue;
      const r = await this.record(e.name.slice(0, -'.json'.length));
      if (r) out.push(Accounts.account(r));
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async get(name: string): Promise<Account | undefined> {
    const r = await this.record(name);
    return r && Accounts.account(r);
  }

  /** Adds an account and starts its data branch. Throws AccountError 'exists' if the name is taken. */
  async add(name: string, password: string): Promise<Account> {
    const problem = accountNameProblem(name);
    if (problem) throw new AccountError('invalid-name', problem, name);
    checkPassword(name, password);
    const record: AccountRecord = { name, password: await hashPassword(password, this.cost), created: new Date(this.clock()).toISOString() };
    const r = await this.store.update(async (tree) => {
      if (await tree.get(recordKey(name))) return false;
      await tree.set(recordKey(name), encoder.encode(`${JSON.stringify(record, null, 2)}\n`));
      return true;
    }, this.commitInfo(`Add user ${name}`));
    if (!r.result) throw new AccountError('exists', `user "${name}" already exists`, name);
    // The data branch starts empty; an existing one (made by hand) is kept as it is.
    await this.store.update(() => {}, { branch: dataBranch(name), message: `Start the data of user ${name}`, ...(this.options.author ? { author: this.options.author } : {}) });
    return Accounts.account(record);
  }

  /**
   * The account whose password this is, or undefined: for an unknown name, a wrong password or a
   * malformed record alike, after the same scrypt work, so that timing does not tell which.
   */
  async verify(name: string, password: string): Promise<Account | undefined> {
    const bytes = await this.recordBytes(name);
    if (!bytes) {
      this.decoy ??= hashPassword('not a password', this.cost);
      await verifyPassword(password, await this.decoy);
      return undefined;
    }
    const r = JSON.parse(decoder.decode(bytes)) as AccountRecord;
    // Servers check a password on every request (HTTP Basic) and scrypt costs about 0.1 s, so a
    // success is remembered, keyed on the name, the password and the record itself: a changed
    // password or a removed account stops matching at once. Only successes are kept.
    const key = createHash('sha256').update(`${name}\0${password}\0`).update(bytes).digest('base64');
    const hit = this.logins.get(key);
    if (hit !== undefined && hit > this.clock()) return Accounts.account(r);
    if (!(await verifyPassword(password, r.password))) return undefined;
    // A hash made with a lower cost than today's is replaced while we know the password.
    if (needsRehash(r.password, this.cost)) await this.setPassword(name, password).catch(() => {});
    else if (this.loginMs > 0) {
      if (this.logins.size >= MAX_REMEMBERED_LOGINS) this.logins.clear();
      this.logins.set(key, this.clock() + this.loginMs);
    }
    return Accounts.account(r);
  }

  /** Replaces an account's password. */
  async setPassword(name: string, password: string): Promise<void> {
    checkPassword(name, password);
    const hash = await hashPassword(password, this.cost);
    const r = await this.store.update(async (tree) => {
      const bytes = await tree.get(recordKey(name));
      if (!bytes) return false;
      const record = JSON.parse(decoder.decode(bytes)) as AccountRecord;
      await tree.set(recordKey(name), encoder.encode(`${JSON.stringify({ ...record, password: hash }, null, 2)}\n`));
      return true;
    }, this.commitInfo(`Change the password of user ${name}`));
    if (!r.result) throw new AccountError('not-found', `no user "${name}"`, name);
  }

  /**
   * Removes an account. Its data is kept, moved to the branch removed/NAME/<time> (so the name can be
   * reused without inheriting it), unless `purge`, which deletes the data branch too (its objects stay
   * in the repository until it is pruned). Returns the branch the data was kept in.
   */
  async remove(name: string, options: { purge?: boolean } = {}): Promise<{ keptAs: string | undefined }> {
    if (!(await this.record(name))) throw new AccountError('not-found', `no user "${name}"`, name);
    const data = dataBranch(name);
    const head = await this.store.head(data);
    let keptAs: string | undefined;
    if (head !== undefined && !options.purge) {
      keptAs = `removed/${name}/${new Date(this.clock()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
      await this.store.createBranch(keptAs, { commit: head });
    }
    const r = await this.store.update(async (tree) => tree.remove(recordKey(name)), this.commitInfo(`Remove user ${name}${keptAs ? ` (data kept in ${keptAs})` : ''}`));
    if (!r.result) throw new AccountError('not-found', `no user "${name}"`, name);
    if (head !== undefined) await this.store.deleteBranch(data);
    return { keptAs };
  }
}

function checkPassword(name: string, password: string): void {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw new AccountError('weak-password', `the password of "${name}" must have at least ${MIN_PASSWORD_LENGTH} characters`, name);
  }
}
