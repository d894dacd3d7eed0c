import { pullRemote } from '@nymote/store/node';
import { defineCommand } from '../../command.js';
import { reportConflicts } from '../conflicts.js';
import type { StoreContext } from '../context.js';
import { author } from '../options.js';
import { SCHEMA_HELP } from '../schema.js';
import { PROGRESS_HELP, PROGRESS_OPTIONS, fsStore, progressReporter } from './fetch.js';

export const pull = defineCommand({
  name: 'pull',
  summary: 'fetch from a remote and merge its branch into yours',
  usage: '[REMOTE] [--branch B] [-m MESSAGE] [--author "Name <mail>"] [--progress] [-q]',
  help: `Fetches from the remote (default "origin"), as "nymote store fetch" does, then
merges the remote's branch of the same name into the local branch (default:
the default branch, or B): a fast-forward when the local branch has nothing of
its own, else a merge commit made by the value types' merges. Prints the
resulting commit.

On conflict nothing changes locally (the fetched commits are kept as
REMOTE/BRANCH): one line per conflicting key, "conflict KEY: reason", exit 1.

${SCHEMA_HELP}

options:
  --branch B              the local branch to merge into, and the remote branch
                          to merge (default: the default branch)
  -m, --message MESSAGE   the merge commit's message
  --author "Name <mail>"  the author (default $NYMOTE_AUTHOR, else user@host)
${PROGRESS_HELP}

example:
  $ nymote store pull
  fast-forward main to origin/main
  5d6e7f8...`,
  options: {
    branch: { type: 'string' },
    message: { type: 'string', short: 'm' },
    author: { type: 'string' },
    ...PROGRESS_OPTIONS,
  },
  args: ['[REMOTE]'],
  async run([remote = 'origin'], options, context: StoreContext) {
    const who = options.author === undefined ? undefined : author(options.author, '--author');
    const store = fsStore(await context.open());
    const branch = options.branch ?? store.defaultBranch;
    const onProgress = progressReporter(context.io, options);
    const r = await pullRemote(store, remote, {
      branch,
      ...(onProgress ? { onProgress } : {}),
      ...(options.message === undefined ? {} : { message: options.message }),
      ...(who === undefined ? {} : { author: who }),
    });
    if (!r.merge.ok) return reportConflicts(context.io, r.merge.conflicts, `merging ${remote}/${branch} into ${branch}`);
    const said = r.merge.kind === 'up-to-date' ? `${branch} already contains ${remote}/${branch}`
      : r.merge.kind === 'fast-forward' ? `fast-forward ${branch} to ${remote}/${branch}`
        : `merged ${remote}/${branch} into ${branch}`;
    context.io.stderr.write(`${said}\n`);
    context.io.stdout.write(`${r.merge.commit}\n`);
    return 0;
  },
});
