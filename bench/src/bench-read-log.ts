// 2. Reads: the whole history of benchmark 1's branch.
import { expectSame } from './check.js';
import { git, lines } from './git-cli.js';
import { diskFs, isoLog } from './iso/contender.js';
import { LAYOUTS } from './layouts.js';
import { openDiskStore } from './ours.js';
import { steadyMedian, timed } from './timing.js';
import type { Benchmark, Row } from './types.js';

async function oursLog(dir: string): Promise<string[]> {
  const store = await openDiskStore(dir);
  const page = await store.log();
  await store.close();
  return page.entries.map((e) => e.id);
}

export const readLogBench: Benchmark = {
  name: 'read-log',
  description: '2. walk the whole history: store.log() vs isomorphic-git log vs git log / git rev-list --count',
  async run(ctx) {
    const n = ctx.sizes.commits;
    const rows: Row[] = [];
    for (const layout of LAYOUTS) {
      const dir = await layout.repo(ctx);
      ctx.progress(`read-log (${layout.name})`);
      const ours = await steadyMedian(ctx.sizes.reps, () => timed(() => oursLog(dir)));
      expectSame('commit count', n, ours.value.length, 'store.log');
      const iso = await steadyMedian(ctx.sizes.reps, () => timed(() => isoLog(diskFs, dir)));
      expectSame('log', ours.value, iso.value, 'isomorphic-git log');
      const gitLog = await steadyMedian(ctx.sizes.reps, async () => {
        const r = await git(['log', '--format=%H', 'refs/heads/main'], { gitDir: dir });
        return { ms: r.ms, value: lines(r.stdout) };
      });
      expectSame('log', ours.value, gitLog.value, 'git log');
      const revList = await steadyMedian(ctx.sizes.reps, async () => {
        const r = await git(['rev-list', '--count', 'refs/heads/main'], { gitDir: dir });
        return { ms: r.ms, value: Number(r.stdout.toString().trim()) };
      });
      expectSame('commit count', n, revList.value, 'git rev-list --count');
      const task = `log of ${n.toLocaleString('en-US')} commits (${layout.name})`;
      rows.push(
        { bench: '2 reads', task, ours: { ms: ours.ms }, peer: { name: 'isomorphic-git log', result: { ms: iso.ms } }, target: 10 },
        { bench: '2 reads', task, ours: { ms: ours.ms }, peer: { name: 'git log --format=%H (process)', result: { ms: gitLog.ms } } },
        { bench: '2 reads', task, ours: { ms: ours.ms }, peer: { name: 'git rev-list --count (process)', result: { ms: revList.ms } } },
      );
    }
    return rows;
  },
};
