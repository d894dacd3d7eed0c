import type { Accounts } from '@nymote/accounts';
import type { Io } from '../io.js';

/** What every `nymote user` verb gets. */
export interface UserContext {
  readonly io: Io;
  /** The data directory (absolute); the accounts are in its store. */
  readonly dataDir: string;
  /** The accounts, opened once per command; `create` makes the store of a new data directory. */
  accounts(options?: { create?: boolean }): Promise<Accounts>;
}
