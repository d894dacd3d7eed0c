// Git-style lock files: "<file>.lock" created with O_EXCL is the lock; committing writes the new content
// into it and renames it over <file>, so taking the lock and publishing the result are both atomic, across
// processes, exactly as git itself does (git and this backend therefore exclude each other correctly).
//
// Taking, writing, publishing and releasing a lock are direct system calls rather than thread-pool
// round trips (see files.ts): every ref update does all four, on files of a few bytes. Only waiting for a
// lock someone else holds sleeps asynchronously, and fsync (when asked) runs on the thread pool.
//
// Spares: given a pool of files that held the target before (ref-spares.ts), a lock is one of them when
// one has rested long enough, taken by linking it as "<file>.lock" (as exclusive as O_EXCL: link fails
// when the name exists) and written over in place; and publishing keeps the file it replaces in the
// pool, so that an update makes and frees no file. Its old mtime is why a lock's age counts from its
// ctime too (linking it set that).
import { randomBytes } from 'node:crypto';
import {
  closeSync, fstatSync, ftruncateSync, linkSync, openSync, renameSync, statSync, unlinkSync, type Stats,
} from 'node:fs';
import { dirname } from 'node:path';
import { StoreError } from '../../errors.js';
import { closeQuietly, errnoCode, flushFd, fsyncDir, isNotFound, makeDirs, removeQuietly, sleep, writeAllSync } from './files.js';
import type { SparePool } from './ref-spares.js';

export interface LockOptions {
  timeoutMs: number;
  staleMs: number;
  fsync: boolean;
  onWarning: (message: string) => void;
}

export class LockFile {
  private done = false;
  /** The open lock file; -1 once closed, so it is never closed twice (the number may be reused). */
  private fd: number;

  private constructor(
    /** The file being replaced. */
    readonly target: string,
    /** target + ".lock". */
    readonly path: string,
    fd: number,
    /** The lock file's inode: what tells later whether the file there is still this lock. */
    readonly ino: number,
    private readonly options: LockOptions,
    private readonly spares: SparePool | undefined,
    /** The size of a spare taken as the lock: what is written over it must not leave its tail. */
    private readonly oldSize: number,
  ) {
    this.fd = fd;
  }

