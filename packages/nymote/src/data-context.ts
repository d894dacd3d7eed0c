import { dataBranch, type Accounts } from '@nymote/accounts';
import type { Store } from '@nymote/store';
import type { Io } from './io.js';
import { Failure } from './report.js';

/** What every verb working on people's data gets (nymote dav …, nymote mail …). */
export interface DataContext {
  readonly io: Io;
  /** The data directory (absolute); users and their data are in its store. */
  readonly dataDir: string;
  /** The store and accounts of the data directory, opened once per command. */
  open(): Promise<{ store: Store; accounts: Accounts }>;
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
