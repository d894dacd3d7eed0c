import { resolve } from 'node:path';
import { Accounts } from '@nymote/accounts';
import { isStoreError } from '@nymote/store';
import type { Command } from '../command.js';
import type { Context } from '../cli.js';
import { defaultDataDir, storeRepository } from '../data-dir.js';
import { dispatch, groupHelp, type Group } from '../group.js';
import { Failure } from '../report.js';
import { StoreSession } from '../store/session.js';
import { userCommands } from './commands.js';
import type { UserContext } from './context.js';

const user: Group<UserContext> = {
  path: 'nymote user',
  usage: '[--data DATADIR] <command> [...]',
  description: `Manages the people this Nymote serves: their names and passwords, kept in the
data directory's store (on its "accounts" branch, one commit per change), and
a branch users/NAME for each one's mail, contacts and calendars.

  --data DATADIR   the data directory (the one "nymote serve" uses). Default:
                   $NYMOTE_DATA, else $XDG_DATA_HOME/nymote, else
                   ~/.local/share/nymote`,
  footer: `Run "nymote user <command> --help" for its options and examples.
Exit status: 0 ok; 1 failure (no such user, name taken, weak password); 2 usage error.`,
  options: {
    help: { type: 'boolean', short: 'h' },
    data: { type: 'string' },
  },
  commands: userCommands,
};

/** `nymote user ...`: a top-level command that dispatches to the user verbs. */
export const userCommand: Command<Context> = {
  name: 'user',
  summary: 'manage users: add, list, passwd, remove',
  usage: user.usage,
  help: groupHelp(user).replace(/^usage: .*\n\n/, ''),
  async invoke(argv, { io }) {
    let session: StoreSession | undefined;
    try {
      return await dispatch(user, argv, io, (values) => {
        const dataDir = typeof values['data'] === 'string' ? resolve(values['data']) : defaultDataDir(io.env);
        const opened = new StoreSession(io, storeRepository(dataDir));
        session = opened;
        return {
          io,
          dataDir,
          accounts: async (options = {}) => {
            try {
              return new Accounts((await opened.open(options)).store);
            } catch (e) {
              if (!isStoreError(e, 'not-a-repository')) throw e;
              throw new Failure(`no users in ${dataDir} yet: it has no store (add the first with "nymote user add NAME")`);
            }
          },
        };
      });
    } finally {
      await session?.close();
    }
  },
};
