// The data every contender writes: the same keys, values, authors and times, so that all of them
// produce byte-identical commits and the runner can check that they did the same work (same head id).

/** Author and committer of every commit. */
export const AUTHOR = { name: 'Nymote Bench', email: 'bench@nymote.invalid' } as const;

/** Commit i is made at EPOCH + i seconds, in UTC. */
export const EPOCH = 1_700_000_000;

export interface BenchRecord {
  key: string;
  value: Uint8Array;
  /** Seconds since the epoch (UTC). */
  time: number;
  /** The commit message, ending with a newline as git stores it. */
  message: string;
}

const encoder = new TextEncoder();

function record(i: number, key: string, value: string): BenchRecord {
  return { key, value: encoder.encode(value), time: EPOCH + i, message: `Set ${key}\n` };
}

/** Benchmark 1's key for commit i: fanned out so that no directory has more than 100 entries at 10,000 keys. */
export function writeKey(i: number): string {
  return `k/${i % 100}/${i}`;
}

/** The records of benchmark 1: commit i sets writeKey(i) to a small value. */
export function* writeRecords(n: number): Generator<BenchRecord> {
  for (let i = 0; i < n; i++) yield record(i, writeKey(i), `value ${i}\n`);
}

/** The key whose history benchmark 3 reads. */
export const HOT_KEY = 'notes/today';

/** Benchmark 3's history: every `every`-th commit changes HOT_KEY, the others set keys of their own. */
export function* historyRecords(n: number, every: number): Generator<BenchRecord> {
  for (let i = 0; i < n; i++) {
    if (i % every === 0) yield record(i, HOT_KEY, `entry ${i}\n`);
    else yield record(i, `h/${i % 100}/${i}`, `value ${i}\n`);
  }
}

/** Benchmark 4's keys: three levels of fan-out (100 x 100 x n/10,000), so directories stay small. */
export function rssKey(i: number): string {
  return `m/${i % 100}/${Math.floor(i / 100) % 100}/${i}`;
}

export function rssValue(i: number): Uint8Array {
  return encoder.encode(`value ${i}\n`);
}
