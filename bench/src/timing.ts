/** Wall-clock time of `fn`, in milliseconds, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

/** Runs `fn` `reps` times (each with fresh state, which `fn` sets up) and keeps the median time. */
export async function median<T>(reps: number, fn: () => Promise<{ ms: number; value: T }>): Promise<{ ms: number; value: T }> {
  const runs: { ms: number; value: T }[] = [];
  for (let i = 0; i < Math.max(1, reps); i++) runs.push(await fn());
  runs.sort((a, b) => a.ms - b.ms);
  return runs[(runs.length - 1) >> 1]!;
}

/** Measured time a short task is sampled for (see steadyMedian). */
const SAMPLE_MS = 300;

/**
 * The median of a task of a few milliseconds, where five runs are mostly JIT warm-up and young-GC
 * noise: one discarded warm-up run, then at least `reps` runs and as many as fit in SAMPLE_MS (at most
 * 20 × reps). Every contender of a row is sampled the same way.
 */
export async function steadyMedian<T>(reps: number, fn: () => Promise<{ ms: number; value: T }>): Promise<{ ms: number; value: T }> {
  await fn();
  const runs: { ms: number; value: T }[] = [];
  let spent = 0;
  const most = 20 * Math.max(1, reps);
  while (runs.length < Math.max(1, reps) || (spent < SAMPLE_MS && runs.length < most)) {
    const r = await fn();
    runs.push(r);
    spent += r.ms;
  }
  runs.sort((a, b) => a.ms - b.ms);
  return runs[(runs.length - 1) >> 1]!;
}

export function formatMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** Reports progress of a long loop to stderr about every tenth of the way. */
export function progressEvery(total: number, report: (msg: string) => void, label: string): (done: number) => void {
  const step = Math.max(1, Math.ceil(total / 10));
  return (done) => {
    if (done % step === 0 || done === total) report(`${label}: ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`);
  };
}
