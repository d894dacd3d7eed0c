// Git-style lock files: "<file>.lock" created with O_EXCL is the lock; committing writes the new content
// into it and renames it over <file>, so taking the lock and publishing the result are both atomic, across
// processes, exactly as git itself does (git and this backend therefore exclude each other correctly).
import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { link, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StoreError } from '../../errors.js';
import { errnoCode, fsyncDir, makeDirs, sleep, writeAll } from './files.js';

export interface LockOptions {
  timeoutMs: number;
  staleMs: number;
  fsync: boolean;
  onWarning: (message: string) => void;
}

export class LockFile {
  private done = false;

  private constructor(
    /** The file being replaced. */
    readonly target: string,
    /** target + ".lock". */
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly ino: number,
    private readonly options: LockOptions,
  ) {}

  /**
   * Takes the lock on `target`, waiting (with short randomized sleeps, so contenders do not move in step)
   * while another process holds it, up to options.timeoutMs; then StoreError('lock-timeout').
   * Creates missing parent directories (refs/heads/a/b).
   */
  static async acquire(target: string, options: LockOptions): Promise<LockFile> {
    const path = `${target}.lock`;
    const deadline = Date.now() + options.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const fh = await open(path, 'wx', 0o644);
        const st = await fh.stat();
        return new LockFile(target, path, fh, st.ino, options);
      } catch (e) {
        const code = errnoCode(e);
        if (code === 'ENOENT' && attempt < 100) {
          // The directory is missing, or another process just removed it as empty: (re)create it.
          await makeDirs(dirname(path), options.fsync);
          continue;
        }
        if (code !== 'EEXIST') throw e;
      }
      if (await breakStaleLock(path, options)) continue;
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

  /**
   * Writes `data` as the new content of the target and renames the lock over it. The lock is released
   * either way. With fsync, data and rename are on disk before this resolves.
   */
  async commit(data: string | Uint8Array): Promise<void> {
    if (this.done) throw new Error(`lock ${this.path} was already released`);
    this.done = true;
    try {
      await writeAll(this.fh, typeof data === 'string' ? Buffer.from(data) : data);
      if (this.options.fsync) await this.fh.sync();
    } catch (e) {
      await this.fh.close().catch(() => {});
      await this.unlinkIfOurs();
      throw e;
    }
    await this.fh.close();
    // Someone may have judged our lock stale and moved it (only possible if we held it for staleMs):
    // publishing now could overwrite a newer value, so refuse instead.
    if (!(await this.stillOurs())) {
      throw new StoreError('lock-timeout', `lock ${this.path} was taken over by another process while held`, { lock: this.path });
    }
    try {
      await rename(this.path, this.target);
    } catch (e) {
      await this.unlinkIfOurs(); // or the failed lock would block everyone until it turns stale
      throw e;
    }
    if (this.options.fsync) await fsyncDir(dirname(this.target));
  }

  /** Gives the lock up without changing the target. Safe to call after commit (then it does nothing). */
  async release(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.fh.close().catch(() => {});
    await this.unlinkIfOurs();
  }

  private async stillOurs(): Promise<boolean> {
    try {
      return (await stat(this.path)).ino === this.ino;
    } catch {
      return false;
    }
  }

  private async unlinkIfOurs(): Promise<void> {
    if (await this.stillOurs()) await unlink(this.path).catch(() => {});
  }
}

/**
 * Removes `path` if it is older than staleMs (its holder was killed: live holders keep locks for
 * milliseconds). Returns true when the caller should retry at once. Two processes may find the same stale
 * lock: each moves it aside under a unique name first and checks that what it moved is still the old
 * file; if it moved a fresh lock instead (the other process already replaced the stale one), it puts it
 * back. The `.lock` suffix of the aside name keeps ref listings (ours and git's) from seeing it.
 */
async function breakStaleLock(path: string, options: LockOptions): Promise<boolean> {
  let before;
  try {
    before = await stat(path);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return true; // released meanwhile
    throw e;
  }
  const age = Date.now() - before.mtimeMs;
  if (age < options.staleMs) return false;
  const aside = `${path.slice(0, -'.lock'.length)}.stale-${randomBytes(4).toString('hex')}.lock`;
  try {
    await rename(path, aside);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return true;
    throw e;
  }
  const moved = await stat(aside);
  if (moved.ino === before.ino && moved.mtimeMs === before.mtimeMs) {
    await unlink(aside).catch(() => {});
    options.onWarning(
      `removed stale lock ${path}: last modified ${Math.round(age / 1000)} s ago (more than ${options.staleMs} ms), so its holder was probably killed`,
    );
    return true;
  }
  await link(aside, path).catch(() => {});
  await unlink(aside).catch(() => {});
  return false;
}
