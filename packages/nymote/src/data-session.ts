// The data directory of the commands that work on people's data (user, dav): --data or the default,
// its store opened once per command, and its accounts.
import { resolve } from 'node:path';
import { Accounts } from '@nymote/accounts';
import { isStoreError, type Store } from '@nymote/store';
import { defaultDataDir, storeRepository } from './data-dir.js';
import type { Context } from './cli.js';
import type { Command } from './command.js';
import type { DataContext } from './data-context.js';
import { dispatch, groupHelp, type Group } from './group.js';
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

  /** The store and its accounts; `create` makes the store of a new data directory, `service` see StoreSession.open. */
  async open(options: { create?: boolean; service?: boolean } = {}): Promise<{ store: Store; accounts: Accounts }> {
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

/**
 * A top-level command whose verbs work on a data directory (user, mail, dav, calendar, contacts):
 * the group's --data opens one DataSession per run, closed at the end whatever happens.
 */
export function dataGroupCommand<C>(group: Group<C>, name: string, summary: string, contextOf: (session: DataSession, io: Io) => C): Command<Context> {
  return {
    name,
    summary,
    usage: group.usage,
    help: groupHelp(group).replace(/^usage: .*\n\n/, ''),
    async invoke(argv, { io }) {
      let session: DataSession | undefined;
      try {
        return await dispatch(group, argv, io, (values) => {
          session = new DataSession(io, values);
          return contextOf(session, io);
        });
      } finally {
        await session?.close();
      }
    },
  };
}

/** The usual context of those verbs: the data directory and its store and accounts. */
export const dataContext = (session: DataSession, io: Io): DataContext => ({ io, dataDir: session.dataDir, open: (options) => session.open(options) });
