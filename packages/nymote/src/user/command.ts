import type { Command } from '../command.js';
import type { Context } from '../cli.js';
import { dataGroupCommand } from '../data-session.js';
import type { Group } from '../group.js';
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
export const userCommand: Command<Context> = dataGroupCommand(user, 'user', 'manage users: add, list, passwd, remove', (session, io) => ({
  io, dataDir: session.dataDir, accounts: async (options = {}) => (await session.open(options)).accounts,
}));
