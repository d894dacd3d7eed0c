// 1. Writes on disk: one commit per key, ours (Store.set over the on-disk backend) vs isomorphic-git.
import { expectSame } from './check.js';
import { writeRecords } from './dataset.js';
import { diskFs, isoCommitEach, isoHead, isoInit } from './iso/contender.js';
import { createDiskStore, oursSetEach } from './ours.js';
import { LOOSE } from './repos.js';
import { settleDisk } from './settle.js';
import { progressEvery, timed } from './timing.js';
import type { Benchmark } from './types.js';

export const writesBench: Benchmark = {
  name: 'writes-disk',
  description: '1. one commit per key on disk: Store.set vs isomorphic-git (loose objects)',
  async run(ctx) {
    const n = ctx.sizes.commits;

    const oursDir = await ctx.workspace.dir('writes-ours');
    const store = await createDiskStore(oursDir);
    settleDisk();
    const ours = await timed(async () => {
      const head = await oursSetEach(store, writeRecords(n), progressEvery(n, ctx.progress, 'writes: ours (Store.set)'));
      await store.close();
      return head;
    });
    ctx.fixtures.put(LOOSE, oursDir); // the read benchmarks read this repository

    const isoDir = await ctx.workspace.dir('writes-iso');
    await isoInit(diskFs, isoDir);
    settleDisk();
    const iso = await timed(() => isoCommitEach(diskFs, isoDir, writeRecords(n), progressEvery(n, ctx.progress, 'writes: isomorphic-git')));
    expectSame('head after the writes', ours.value, await isoHead(diskFs, isoDir), 'isomorphic-git');
    await ctx.workspace.remove(isoDir);

    return [{
      bench: '1 writes (disk)', task: `${n.toLocaleString('en-US')} commits, one key each (Store.set)`,
      ours: { ms: ours.ms }, peer: { name: 'isomorphic-git', result: { ms: iso.ms } }, target: 5,
    }];
  },
};
