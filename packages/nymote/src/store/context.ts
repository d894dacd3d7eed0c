import type { Store } from '@nymote/store';
import type { FsBackend } from '@nymote/store/node';
import type { Io } from '../io.js';

/** An open store, and its on-disk backend for what only the disk has (gc). */
export interface Opened {
  readonly store: Store;
  readonly backend: FsBackend;
}

/** What every `nymote store` verb gets. */
export interface StoreContext {
  readonly io: Io;
  /** The bare repository the command works on (absolute), from --repo or --data. */
  readonly repo: string;
  /**
   * Opens the repository, once per command: later calls return the same store. `create` makes it
   * when it is missing. The dispatcher closes it when the verb is done.
   */
  open(options?: { create?: boolean }): Promise<Opened>;
}
