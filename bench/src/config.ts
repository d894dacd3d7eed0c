/** How big each benchmark is; `--quick` scales everything down about ten times. */
export interface Sizes {
  /** Commits written by the write benchmarks (one key each); the read benchmarks read that repository. */
  commits: number;
  /** Commits in the key-history repository. */
  historyCommits: number;
  /** Every this-many-th commit of the key-history repository changes the key whose history is read. */
  historyEvery: number;
  /** Keys in the tree loaded by the memory benchmark. */
  rssKeys: number;
  /** Repetitions of the short measurements (reads, git processes); the median is reported. */
  reps: number;
}

export const FULL: Sizes = { commits: 10_000, historyCommits: 10_000, historyEvery: 4, rssKeys: 100_000, reps: 5 };
export const QUICK: Sizes = { commits: 1_000, historyCommits: 1_000, historyEvery: 4, rssKeys: 10_000, reps: 1 };

export interface Options {
  quick: boolean;
  sizes: Sizes;
  /** Names of the benchmarks to run (undefined: all). */
  only: ReadonlySet<string> | undefined;
  /** Keep the temporary repositories (their path is printed) instead of deleting them. */
  keep: boolean;
  help: boolean;
}

export function parseArgs(argv: readonly string[]): Options {
  let quick = false;
  let keep = false;
  let help = false;
  const only = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') quick = true;
    else if (a === '--keep') keep = true;
    else if (a === '--help' || a === '-h') help = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice('--only='.length);
      if (!v) throw new Error('--only needs a benchmark name (comma-separated for several)');
      for (const n of v.split(',')) if (n.trim()) only.add(n.trim());
    } else throw new Error(`unknown argument "${a}" (try --help)`);
  }
  return { quick, keep, help, sizes: quick ? QUICK : FULL, only: only.size ? only : undefined };
}
