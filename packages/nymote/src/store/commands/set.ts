import { defineCommand } from '../../command.js';
import { readAll } from '../../io.js';
import type { StoreContext } from '../context.js';
import { requireBranch, writeInfo, writeOptions } from '../options.js';

export const set = defineCommand({
  name: 'set',
  summary: 'set a key to a value (one commit); prints the commit',
  usage: 'KEY VALUE [-m MESSAGE] [--branch B] [--author "Name <mail>"]',
  help: `Sets KEY to VALUE as a new commit on the branch and prints the commit id.
VALUE "-" reads the value from stdin, byte for byte (binary is fine). A VALUE
that starts with "-" goes after "--". Setting the value a key already has makes
no commit and prints the current one.

options:
  -m, --message MESSAGE   the commit message (default "Set KEY")
  --branch B              the branch to write (default: the default branch)
  --author "Name <mail>"  the author (default $NYMOTE_AUTHOR, else user@host)

examples:
  nymote store set contacts/alice.json '{"name":"Alice"}'
  nymote store set photos/cat.jpg - < cat.jpg
  nymote store set notes/todo -m "note to self" -- "-buy milk"`,
  options: writeOptions,
  args: ['KEY', 'VALUE'],
  async run([key, value], options, context: StoreContext) {
    const info = writeInfo(options);
    const bytes = value === '-' ? await readAll(context.io.stdin) : value!;
    const { store } = await context.open();
    await requireBranch(store, info.branch);
    const commit = await store.set(key!, bytes, info);
    context.io.stdout.write(`${commit}\n`);
    return 0;
  },
});
