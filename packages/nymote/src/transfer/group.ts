import type { Context } from '../cli.js';
import type { Command } from '../command.js';
import { dataContext, dataGroupCommand } from '../data-session.js';
import type { DavContext } from '../dav/context.js';
import type { Group } from '../group.js';
import { exportVerb } from './export.js';
import { importVerb } from './import.js';
import type { KindWords } from './kinds.js';

/** `nymote calendar ...` or `nymote contacts ...`: import and export, on the data directory as `nymote dav`. */
export function transferCommand(words: KindWords, summary: string, description: string): Command<Context> {
  const group: Group<DavContext> = {
    path: `nymote ${words.group}`,
    usage: '[--data DATADIR] <command> [...]',
    description: `${description}

  --data DATADIR   the data directory. Default: $NYMOTE_DATA, else
                   $XDG_DATA_HOME/nymote, else ~/.local/share/nymote`,
    footer: `Run "nymote ${words.group} <command> --help" for its options and examples.
Exit status: 0 ok; 1 failure; 2 usage error.`,
    options: { help: { type: 'boolean', short: 'h' }, data: { type: 'string' } },
    commands: [importVerb(words), exportVerb(words)],
  };
  return dataGroupCommand(group, words.group, summary, dataContext);
}
