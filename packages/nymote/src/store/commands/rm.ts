import { defineCommand } from '../../command.js';
import { fail } from '../../report.js';
import type { StoreContext } from '../context.js';
import { requireBranch, writeInfo, writeOptions } from '../options.js';

export const rm = defineCommand({
  name: 'rm',
  summary: 'remove a key or a whole tree of keys (one commit)',
  usage: 'KEY [-m MESSAGE] [--branch B] [--author "Name <mail>"]',
  help: `Removes KEY, or every key under it when it is a tree, as a new commit; prints
the commit id. Exits 1 when there is nothing at KEY.

options:
  -m, --message MESSAGE   the commit message (default "Remove KEY")
  --branch B              the branch to write (default: the default branch)
  --author "Name <mail>"  the author (default $NYMOTE_AUTHOR, else user@host)

examples:
  nymote store rm contacts/bob.json
  nymote store rm drafts -m "clear drafts"`,
  options: writeOptions,
  args: ['KEY'],
  async run([key], options, context: StoreContext) {
    const info = writeInfo(options);
    const { store } = await context.open();
    await requireBranch(store, info.branch);
    const commit = await store.remove(key!, info);
    if (commit === undefined) return fail(context.io, `no value at ${key} (branch ${info.branch ?? store.defaultBranch})`);
    context.io.stdout.write(`${commit}\n`);
    return 0;
  },
});
