// 1. Bulk writes: Store.import (one packfile) vs git fast-import (one process, startup included).
import { expectSame } from './check.js';
import { writeRecords } from './dataset.js';
import { fastImportStream } from './fast-import-stream.js';
import { git, gitInitBare } from './git-cli.js';
import { createDiskStore, oursImport } from './ours.js';
import { PACKED } from './repos.js';
import { settleDisk } from './settle.js';
import { timed } from './timing.js';
import type { Benchmark } from './types.js';

export const importBench: Benchmark = {
  name: 'import',
  description: '1. bulk import of the same commits: Store.import vs git fast-import',
  async run(ctx) {
    const n = ctx.sizes.commits;

    const gitDir = await ctx.workspace.dir('import-git');
    await gitInitBare(gitDir);
    const stream = fastImportStream(writeRecords(n));
    settleDisk();
    ctx.progress(`import: git fast-import (${(stream.length / 1e6).toFixed(1)} MB stream)`);
    const fast = await git(['fast-import', '--quiet', '--done'], { gitDir, input: stream });
    const gitHead = (await git(['rev-parse', 'refs/heads/main'], { gitDir })).stdout.toString().trim();
    await ctx.workspace.remove(gitDir);

    ctx.progress('import: ours (Store.import)');
    const oursDir = await ctx.workspace.dir('import-ours');
    const store = await createDiskStore(oursDir);
    settleDisk();
    const ours = await timed(async () => {
      const head = await oursImport(store, writeRecords(n));
      await store.close();
      return head;
    });
    expectSame('head after the import', gitHead, ours.value, 'Store.import');
    ctx.fixtures.put(PACKED, oursDir);

    return [{
      bench: '1 writes (bulk)', task: `${n.toLocaleString('en-US')} commits in one pack (Store.import)`,
      ours: { ms: ours.ms }, peer: { name: 'git fast-import', result: { ms: fast.ms } }, target: 0.5,
    }];
  },
};
