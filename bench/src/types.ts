import type { Sizes } from './config.js';
import type { Fixtures } from './fixtures.js';
import type { Workspace } from './workspace.js';

/** A measured quantity: a duration, an amount of memory, or a throughput (operations per second). */
export type Measure = { ms: number } | { mb: number } | { perSecond: number };

/** One line of the results table: our measurement, and optionally a peer's for the same work. */
export interface Row {
  /** The benchmark's number and name, e.g. "1 writes (disk)". */
  bench: string;
  /** What was measured, e.g. "10,000 commits, one key each". */
  task: string;
  ours: Measure;
  peer?: { name: string; result: Measure };
  /**
   * The speed-up (peer time / our time, or our rate / peer rate) we aim for: 5 means "at least 5x faster",
   * 0.5 means "at most 2x slower".
   */
  target?: number;
}

export interface Context {
  sizes: Sizes;
  workspace: Workspace;
  fixtures: Fixtures;
  /** A progress line on stderr. */
  progress(message: string): void;
}

export interface Benchmark {
  /** The name `--only` selects. */
  name: string;
  /** One line for --help. */
  description: string;
  run(ctx: Context): Promise<Row[]>;
}
