import { calendarCommand } from './calendar/command.js';
import type { Command } from './command.js';
import { contactsCommand } from './contacts/command.js';
import { davCommand } from './dav/command.js';
import { mailCommand } from './mail/command.js';
import { serveCommand } from './serve/command.js';
import { statusCommand } from './status.js';
import { dispatch, type Group } from './group.js';
import type { Io } from './io.js';
import { report } from './report.js';
import { storeCommand } from './store/command.js';
import { userCommand } from './user/command.js';
import { version } from './version.js';

/** What every top-level command gets. */
export interface Context {
  readonly io: Io;
}

/** The top-level commands. */
const commands: readonly Command<Context>[] = [serveCommand, statusCommand, userCommand, mailCommand, calendarCommand, contactsCommand, davCommand, storeCommand];

const nymote: Group<Context> = {
  path: 'nymote',
  usage: '[--help | --version] <command> [...]',
  description: 'Run your own mail, contacts and calendars on a versioned store that Git can read.',
  footer: 'Run "nymote <command> --help" for the options and commands of each.',
  options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'V' } },
  commands,
  instead(values, io) {
    if (values['version'] !== true) return undefined;
    io.stdout.write(`nymote ${version()}\n`);
    return 0;
  },
};

/** Runs the command line `argv` (without "node main.js") and returns the exit status; never throws. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  try {
    return await dispatch(nymote, argv, io, () => ({ io }));
  } catch (e) {
    return report(e, io);
  }
}
