// 3. The history of one key among many commits (Irmin users report 76 s for this).
import { expectSame } from './check.js';
import { HOT_KEY } from './dataset.js';
import { git, lines } from './git-cli.js';
import { diskFs, isoKeyLog } from './iso/contender.js';
import { openDiskStore } from './ours.js';
import { historyRepo } from './repos.js';
import { steadyMedian, timed } from './timing.js';
import type { Benchmark } from './types.js';

async function oursKeyLog(dir: string): Promise<string[]> {
  const store = await openDiskStore(dir);
  const page = await store.log({ key: HOT_KEY });
  await store.close();
  return page.entries.map((e) => e.id);
}

export const keyHistoryBench: Benchmark = {
  name: 'key-history',
  description: '3. history of one key: store.log({ key }) vs git log -- key vs isomorphic-git log({ filepath })',
  async run(ctx) {
    const { historyCommits: n, historyEvery: every } = ctx.sizes;
    const dir = await historyRepo(ctx);
    const changes = Math.ceil(n / every);
    ctx.progress('key-history: ours');
    const ours = await steadyMedian(ctx.sizes.reps, () => timed(() => oursKeyLog(dir)));
    expectSame('commits that changed the key', changes, ours.value.length, 'store.log({ key })');
    ctx.progress('key-history: git');
    const gitLog = await steadyMedian(ctx.sizes.reps, async () => {
      const r = await git(['log', '--format=%H', 'refs/heads/main', '--', HOT_KEY], { gitDir: dir });
      return { ms: r.ms, value: lines(r.stdout) };
    });
    expectSame('history of the key', gitLog.value, ours.value, 'store.log({ key })');
    ctx.progress('key-history: isomorphic-git (one run)');
    const iso = await timed(() => isoKeyLog(diskFs, dir, HOT_KEY));
    expectSame('history of the key', gitLog.value, iso.value, 'isomorphic-git log({ filepath })');
    const task = `log of "${HOT_KEY}": ${changes.toLocaleString('en-US')} changes in ${n.toLocaleString('en-US')} commits`;
    return [
      { bench: '3 key history', task, ours: { ms: ours.ms }, peer: { name: 'git log -- key (process)', result: { ms: gitLog.ms } } },
      { bench: '3 key history', task, ours: { ms: ours.ms }, peer: { name: 'isomorphic-git log({ filepath })', result: { ms: iso.ms } } },
    ];
  },
};
