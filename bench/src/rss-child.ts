// Benchmark 4's child process: `node --expose-gc rss-child.js <repo>` opens our Store on the repository,
// walks every key and reads every value, then prints its memory use as JSON on stdout.
import { readFileSync } from 'node:fs';
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
  /**
   * The process's peak resident set (bytes): Linux's VmHWM, else the largest RSS sampled every 1,000
   * keys. Not getrusage's maxRSS: Linux carries that over from the parent across fork and exec.
   */
  maxRss: number;
}

/** VmHWM from /proc/self/status (bytes), where there is one. */
function highWaterMark(): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
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
  let sampledMax = baseline.rss;
  for await (const { key } of tree.walk()) {
    const v = await tree.get(key);
    if (!v) throw new Error(`no value at ${key}`);
    keys++;
    valueBytes += v.length;
    if (keys % 1000 === 0) sampledMax = Math.max(sampledMax, process.memoryUsage.rss());
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const loaded = snapshot();
  const report: RssReport = { keys, valueBytes, ms, baseline, loaded, maxRss: highWaterMark() ?? sampledMax };
  process.stdout.write(JSON.stringify(report));
  // Only now may the store and its caches go.
  if ((await tree.list()).length === 0 && keys > 0) throw new Error('unreachable');
  await store.close();
}

const dir = process.argv[2];
if (!dir) throw new Error('usage: rss-child.js <repository>');
await main(dir);
