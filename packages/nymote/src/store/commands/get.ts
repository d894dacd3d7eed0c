import { defineCommand } from '../../command.js';
import { fail } from '../../report.js';
import type { StoreContext } from '../context.js';
import { readOptions, readPoint } from '../options.js';

export const get = defineCommand({
  name: 'get',
  summary: "write a key's value to stdout, byte for byte",
  usage: 'KEY [--branch B | --at COMMIT]',
  help: `Writes the value of KEY to stdout exactly as stored (no newline is added).
Exits 1 with "no value at KEY" when the key is absent.

options:
  --branch B     read the branch B (default: the default branch)
  --at COMMIT    read the store as it was at COMMIT (a commit id, or 4+ of its first digits)

examples:
  nymote store get contacts/alice.json
  nymote store get photos/cat.jpg --branch phone > cat.jpg`,
  options: readOptions,
  args: ['KEY'],
  async run([key], options, context: StoreContext) {
    const point = readPoint(options);
    const { store } = await context.open();
    const { at, where } = point(store);
    const tree = await store.tree(at);
    const value = await tree.get(key!);
    if (value === undefined) {
      const isTree = (await tree.kind(key!)) === 'tree';
      return fail(context.io, isTree ? `${key} is a tree of keys, not a value (${where}); "nymote store list ${key}" shows them` : `no value at ${key} (${where})`);
    }
    context.io.stdout.write(value);
    return 0;
  },
});
