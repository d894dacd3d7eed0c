import { defineCommand } from '../../command.js';
import { reportConflicts } from '../conflicts.js';
import type { StoreContext } from '../context.js';
import { commitId, requireBranch, writeInfo, writeOptions } from '../options.js';

export const revert = defineCommand({
  name: 'revert',
  summary: 'undo one commit with a new commit',
  usage: 'COMMIT [--branch B] [-m MESSAGE] [--author "Name <mail>"]',
  help: `Undoes the changes COMMIT made, keeping everything done since, as a new commit
on the branch (so the undo can be undone too); prints the new commit. Later
changes to the same keys are merged as "nymote store merge --help" describes;
on conflict nothing changes, one line per conflicting key is printed, and the
exit status is 1.

options:
  --branch B              the branch to write (default: the default branch)
  -m, --message MESSAGE   the message (default 'Revert "<subject>"')
  --author "Name <mail>"  the author (default $NYMOTE_AUTHOR, else user@host)

example:
  nymote store revert 3f1c5e0b9a7d4c2e8f6a1b3d5c7e9f0a2b4c6d8e`,
  options: writeOptions,
  args: ['COMMIT'],
  async run([commitWord], options, context: StoreContext) {
    const commit = commitId(commitWord!, 'COMMIT');
    const info = writeInfo(options);
    const { store } = await context.open();
    await requireBranch(store, info.branch);
    const r = await store.revert(commit, info);
    if (!r.ok) return reportConflicts(context.io, r.conflicts, `reverting ${commit} on ${info.branch ?? store.defaultBranch}`);
    context.io.stdout.write(`${r.commit}\n`);
    return 0;
  },
});
