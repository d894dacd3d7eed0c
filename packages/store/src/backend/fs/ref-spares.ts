// Files that held a ref, kept by the process that replaced them so that a later update of the ref can
// take one as its lock file instead of creating a file (see lock.ts, "Spares").
//
// Why: a ref update is a new lock file renamed over the ref. On ext4 that rename is dear: it first
// forces the lock's delayed block allocation (auto_da_alloc), then frees the old file's block, about
// 90 µs together; and the create before it costs 20 µs, or hundreds where many inodes were freed in the
// last minute (ext4 without a journal steps over each of them). Taking a spare (link, unlink, write in
// place) makes and frees nothing and costs about 30 µs.
//
// Why a spare rests first: a process that opened the ref file just before it was replaced may read it
// after. Were the file written over at once, that reader could get the next value, or, overlapping the
// write, a mix of two. A spare is written over only once it has not been the ref for SPARE_REST_MS,
// far longer than anyone takes between opening a ref and reading it (git and we read at once), and
// then the reader gets a later value of the same ref, never another file's bytes.
//
// The pool lives in memory: a spare's name (a temp name under nymote-ref-spares/) is known only to the
// process that made it, so no other process can ever take it, and none needs to know it is there. A
// process that exits leaves its spares behind, which gc removes as it removes temp files.
import { linkSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { errnoCode, removeQuietly, tempPath } from './files.js';

/** The directory of the spares, in the repository (outside refs/: neither git nor we list it). */
export const SPARES_DIR = 'nymote-ref-spares';

/** How long a spare rests before it is written over (ms); see the top of this file. */
export const SPARE_REST_MS = 1000;

/** Spares kept per ref at most; past it the replaced file is freed as without a pool. */
const MAX_SPARES = 2048;

/** Errors of link() that mean this file system has no hard links for us: the pool stops keeping files. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS', 'EMLINK']);

interface Spare {
  path: string;
  /** performance.now() when the file stopped being the ref. */
  since: number;
}

/** One ref's spares in this process, oldest first. */
export class SparePool {
  private readonly files: Spare[] = [];
  private disabled = false;

  constructor(
    private readonly dir: string,
    private readonly refName: string,
    private readonly restMs: number,
  ) {}

  /** A spare that has rested long enough, out of the pool (the caller gives it back if unused). */
  take(): Spare | undefined {
    const first = this.files[0];
    if (first === undefined || performance.now() - first.since < this.restMs) return undefined;
    return this.files.shift();
  }

  /** Puts back a spare that take() gave out and that was not used (the lock was held). */
  giveBack(spare: Spare): void {
    this.files.unshift(spare);
  }

  /**
   * Gives the file `target` a second name in the pool's directory, just before a lock is renamed over
   * it, so that the rename frees nothing. Returns that name (for retired(), or dropped() if the rename
   * fails), or undefined when there is nothing to keep: no file yet, a full pool, no hard links here.
   */
  keep(target: string): string | undefined {
    if (this.disabled || this.files.length >= MAX_SPARES) return undefined;
    const path = tempPath(this.dir, `${encodeURIComponent(this.refName)}.`);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(target, path);
        return path;
      } catch (e) {
        const code = errnoCode(e);
        if (code !== undefined && NO_LINKS.has(code)) this.disabled = true;
        if (code !== 'ENOENT' || attempt > 0) return undefined;
        // The target is missing (a new ref: nothing to keep), or the pool's directory is.
        try {
          mkdirSync(dirname(path), { recursive: true });
        } catch {
          return undefined;
        }
      }
    }
    return undefined;
  }

  /** The kept file is no longer the ref: it joins the pool. */
  retired(path: string): void {
    this.files.push({ path, since: performance.now() });
  }

  /** A kept name whose rename failed: it still names the ref, so it only goes. */
  dropped(path: string): void {
    removeQuietly(path);
  }

  /** Removes every spare (the repository is being closed, or the ref deleted). */
  clear(): void {
    for (const s of this.files.splice(0)) removeQuietly(s.path);
  }
}

/** The pools of one repository's refs in this process. */
export class SparePools {
  private readonly pools = new Map<string, SparePool>();

  constructor(private readonly gitDir: string, private readonly restMs: number) {}

  of(refName: string): SparePool {
    let pool = this.pools.get(refName);
    if (pool === undefined) {
      pool = new SparePool(join(this.gitDir, SPARES_DIR), refName, this.restMs);
      this.pools.set(refName, pool);
    }
    return pool;
  }

  /** The ref was deleted: its spares go too. */
  forget(refName: string): void {
    this.pools.get(refName)?.clear();
    this.pools.delete(refName);
  }

  clear(): void {
    for (const pool of this.pools.values()) pool.clear();
    this.pools.clear();
  }
}
