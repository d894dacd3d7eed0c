import type { Context } from '../cli.js';
import type { Command } from '../command.js';
import { DataSession } from '../data-session.js';
import type { DavContext } from '../dav/context.js';
import { dispatch, groupHelp, type Group } from '../group.js';
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
  return {
    name: words.group,
    summary,
    usage: group.usage,
    help: groupHelp(group).replace(/^usage: .*\n\n/, ''),
    async invoke(argv, { io }) {
      let session: DataSession | undefined;
      try {
        return await dispatch(group, argv, io, (values) => {
          const opened = new DataSession(io, values);
          session = opened;
          return { io, dataDir: opened.dataDir, open: () => opened.open() };
        });
      } finally {
        await session?.close();
      }
    },
  };
}
