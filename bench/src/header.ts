import { closeSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { arch, cpus, loadavg, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { version as isoGitVersion } from 'isomorphic-git';
import type { Options } from './config.js';
import { gitVersion } from './git-cli.js';

/**
 * Microseconds to create a small file and rename it in `dir`, the median of 300: what a loose object or a
 * ref update costs on this disk before any work of ours, and so the floor under the write benchmarks
 * (it differs by an order of magnitude between disks, and even between directories of one file system).
 * The files stay until the workspace goes at the end of the run: deleting them now would free 300
 * inodes just before the write benchmarks, and on ext4 without a journal each create then skips
 * every inode freed in the last minute or more (see the README's section on the disk).
 */
export function fileCreationCost(dir: string): number {
  const probe = join(dir, 'file-creation-probe');
  mkdirSync(probe);
  const data = new Uint8Array(200);
  const times: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t = performance.now();
    const fd = openSync(join(probe, `t${i}`), 'wx', 0o444);
    writeSync(fd, data);
    closeSync(fd);
    renameSync(join(probe, `t${i}`), join(probe, `f${i}`));
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[times.length >> 1]! * 1000);
}

/** The lines above the table: versions, machine, sizes. */
export async function header(options: Options, loadAtStart: readonly number[], createCostUs?: number, spread = false): Promise<string> {
  const s = options.sizes;
  const cpu = cpus();
  return [
    `## Nymote store benchmark${options.quick ? ' (--quick)' : ''}`,
    '',
    `node ${process.version} · git ${await gitVersion()} · isomorphic-git ${isoGitVersion()} · ${platform()} ${arch()} · ${cpu[0]?.model.trim() ?? 'unknown CPU'} × ${cpu.length} · repositories in ${tmpdir()}${spread ? ', each in a block group of its own (chattr +T)' : ''}${createCostUs === undefined ? '' : ` (creating and renaming a small file there: ${createCostUs} µs)`} · load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} at start, ${loadavg().map((l) => l.toFixed(1)).join(' ')} at end`,
    `Sizes: ${s.commits.toLocaleString('en-US')} commits (benchmarks 1–2), ${s.historyCommits.toLocaleString('en-US')} commits with every ${s.historyEvery}th changing the key (3), ${s.rssKeys.toLocaleString('en-US')} keys (4). ` +
      `Wall-clock times; reads are the median of ${s.reps} run${s.reps === 1 ? '' : 's'} (listings, logs and key histories: after one warm-up run each, at least ${s.reps} runs and as many as fit in 300 ms). "Ours vs peer" is peer time ÷ our time. ` +
      'Every contender wrote identical commits (same head id) and read identical results; the run fails otherwise.',
    '',
  ].join('\n');
}
