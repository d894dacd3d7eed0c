// Benchmark 4's child process: `node --expose-gc rss-child.js <repo>` opens our Store on the repository,
// walks every key and reads every value, then prints its memory use as JSON on stdout.
import { openDiskStore } from './ours.js';

export interface RssReport {
  keys: number;
  valueBytes: number;
  /** Time to walk and read everything, in ms. */
  ms: number;
  /** After startup and opening the store, before reading (bytes). */
  baseline: { rss: number; heapUsed: number };
  /** After reading everything, with the Store and its tree still alive, after a full GC (bytes). */
  loaded: { rss: number; heapUsed: number };
  /** The process's peak resident set (bytes). */
  maxRss: number;
}

function snapshot(): { rss: number; heapUsed: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

async function main(dir: string): Promise<void> {
  const store = await openDiskStore(dir);
  const baseline = snapshot();
  const start = process.hrtime.bigint();
  const tree = await store.tree();
  let keys = 0;
  let valueBytes = 0;
  for await (const { key } of tree.walk()) {
    const v = await tree.get(key);
    if (!v) throw new Error(`no value at ${key}`);
    keys++;
    valueBytes += v.length;
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const loaded = snapshot();
  const report: RssReport = { keys, valueBytes, ms, baseline, loaded, maxRss: process.resourceUsage().maxRSS * 1024 };
  process.stdout.write(JSON.stringify(report));
  // Only now may the store and its caches go.
  if ((await tree.list()).length === 0 && keys > 0) throw new Error('unreachable');
  await store.close();
}

const dir = process.argv[2];
if (!dir) throw new Error('usage: rss-child.js <repository>');
await main(dir);
