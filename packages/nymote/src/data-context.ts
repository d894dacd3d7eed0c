import { dataBranch, type Accounts } from '@nymote/accounts';
import type { Store } from '@nymote/store';
import type { Io } from './io.js';
import { Failure } from './report.js';
import { UsageError } from './usage.js';

/** What every verb working on people's data gets (nymote dav …, nymote mail …). */
export interface DataContext {
  readonly io: Io;
  /** The data directory (absolute); users and their data are in its store. */
  readonly dataDir: string;
  /**
   * The store and accounts of the data directory, opened once per command. `service`: the command
   * serves until interrupted, and the store keeps its objects packed meanwhile (see StoreSession.open).
   */
  open(options?: { service?: boolean }): Promise<{ store: Store; accounts: Accounts }>;
}

/** The data branch of an existing user, or a Failure naming what is missing. */
export async function userBranch(context: DataContext, user: string): Promise<string> {
  const { store, accounts } = await context.open();
  if (!(await accounts.get(user))) throw new Failure(`no user ${user}`);
  const branch = dataBranch(user);
  if ((await store.head(branch)) === undefined) throw new Failure(`user ${user} has no data yet`);
  return branch;
}

/** A date as the history commands print it: ISO 8601, UTC, to the second. */
export function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

/** -n / --max-count: a whole number of commits, 1 or more. */
export function maxCount(n: string | undefined): number | undefined {
  if (n === undefined) return undefined;
  if (!/^\d+$/.test(n) || Number(n) < 1) throw new UsageError(`-n needs a whole number of commits, 1 or more, not "${n}"`);
  return Number(n);
}

/** Prints the commits of `branch` that changed `key` (all, without one), newest first, one a line. */
export async function printHistory(context: DataContext, branch: string, key: string | undefined, limit: number | undefined): Promise<void> {
  const { store } = await context.open();
  const page = await store.log({ at: branch, ...(key ? { key } : {}), ...(limit ? { limit } : {}) });
  let out = '';
  for (const e of page.entries) out += `${e.id.slice(0, 12)}  ${isoSeconds(e.author.time)}  ${e.message.split('\n')[0]}\n`;
  context.io.stdout.write(out);
}

/** The full id of COMMIT (abbreviated or not), if it is a change on the user's branch; else a Failure saying where to look. */
export async function ownCommit(context: DataContext, user: string, branch: string, commit: string, logCommand: string): Promise<string> {
  const { store } = await context.open();
  const id = await store.resolve({ commit }).catch(() => undefined);
  const head = (await store.head(branch))!;
  if (!id || !(await store.isAncestor(id, head))) throw new Failure(`${commit} is not a change of ${user}'s (see "${logCommand} ${user}")`);
  return id;
}
