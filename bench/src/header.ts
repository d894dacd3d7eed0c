import { arch, cpus, loadavg, platform, tmpdir } from 'node:os';
import { version as isoGitVersion } from 'isomorphic-git';
import type { Options } from './config.js';
import { gitVersion } from './git-cli.js';

/** The lines above the table: versions, machine, sizes. */
export async function header(options: Options, loadAtStart: readonly number[]): Promise<string> {
  const s = options.sizes;
  const cpu = cpus();
  return [
    `## Nymote store benchmark${options.quick ? ' (--quick)' : ''}`,
    '',
    `node ${process.version} · git ${await gitVersion()} · isomorphic-git ${isoGitVersion()} · ${platform()} ${arch()} · ${cpu[0]?.model.trim() ?? 'unknown CPU'} × ${cpu.length} · repositories in ${tmpdir()} · load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} at start, ${loadavg().map((l) => l.toFixed(1)).join(' ')} at end`,
    `Sizes: ${s.commits.toLocaleString('en-US')} commits (benchmarks 1–2), ${s.historyCommits.toLocaleString('en-US')} commits with every ${s.historyEvery}th changing the key (3), ${s.rssKeys.toLocaleString('en-US')} keys (4). ` +
      `Wall-clock times; reads are the median of ${s.reps} run${s.reps === 1 ? '' : 's'}. "Ours vs peer" is peer time ÷ our time. ` +
      'Every contender wrote identical commits (same head id) and read identical results; the run fails otherwise.',
    '',
  ].join('\n');
}
