import { defineCommand } from '../../command.js';
import type { StoreContext } from '../context.js';
import { openListing } from '../listing.js';
import { readOptions } from '../options.js';

export const tree = defineCommand({
  name: 'tree',
  summary: 'list every key under a prefix, recursively',
  usage: '[PREFIX] [--branch B | --at COMMIT]',
  help: `Prints every key that holds a value under PREFIX (default: the whole store),
at any depth, one full key a line, in Git's order. Exits 1 when there is nothing
at PREFIX.

options:
  --branch B     read the branch B (default: the default branch)
  --at COMMIT    read the store as it was at COMMIT (a commit id, or 4+ of its first digits)

example:
  $ nymote store tree contacts
  contacts/alice.json
  contacts/old/bob.json`,
  options: readOptions,
  args: ['[PREFIX]'],
  async run([prefixWord], options, context: StoreContext) {
    const listing = await openListing(prefixWord, options, context);
    if (typeof listing === 'number') return listing;
    const { view, prefix } = listing;
    // Written in batches: a store can hold millions of keys, and one write per key is slow.
    let out = '';
    for await (const { key } of view.walk(prefix)) {
      out += `${key}\n`;
      if (out.length > 1 << 16) {
        context.io.stdout.write(out);
        out = '';
      }
    }
    context.io.stdout.write(out);
    return 0;
  },
});
