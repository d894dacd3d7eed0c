import { defineCommand } from '../../command.js';
import type { StoreContext } from '../context.js';

export const gc = defineCommand({
  name: 'gc',
  summary: 'pack loose objects and refs (safe while others write)',
  usage: '[--progress]',
  help: `Packs every loose object and every existing pack into one new packfile (with
deltas) and every loose ref into packed-refs, then removes the loose copies and
the old packs, as "git gc" would (nothing is pruned: unreachable objects are
kept; a pack with a .keep file is left alone). Safe while other processes read
and write. Prints how many objects it packed, and the files it removed.

options:
  --progress     report each step on stderr (the default when stderr is a
                 terminal)

example:
  $ nymote store gc
  packed 3012 objects, removed 1250 loose files and 2 old packs`,
  options: { progress: { type: 'boolean' } },
  args: [],
  async run(_args, options, context: StoreContext) {
    const { io } = context;
    const { backend } = await context.open();
    const verbose = options.progress === true || io.stderr.isTTY;
    const r = await backend.gc(verbose ? { onProgress: (m) => io.stderr.write(`nymote: ${m}\n`) } : {});
    io.stdout.write(`packed ${r.packedObjects} objects, removed ${r.removedLooseFiles} loose files and ${r.removedPacks} old packs\n`);
    return 0;
  },
});
