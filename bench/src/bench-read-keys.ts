// 2. Reads: every key of benchmark 1 at HEAD, one call each, in a warm process.
import { expectSameBytes } from './check.js';
import { writeRecords } from './dataset.js';
import { git } from './git-cli.js';
import { diskFs, isoReadKeys } from './iso/contender.js';
import { LAYOUTS } from './layouts.js';
import { openDiskStore } from './ours.js';
import { median, timed } from './timing.js';
import type { Benchmark, Row } from './types.js';

async function oursGetAll(dir: string, keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
  const store = await openDiskStore(dir);
  const out: (Uint8Array | undefined)[] = [];
  for (const k of keys) out.push(await store.get(k));
  await store.close();
  return out;
}

/** `git cat-file --batch` given "main:<key>" lines: one process reading every value. */
async function gitCatFileAll(dir: string, keys: readonly string[]): Promise<{ ms: number; value: number }> {
  const r = await git(['cat-file', '--batch'], { gitDir: dir, input: Buffer.from(keys.map((k) => `refs/heads/main:${k}\n`).join('')) });
  let count = 0;
  for (let i = r.stdout.indexOf(' blob '); i >= 0; i = r.stdout.indexOf(' blob ', i + 1)) count++;
  return { ms: r.ms, value: count };
}

export const readKeysBench: Benchmark = {
  name: 'read-keys',
  description: '2. read every key at HEAD: store.get vs isomorphic-git readBlob({ filepath }) vs git cat-file --batch',
  async run(ctx) {
    const records = [...writeRecords(ctx.sizes.commits)];
    const keys = records.map((r) => r.key);
    const expected = records.map((r) => r.value);
    const warmup = keys.slice(0, 1000);
    const rows: Row[] = [];
    for (const layout of LAYOUTS) {
      const dir = await layout.repo(ctx);
      ctx.progress(`read-keys (${layout.name}): warm-up`);
      await oursGetAll(dir, warmup);
      await isoReadKeys(diskFs, dir, warmup);
      ctx.progress(`read-keys (${layout.name}): ours`);
      const ours = await median(ctx.sizes.reps, () => timed(() => oursGetAll(dir, keys)));
      expectSameBytes('values at HEAD', expected, ours.value, 'store.get');
      ctx.progress(`read-keys (${layout.name}): isomorphic-git`);
      const iso = await median(ctx.sizes.reps, () => timed(() => isoReadKeys(diskFs, dir, keys)));
      expectSameBytes('values at HEAD', expected, iso.value, 'isomorphic-git readBlob');
      const cat = await median(ctx.sizes.reps, () => gitCatFileAll(dir, keys));
      if (cat.value !== keys.length) throw new Error(`git cat-file found ${cat.value} of ${keys.length} keys`);
      const task = `get ${keys.length.toLocaleString('en-US')} keys at HEAD (${layout.name})`;
      rows.push(
        { bench: '2 reads', task, ours: { ms: ours.ms }, peer: { name: 'isomorphic-git readBlob', result: { ms: iso.ms } }, target: 10 },
        { bench: '2 reads', task, ours: { ms: ours.ms }, peer: { name: 'git cat-file --batch (process)', result: { ms: cat.ms } } },
      );
    }
    return rows;
  },
};