  /**
   * Takes the lock on `target`, waiting (with short randomized sleeps, so contenders do not move in step)
   * while another process holds it, up to options.timeoutMs; then StoreError('lock-timeout').
   * Creates missing parent directories (refs/heads/a/b).
   */
  static async acquire(target: string, options: LockOptions, spares?: SparePool): Promise<LockFile> {
    const path = `${target}.lock`;
    const deadline = Date.now() + options.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      let fd: number | undefined;
      const fromSpare = spares === undefined ? 'none' : LockFile.fromSpare(target, path, options, spares);
      if (fromSpare instanceof LockFile) return fromSpare;
      if (fromSpare === 'none') {
        try {
          fd = openSync(path, 'wx', 0o644);
        } catch (e) {
          const code = errnoCode(e);
          if (code === 'ENOENT' && attempt < 100) {
            // The directory is missing, or another process just removed it as empty: (re)create it.
            await makeDirs(dirname(path), options.fsync);
            continue;
          }
          if (code !== 'EEXIST') throw e;
        }
      }
      if (fd !== undefined) return LockFile.created(target, path, fd, options, spares);
      if (breakStaleLock(path, options)) continue;
      const now = Date.now();
      if (now >= deadline) {
        throw new StoreError('lock-timeout', `could not lock ${path}: another process has held it for over ${options.timeoutMs} ms`, {
          lock: path,
        });
      }
      const cap = Math.min(50, 1 << Math.min(attempt, 6));
      await sleep(Math.min(deadline - now, 1 + Math.random() * cap));
    }
  }

  /** Wraps a lock file just created; its inode number tells later whether it is still ours. */
  private static created(target: string, path: string, fd: number, options: LockOptions, spares: SparePool | undefined): LockFile {
    try {
      return new LockFile(target, path, fd, fstatSync(fd).ino, options, spares, 0);
    } catch (e) {
      closeQuietly(fd);
      removeQuietly(path);
      throw e;
    }
  }

  /**
   * The lock taken as a spare that has rested, when the pool has one: 'held' when someone else holds the
   * lock, 'none' when there is no spare to take (then a new file is the lock).
   */
  private static fromSpare(target: string, path: string, options: LockOptions, spares: SparePool): LockFile | 'held' | 'none' {
    const spare = spares.take();
    if (spare === undefined) return 'none';
    let fd: number;
    try {
      fd = openSync(spare.path, 'r+');
    } catch {
      return 'none'; // removed meanwhile (gc takes the spares of dead processes): forget it
    }
    try {
      linkSync(spare.path, path);
    } catch (e) {
      closeQuietly(fd);
      if (errnoCode(e) === 'EEXIST') {
        spares.giveBack(spare);
        return 'held';
      }
      if (isNotFound(e)) spares.giveBack(spare); // no directory for the lock: creating one makes it
      return 'none';
    }
    try {
      // From now on the file has one name, the lock's: were we killed, it would go as any stale lock.
      unlinkSync(spare.path);
      const st = fstatSync(fd);
      return new LockFile(target, path, fd, st.ino, options, spares, st.size);
    } catch (e) {
      closeQuietly(fd);
      removeQuietly(path);
      throw e;
    }
  }

  /**
   * Writes `data` as the new content of the target and renames the lock over it. The lock is released
   * either way. With fsync, data and rename are on disk before this resolves. Returns the file as it
   * was once written (its inode, size and mtime: what the target is while nobody replaces it).
   */
  async commit(data: string | Uint8Array): Promise<Stats> {
    if (this.done) throw new Error(`lock ${this.path} was already released`);
    this.done = true;
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      writeAllSync(this.fd, bytes, 0);
      if (this.oldSize > bytes.length) ftruncateSync(this.fd, bytes.length);
      if (this.options.fsync) await flushFd(this.fd);
      this.closeFd();
    } catch (e) {
      this.closeFdQuietly();
      this.unlinkIfOurs();
      throw e;
    }
    // Someone may have judged our lock stale and moved it (only possible if we held it for staleMs):
    // publishing now could overwrite a newer value, so refuse instead.
    const written = this.ours();
    if (!written) {
      throw new StoreError('lock-timeout', `lock ${this.path} was taken over by another process while held`, { lock: this.path });
    }
    const kept = this.spares?.keep(this.target);
    try {
      renameSync(this.path, this.target);
    } catch (e) {
      if (kept !== undefined) this.spares!.dropped(kept);
      this.unlinkIfOurs(); // or the failed lock would block everyone until it turns stale
      throw e;
    }
    if (kept !== undefined) this.spares!.retired(kept);
    if (this.options.fsync) await fsyncDir(dirname(this.target));
    return written;
  }

  /** Gives the lock up without changing the target. Safe to call after commit (then it does nothing). */
  async release(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.closeFdQuietly();
    this.unlinkIfOurs();
  }

  private closeFd(): void {
    const fd = this.fd;
    this.fd = -1;
    if (fd >= 0) closeSync(fd);
  }

  private closeFdQuietly(): void {
    try {
      this.closeFd();
    } catch {
      // already failing or giving up: nothing to add
    }
  }

  /** The lock file's stat while it is still the file we took, else undefined. */
  private ours(): Stats | undefined {
    try {
      const st = statSync(this.path);
      return st.ino === this.ino ? st : undefined;
    } catch {
      return undefined;
    }
  }

  private unlinkIfOurs(): void {
    if (this.ours()) removeQuietly(this.path);
  }
}

/**
 * Removes `path` if it is older than staleMs (its holder was killed: live holders keep locks for
 * milliseconds). Returns true when the caller should retry at once. Two processes may find the same stale
 * lock: each moves it aside under a unique name first and checks that what it moved is still the old
 * file; if it moved a fresh lock instead (the other process already replaced the stale one), it puts it
 * back. The `.lock` suffix of the aside name keeps ref listings (ours and git's) from seeing it.
 */
function breakStaleLock(path: string, options: LockOptions): boolean {
  let before: Stats;
  try {
    before = statSync(path);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return true; // released meanwhile
    throw e;
  }
  // A lock taken from a spare keeps the spare's old mtime; linking it as the lock set its ctime.
  const age = Date.now() - Math.max(before.mtimeMs, before.ctimeMs);
  if (age < options.staleMs) return false;
  const aside = `${path.slice(0, -'.lock'.length)}.stale-${randomBytes(4).toString('hex')}.lock`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return true;
    throw e;
  }
  const moved = statSync(aside);
  if (moved.ino === before.ino && moved.mtimeMs === before.mtimeMs) {
    removeQuietly(aside);
    options.onWarning(
      `removed stale lock ${path}: last modified ${Math.round(age / 1000)} s ago (more than ${options.staleMs} ms), so its holder was probably killed`,
    );
    return true;
  }
  try {
    linkSync(aside, path);
  } catch {
    // someone else's fresh lock is there already: theirs stands, ours goes
  }
  removeQuietly(aside);
  return false;
}
