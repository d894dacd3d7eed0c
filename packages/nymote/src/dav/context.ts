import type { Accounts } from '@nymote/accounts';
import type { Store } from '@nymote/store';
import type { Io } from '../io.js';

/** What every `nymote dav` verb gets. */
export interface DavContext {
  readonly io: Io;
  /** The data directory (absolute); users and their data are in its store. */
  readonly dataDir: string;
  /** The store and accounts of the data directory, opened once per command. */
  open(): Promise<{ store: Store; accounts: Accounts }>;
}
