import { readFileSync } from 'node:fs';

/** Busy and total CPU time of the whole machine so far, in clock ticks (Linux `/proc/stat`). */
function cpuTicks(): { busy: number; total: number } | undefined {
  let line: string | undefined;
  try {
    line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0];
  } catch {
    return undefined;
  }
  const f = line?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  if (f.length < 5 || f.some((n) => !Number.isFinite(n))) return undefined;
  const total = f.reduce((a, b) => a + b, 0);
  // idle and iowait are the time nobody wanted the CPU.
  return { busy: total - f[3]! - f[4]!, total };
}

/**
 * Waits until the machine has been nearly idle (under `busyShare` of its CPUs) for `windowMs`, at most
 * `maxMs`; returns how long it waited. A server's work left over from the previous slice of a benchmark
 * (a merge finishing, a process exiting) must not be charged to the next contender. Where there is no
 * /proc/stat, returns at once.
 */
export async function waitForQuiet(o: { windowMs?: number; maxMs?: number; busyShare?: number } = {}): Promise<number> {
  const windowMs = o.windowMs ?? 200;
  const maxMs = o.maxMs ?? 5_000;
  const busyShare = o.busyShare ?? 0.1;
  const start = performance.now();
  let before = cpuTicks();
  if (!before) return 0;
  while (performance.now() - start < maxMs) {
    await new Promise((r) => setTimeout(r, windowMs));
    const now = cpuTicks();
    if (!now) return 0;
    const total = now.total - before.total;
    if (total > 0 && (now.busy - before.busy) / total <= busyShare) break;
    before = now;
  }
  return performance.now() - start;
}
