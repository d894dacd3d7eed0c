// 4. Memory: our Store holding a tree of many keys, measured in a child process so the numbers are clean.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { rssRepo } from './repos.js';
import type { RssReport } from './rss-child.js';
import type { Benchmark } from './types.js';

const CHILD = fileURLToPath(new URL('./rss-child.js', import.meta.url));
const MB = 1024 * 1024;

export const rssBench: Benchmark = {
  name: 'rss',
  description: '4. memory of our Store after walking and reading every key of a large tree (child process)',
  async run(ctx) {
    const dir = await rssRepo(ctx);
    ctx.progress('rss: child process walking and reading every key');
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', CHILD, dir], { maxBuffer: 1 << 20 });
    const r = JSON.parse(stdout) as RssReport;
    if (r.keys !== ctx.sizes.rssKeys) throw new Error(`the child read ${r.keys} keys, expected ${ctx.sizes.rssKeys}`);
    const n = r.keys.toLocaleString('en-US');
    const bench = '4 memory';
    return [
      { bench, task: `walk + read ${n} keys (time)`, ours: { ms: r.ms } },
      { bench, task: `RSS with ${n} keys loaded (process baseline ${(r.baseline.rss / MB).toFixed(1)} MB)`, ours: { mb: r.loaded.rss / MB } },
      { bench, task: `peak RSS while loading ${n} keys`, ours: { mb: r.maxRss / MB } },
      { bench, task: `JS heap used with ${n} keys loaded (baseline ${(r.baseline.heapUsed / MB).toFixed(1)} MB)`, ours: { mb: r.loaded.heapUsed / MB } },
    ];
  },
};
