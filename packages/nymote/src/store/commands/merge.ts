import { defineCommand } from '../../command.js';
import { reportConflicts } from '../conflicts.js';
import type { StoreContext } from '../context.js';
import { author, requireBranch } from '../options.js';
import { SCHEMA_HELP } from '../schema.js';

export const merge = defineCommand({
  name: 'merge',
  summary: 'merge a branch or commit into a branch',
  usage: 'FROM [--into B] [-m MESSAGE] [--author "Name <mail>"]',
  help: `Merges FROM (a branch, or a commit id or 4+ of its first digits) into the default branch, or into B,
and prints the resulting commit: a merge commit, the commit fast-forwarded to,
or, when there is nothing to merge, the current one.

On conflict nothing changes: it prints one line per conflicting key,
"conflict KEY: reason", and exits 1.

${SCHEMA_HELP}

options:
  --into B                the branch to merge into (default: the default branch)
  -m, --message MESSAGE   the merge commit's message
  --author "Name <mail>"  the author (default $NYMOTE_AUTHOR, else user@host)

examples:
  nymote store merge phone
  nymote store merge main --into phone`,
  options: {
    into: { type: 'string' },
    message: { type: 'string', short: 'm' },
    author: { type: 'string' },
  },
  args: ['FROM'],
  async run([from], options, context: StoreContext) {
    const who = options.author === undefined ? undefined : author(options.author, '--author');
    const { store } = await context.open();
    const into = options.into ?? store.defaultBranch;
    await requireBranch(store, into, '--into');
    const r = await store.merge(from!, {
      into,
      ...(options.message === undefined ? {} : { message: options.message }),
      ...(who === undefined ? {} : { author: who }),
    });
    if (!r.ok) return reportConflicts(context.io, r.conflicts, `merging ${from} into ${into}`);
    if (r.kind === 'up-to-date') context.io.stderr.write(`${into} already contains ${from}\n`);
    context.io.stdout.write(`${r.commit}\n`);
    return 0;
  },
});
