// 2. Reads: every key under a prefix (all of benchmark 1's keys are under "k").
import { expectSame } from './check.js';
import { git, lines } from './git-cli.js';
import { diskFs, isoListFilesPrefix, isoWalkPrefix } from './iso/contender.js';
import { LAYOUTS } from './layouts.js';
import { openDiskStore } from './ours.js';
import { steadyMedian, timed } from './timing.js';
import type { Benchmark, Row } from './types.js';

const PREFIX = 'k';

/** Opens the store each time, as isomorphic-git starts cold on every call. */
async function oursKeys(dir: string): Promise<{ key: string; id: string | undefined }[]> {
  const store = await openDiskStore(dir);
  const out = await (await store.tree()).keys(PREFIX);
  await store.close();
  return out;
}

const sorted = (keys: Iterable<string>) => [...keys].sort();

export const readListBench: Benchmark = {
  name: 'read-list',
  description: '2. list every key under a prefix: Tree.keys (cold: store opened each time) vs isomorphic-git walk/listFiles vs git ls-tree -r',
  async run(ctx) {
    const n = ctx.sizes.commits;
    const rows: Row[] = [];
    for (const layout of LAYOUTS) {
      const dir = await layout.repo(ctx);
      ctx.progress(`read-list (${layout.name})`);
      const ours = await steadyMedian(ctx.sizes.reps, () => timed(() => oursKeys(dir)));
      const keys = sorted(ours.value.map((e) => e.key));
      expectSame('key count', n, keys.length, 'Tree.keys');
      const isoWalk = await steadyMedian(ctx.sizes.reps, () => timed(() => isoWalkPrefix(diskFs, dir, PREFIX)));
      expectSame('keys', keys, sorted(isoWalk.value.map((e) => e.path)), 'isomorphic-git walk');
      const isoList = await steadyMedian(ctx.sizes.reps, () => timed(() => isoListFilesPrefix(diskFs, dir, PREFIX)));
      expectSame('keys', keys, sorted(isoList.value), 'isomorphic-git listFiles');
      const lsTree = await steadyMedian(ctx.sizes.reps, async () => {
        const r = await git(['ls-tree', '-r', 'refs/heads/main', '--', PREFIX], { gitDir: dir });
        return { ms: r.ms, value: lines(r.stdout) };
      });
      expectSame('key count', n, lsTree.value.length, 'git ls-tree -r');
      // isomorphic-git's faster way counts.
      const iso = isoWalk.ms <= isoList.ms ? { name: 'isomorphic-git walk', ms: isoWalk.ms } : { name: 'isomorphic-git listFiles', ms: isoList.ms };
      const task = `list ${n.toLocaleString('en-US')} keys under "${PREFIX}/" (${layout.name})`;
      rows.push(
        { bench: '2 reads', task, ours: { ms: ours.ms }, peer: { name: iso.name, result: { ms: iso.ms } }, target: 10 },
        { bench: '2 reads', task, ours: { ms: ours.ms }, peer: { name: 'git ls-tree -r (process)', result: { ms: lsTree.ms } } },
      );
    }
    return rows;
  },
};
