import type { Command } from '../command.js';
import type { Context } from '../cli.js';
import type { DataContext } from '../data-context.js';
import { DataSession } from '../data-session.js';
import { dispatch, groupHelp, type Group } from '../group.js';
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
export const mailCommand: Command<Context> = {
  name: 'mail',
  summary: 'mail: serve (IMAP, SMTP), log, undo, import (mbox)',
  usage: mail.usage,
  help: groupHelp(mail).replace(/^usage: .*\n\n/, ''),
  async invoke(argv, { io }) {
    let session: DataSession | undefined;
    try {
      return await dispatch(mail, argv, io, (values) => {
        const opened = new DataSession(io, values);
        session = opened;
        return { io, dataDir: opened.dataDir, open: () => opened.open() };
      });
    } finally {
      await session?.close();
    }
  },
};
