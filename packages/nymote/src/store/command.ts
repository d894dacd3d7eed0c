import { resolve } from 'node:path';
import type { Command } from '../command.js';
import type { Context } from '../cli.js';
import { defaultDataDir, storeRepository } from '../data-dir.js';
import { dispatch, groupHelp, groupUsage, type Group } from '../group.js';
import { UsageError } from '../usage.js';
import { storeCommands } from './commands/index.js';
import type { StoreContext } from './context.js';
import { SCHEMA_HELP } from './schema.js';
import { StoreSession } from './session.js';

const store: Group<StoreContext> = {
  path: 'nymote store',
  usage: '[--repo DIR | --data DATADIR] <command> [...]',
  description: `Reads and writes a store: a bare Git repository of keys and values, where every
write is a commit. Git can read it (git --git-dir=DIR log, git show main:KEY).

  --repo DIR       the store is the bare repository DIR
  --data DATADIR   the store is DATADIR/store.git, in the data directory that
                   "nymote serve" uses. Default: $NYMOTE_DATA, else
                   $XDG_DATA_HOME/nymote, else ~/.local/share/nymote

These options go before the command: nymote store --repo ./r.git get KEY.
${SCHEMA_HELP}`,
  footer: `Run "nymote store <command> --help" for its options and examples.
Exit status: 0 ok; 1 not found, conflict, fsck problems or other failure; 2 usage error.`,
  options: {
    help: { type: 'boolean', short: 'h' },
    repo: { type: 'string' },
    data: { type: 'string' },
  },
  commands: storeCommands,
};

/** The repository named by --repo or --data, else the default data directory's. */
export function repositoryDir(values: { repo?: string | boolean | undefined; data?: string | boolean | undefined }, env: Readonly<Record<string, string | undefined>>): string {
  if (typeof values.repo === 'string' && typeof values.data === 'string') {
    throw new UsageError('give --repo or --data, not both');
  }
  if (typeof values.repo === 'string') return resolve(values.repo);
  return storeRepository(typeof values.data === 'string' ? values.data : defaultDataDir(env));
}

/** `nymote store ...`: a top-level command that dispatches to the store verbs. */
export const storeCommand: Command<Context> = {
  name: 'store',
  summary: 'read and write the versioned store: init, set, get, merge, log, ...',
  usage: store.usage,
  help: groupHelp(store).replace(/^usage: .*\n\n/, ''),
  async invoke(argv, { io }) {
    let session: StoreSession | undefined;
    try {
      return await dispatch(store, argv, io, (values) => {
        try {
          session = new StoreSession(io, repositoryDir(values, io.env));
        } catch (e) {
          throw e instanceof UsageError ? e.withUsage(groupUsage(store)) : e;
        }
        return session;
      });
    } finally {
      await session?.close();
    }
  },
};
