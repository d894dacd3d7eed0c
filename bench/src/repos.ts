// The repositories the read benchmarks use, built (untimed) when the write benchmarks did not run first.
import { historyRecords, rssKey, rssValue, writeRecords } from './dataset.js';
import { createDiskStore, oursImport, oursSetEach } from './ours.js';
import { progressEvery } from './timing.js';
import type { Context } from './types.js';

/** Benchmark 1's repository as our Store writes it with one `set` per commit: loose objects. */
export const LOOSE = 'loose';
/** The same commits written by Store.import: one packfile. */
export const PACKED = 'packed';
/** Benchmark 3's repository (one packfile). */
export const HISTORY = 'history';
/** Benchmark 4's repository: one commit with sizes.rssKeys keys (one packfile). */
export const RSS = 'rss';

export function looseRepo(ctx: Context): Promise<string> {
  return ctx.fixtures.get(LOOSE, async () => {
    const dir = await ctx.workspace.dir('fixture-loose');
    const store = await createDiskStore(dir);
    await oursSetEach(store, writeRecords(ctx.sizes.commits), progressEvery(ctx.sizes.commits, ctx.progress, 'fixture (loose): set'));
    await store.close();
    return dir;
  });
}

export function packedRepo(ctx: Context): Promise<string> {
  return ctx.fixtures.get(PACKED, async () => {
    const dir = await ctx.workspace.dir('fixture-packed');
    const store = await createDiskStore(dir);
    await oursImport(store, writeRecords(ctx.sizes.commits));
    await store.close();
    return dir;
  });
}

export function historyRepo(ctx: Context): Promise<string> {
  return ctx.fixtures.get(HISTORY, async () => {
    ctx.progress(`fixture (history): importing ${ctx.sizes.historyCommits.toLocaleString('en-US')} commits`);
    const dir = await ctx.workspace.dir('fixture-history');
    const store = await createDiskStore(dir);
    await oursImport(store, historyRecords(ctx.sizes.historyCommits, ctx.sizes.historyEvery));
    await store.close();
    return dir;
  });
}

export function rssRepo(ctx: Context): Promise<string> {
  return ctx.fixtures.get(RSS, async () => {
    const n = ctx.sizes.rssKeys;
    ctx.progress(`fixture (rss): one commit of ${n.toLocaleString('en-US')} keys`);
    const dir = await ctx.workspace.dir('fixture-rss');
    const store = await createDiskStore(dir);
    await store.update(async (tree) => {
      for (let i = 0; i < n; i++) await tree.set(rssKey(i), rssValue(i));
    }, { message: `${n} keys`, time: 1_700_000_000_000 });
    await store.close();
    return dir;
  });
}
