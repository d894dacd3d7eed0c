// The data directory of the commands that work on people's data (user, dav): --data or the default,
// its store opened once per command, and its accounts.
import { resolve } from 'node:path';
import { Accounts } from '@nymote/accounts';
import { isStoreError, type Store } from '@nymote/store';
import { defaultDataDir, storeRepository } from './data-dir.js';
import type { Io } from './io.js';
import { Failure } from './report.js';
import { StoreSession } from './store/session.js';

export class DataSession {
  readonly dataDir: string;
  private readonly session: StoreSession;

  constructor(io: Io, values: Readonly<Record<string, string | boolean | undefined>>) {
    this.dataDir = typeof values['data'] === 'string' ? resolve(values['data']) : defaultDataDir(io.env);
    this.session = new StoreSession(io, storeRepository(this.dataDir));
  }

  /** The store and its accounts; `create` makes the store of a new data directory. */
  async open(options: { create?: boolean } = {}): Promise<{ store: Store; accounts: Accounts }> {
    try {
      const { store } = await this.session.open(options);
      return { store, accounts: new Accounts(store) };
    } catch (e) {
      if (!isStoreError(e, 'not-a-repository')) throw e;
      throw new Failure(`no users in ${this.dataDir} yet: it has no store (add the first with "nymote user add NAME")`);
    }
  }

  close(): Promise<void> {
    return this.session.close();
  }
}
