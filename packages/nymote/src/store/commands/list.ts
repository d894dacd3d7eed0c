import { defineCommand } from '../../command.js';
import { fail } from '../../report.js';
import type { StoreContext } from '../context.js';
import { prefixArg, readOptions, readPoint } from '../options.js';

export const list = defineCommand({
  name: 'list',
  summary: 'list the keys directly under a prefix (trees end with "/")',
  usage: '[PREFIX] [--branch B | --at COMMIT]',
  help: `Prints the keys directly under PREFIX (default: the top), one full key a line,
sorted; a key that is a tree of further keys ends with "/". PREFIX naming a
single value prints just that key. Exits 1 when there is nothing at PREFIX.

options:
  --branch B     read the branch B (default: the default branch)
  --at COMMIT    read the store as it was at COMMIT (a full commit id)

example:
  $ nymote store list contacts
  contacts/alice.json
  contacts/old/`,
  options: readOptions,
  args: ['[PREFIX]'],
  async run([prefixWord], options, context: StoreContext) {
    const point = readPoint(options);
    const { store } = await context.open();
    const { at, where } = point(store);
    const prefix = prefixArg(prefixWord);
    const tree = await store.tree(at);
    const kind = prefix === '' ? 'tree' : await tree.kind(prefix);
    if (kind === undefined) return fail(context.io, `no key at or under ${prefix} (${where})`);
    if (kind === 'value') {
      context.io.stdout.write(`${prefix}\n`);
      return 0;
    }
    let out = '';
    for (const e of await tree.list(prefix)) {
      out += `${prefix === '' ? '' : prefix + '/'}${e.name}${e.kind === 'tree' ? '/' : ''}\n`;
    }
    context.io.stdout.write(out);
    return 0;
  },
});
