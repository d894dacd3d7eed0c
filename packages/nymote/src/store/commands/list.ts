import { defineCommand } from '../../command.js';
import type { StoreContext } from '../context.js';
import { openListing } from '../listing.js';
import { readOptions } from '../options.js';

export const list = defineCommand({
  name: 'list',
  summary: 'list the keys directly under a prefix (trees end with "/")',
  usage: '[PREFIX] [--branch B | --at COMMIT]',
  help: `Prints the keys directly under PREFIX (default: the top), one full key a line,
sorted; a key that is a tree of further keys ends with "/". PREFIX naming a
single value prints just that key. Exits 1 when there is nothing at PREFIX.

options:
  --branch B     read the branch B (default: the default branch)
  --at COMMIT    read the store as it was at COMMIT (a commit id, or 4+ of its first digits)

example:
  $ nymote store list contacts
  contacts/alice.json
  contacts/old/`,
  options: readOptions,
  args: ['[PREFIX]'],
  async run([prefixWord], options, context: StoreContext) {
    const listing = await openListing(prefixWord, options, context);
    if (typeof listing === 'number') return listing;
    const { view, prefix, kind } = listing;
    if (kind === 'value') {
      context.io.stdout.write(`${prefix}\n`);
      return 0;
    }
    let out = '';
    for (const e of await view.list(prefix)) {
      out += `${prefix === '' ? '' : prefix + '/'}${e.name}${e.kind === 'tree' ? '/' : ''}\n`;
    }
    context.io.stdout.write(out);
    return 0;
  },
});
