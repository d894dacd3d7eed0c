import type { Command } from '../command.js';
import type { Context } from '../cli.js';
import { dataContext, dataGroupCommand } from '../data-session.js';
import type { Group } from '../group.js';
import type { DavContext } from './context.js';
import { log, undo } from './history.js';
import { serve } from './serve.js';

const dav: Group<DavContext> = {
  path: 'nymote dav',
  usage: '[--data DATADIR] <command> [...]',
  description: `Contacts and calendars: a CardDAV and CalDAV server for the users of the
data directory ("nymote user add"), keeping every change as a commit on the
user's branch users/NAME, and the history and undo of those changes.

  --data DATADIR   the data directory. Default: $NYMOTE_DATA, else
                   $XDG_DATA_HOME/nymote, else ~/.local/share/nymote`,
  footer: `Run "nymote dav <command> --help" for its options and examples.
Exit status: 0 ok; 1 failure; 2 usage error.`,
  options: { help: { type: 'boolean', short: 'h' }, data: { type: 'string' } },
  commands: [serve, log, undo],
};

/** `nymote dav ...`: serve, log, undo. */
export const davCommand: Command<Context> = dataGroupCommand(dav, 'dav', 'contacts and calendars: serve (CardDAV, CalDAV), log, undo', dataContext);
