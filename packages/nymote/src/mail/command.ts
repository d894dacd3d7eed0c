import type { Command } from '../command.js';
import type { Context } from '../cli.js';
import type { DataContext } from '../data-context.js';
import { dataContext, dataGroupCommand } from '../data-session.js';
import type { Group } from '../group.js';
import { log, undo } from './history.js';
import { importMbox } from './import.js';
import { serve } from './serve.js';

const mail: Group<DataContext> = {
  path: 'nymote mail',
  usage: '[--data DATADIR] <command> [...]',
  description: `Mail: an IMAP and SMTP server on the store, the history of each user's mail
(every delivery, flag change, move and expunge is a commit on the branch
users/NAME), undo, and import.

  --data DATADIR   the data directory. Default: $NYMOTE_DATA, else
                   $XDG_DATA_HOME/nymote, else ~/.local/share/nymote`,
  footer: `Run "nymote mail <command> --help" for its options and examples.
Exit status: 0 ok; 1 failure; 2 usage error.`,
  options: { help: { type: 'boolean', short: 'h' }, data: { type: 'string' } },
  commands: [serve, log, undo, importMbox],
};

/** `nymote mail ...`: serve, log, undo, import. */
export const mailCommand: Command<Context> = dataGroupCommand(mail, 'mail', 'mail: serve (IMAP, SMTP), log, undo, import (mbox)', dataContext);
