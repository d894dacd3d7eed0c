// 1. Writes in memory: Store.set on the memory backend vs isomorphic-git on an in-memory fs.
import { expectSame } from './check.js';
import { writeRecords } from './dataset.js';
import { isoCommitEach, isoHead, isoInit } from './iso/contender.js';
import { MemFs } from './iso/mem-fs.js';
import { createMemoryStore, oursSetEach } from './ours.js';
import { progressEvery, timed } from './timing.js';
import type { Benchmark, Row } from './types.js';

export const writesMemoryBench: Benchmark = {
  name: 'writes-memory',
  description: '1. one commit per key in memory: Store on memoryBackend vs isomorphic-git on an in-memory fs',
  async run(ctx) {
    const n = ctx.sizes.commits;

    const fs = new MemFs();
    await isoInit(fs, '/repo');
    const iso = await timed(() => isoCommitEach(fs, '/repo', writeRecords(n), progressEvery(n, ctx.progress, 'writes-memory: isomorphic-git')));
    const isoHeadId = await isoHead(fs, '/repo');

    const rows: Row[] = [];
    for (const sha1 of ['node', 'portable'] as const) {
      const store = createMemoryStore(sha1);
      const ours = await timed(() => oursSetEach(store, writeRecords(n), progressEvery(n, ctx.progress, `writes-memory: ours (${sha1} SHA-1)`)));
      expectSame('head after the writes', isoHeadId, ours.value, `Store on memoryBackend (${sha1} SHA-1)`);
      rows.push({
        bench: '1 writes (memory)',
        task: `${n.toLocaleString('en-US')} commits, one key each; ${sha1 === 'node' ? 'node:crypto SHA-1' : 'default portable SHA-1'}`,
        ours: { ms: ours.ms }, peer: { name: 'isomorphic-git (in-memory fs)', result: { ms: iso.ms } }, target: 5,
      });
    }
    return rows;
  },
};
