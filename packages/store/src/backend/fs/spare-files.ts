// Spare files: files kept ready in <gitdir>/nymote-spare/ so that a service's write path rewrites and
// renames files instead of creating and deleting them.
//
// Why: creating a file is the dearest of the few system calls a group commit makes, and its cost grows
// with churn. On ext4 without a journal (common in virtual machines), the kernel does not reuse an inode
// freed in the last minute or more and checks each such inode again on every allocation in its group: a
// service that creates and deletes a few hundred files a second (a pack and its index per group commit,
// a lock per ref update, the packs a merge replaces) was measured paying 0.4-1 ms per creation, against
// 15 µs in a quiet directory. Here a pack, its index or a ref lock is written into a spare and renamed
// to its name; a file about to go (a merged pack, the version of a ref being replaced) becomes a spare
// instead. In a steady state no inode is allocated or freed. The spares run low only when files are
// kept (new packs pile up before a merge): they are then made in the background, on the thread pool.
//
// A spare is rewritten only while our name is its only link (nlink 1). A ref's old version is linked
// here before the new one is renamed over it, so for a moment it has two names; if the rename fails, or
// the process dies in between, the spare still shares the ref's inode, and it is dropped, never written.
import {
  chmodSync, closeSync, fstatSync, ftruncateSync, linkSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, utimesSync,
} from 'node:fs';
import { open, readdir, rename } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { closeQuietly, errnoCode, isNotFound, removeQuietly, writeAllSync } from './files.js';

/** The directory of spares, in the repository (git directory): same file system as objects/ and refs/. */
export const SPARE_DIR = 'nymote-spare';

export interface SpareFilesOptions {
  /** How many spares to keep ready (made in the background below half of it); default 48. */
  keep?: number;
  /** Files given back are kept up to this many spares; beyond, they are deleted. Default 4 × keep. */
  max?: number;
  /** Files larger than this are deleted rather than kept (a spare's old bytes take disk space). Default 1 MiB. */
  maxBytes?: number;
  /**
   * Directories the spares are renamed into or linked from: on another file system (objects/ linked
   * elsewhere) spares cannot be moved there, and are not made.
   */
  sameDevice?: readonly string[];
  onWarning?: (message: string) => void;
}

/** A spare opened for writing. Its old bytes are still there: write from the start, then truncate. */
export interface Spare {
  readonly fd: number;
  readonly path: string;
}

export class SpareFiles {
  /** Spares this process owns, oldest first: a ref's previous version is reused last. */
  private readonly ready: string[] = [];
  private readonly prefix = `${process.pid}-${randomBytes(4).toString('hex')}-`;
  private seq = 0;
  private filling: Promise<void> | undefined;
  private adopted = false;
  private closed = false;
  private failed = false;
  private readonly keep: number;
  private readonly max: number;
  private readonly maxBytes: number;
  private readonly onWarning: (message: string) => void;

  constructor(readonly dir: string, options: SpareFilesOptions = {}) {
    const sameDevice = options.sameDevice ?? [];
    this.keep = Math.max(1, options.keep ?? 48);
    this.max = Math.max(this.keep, options.max ?? 4 * this.keep);
    this.maxBytes = options.maxBytes ?? 1 << 20;
    this.onWarning = options.onWarning ?? (() => {});
    try {
      mkdirSync(dir, { recursive: true });
      const dev = statSync(dir).dev;
      const other = sameDevice.find((d) => statSync(d).dev !== dev);
      if (other !== undefined) this.fail(`${other} is on another file system than ${dir}`);
    } catch (e) {
      this.fail(`${dir}: ${(e as Error).message}`);
    }
  }

  /** How many spares are ready now. */
  get count(): number {
    return this.ready.length;
  }

  /**
   * A spare opened for writing, or undefined when none is ready (the caller then creates a file as
   * usual). Starts making more in the background when they run low.
   */
  take(): Spare | undefined {
    if (this.ready.length * 2 < this.keep) this.topUp();
    while (this.ready.length > 0) {
      const path = this.ready.shift()!;
      let fd: number;
      try {
        fd = openSync(path, 'r+');
      } catch (e) {
        // Removed from under us (someone cleaned the directory), or not writable (a crash before
        // recycle() made it so): the next one.
        if (!isNotFound(e)) removeQuietly(path);
        continue;
      }
      try {
        if (fstatSync(fd).nlink === 1) return { fd, path };
      } catch {
        // treated as shared
      }
      // Another name still points at this inode (a ref whose replacement failed): not ours to write.
      closeQuietly(fd);
      removeQuietly(path);
    }
    return undefined;
  }

  /**
   * Writes `data` into `spare` from its start, cuts what followed, sets `mode` and closes it; the caller
   * then renames spare.path into place. On failure the spare is deleted and the error thrown.
   */
  static fill(spare: Spare, data: Uint8Array, mode: number): void {
    let closed = false;
    try {
      writeAllSync(spare.fd, data);
      ftruncateSync(spare.fd, data.length);
      chmodSync(spare.path, mode); // not fchmod: Node's permission model (nymote serve --sealed) disables it
      closed = true;
      closeSync(spare.fd);
    } catch (e) {
      if (!closed) closeQuietly(spare.fd);
      removeQuietly(spare.path);
      throw e;
    }
  }

  /** Puts back a spare taken but not used (still ours, unchanged): it is the next one given out. */
  giveBack(spare: Spare): void {
    closeQuietly(spare.fd);
    if (this.closed) return;
    this.ready.unshift(spare.path);
  }

  /** Drops a spare that failed half-way (its file is deleted). */
  discard(spare: Spare): void {
    closeQuietly(spare.fd);
    removeQuietly(spare.path);
  }

  /**
   * Takes `path`, a file the caller was about to delete, as a spare (renamed here, made writable).
   * False when the spares are full, the file is too big or cannot be moved: the caller deletes it.
   */
  recycle(path: string, size: number): boolean {
    if (this.closed || this.failed || this.ready.length >= this.max || size > this.maxBytes) return false;
    const to = this.nextName();
    try {
      renameSync(path, to);
    } catch (e) {
      if (errnoCode(e) === 'EXDEV') this.fail(`${path} is on another file system than ${this.dir}`);
      return false;
    }
    try {
      chmodSync(to, 0o644);
    } catch {
      removeQuietly(to);
      return true; // gone either way, as the caller wanted
    }
    this.ready.push(to);
    return true;
  }

  /**
   * Links `target` (a file about to be replaced by a rename over it) into the spares, so that its inode
   * outlives the rename. Returns the spare's name, for forget() if the rename fails; undefined when there
   * is no such file or it cannot be linked. Until the rename, the spare has two links and take() skips it.
   */
  keepPrevious(target: string): string | undefined {
    if (this.closed || this.failed || this.ready.length >= this.max) return undefined;
    const to = this.nextName();
    try {
      linkSync(target, to);
    } catch (e) {
      if (errnoCode(e) === 'EXDEV') this.fail(`${target} is on another file system than ${this.dir}`);
      return undefined;
    }
    this.ready.push(to);
    return to;
  }

  /** Undoes keepPrevious when the rename over the target did not happen. */
  forget(spare: string): void {
    const i = this.ready.lastIndexOf(spare);
    if (i >= 0) this.ready.splice(i, 1);
    removeQuietly(spare);
  }

  /**
   * Links a spare as `path` (a lock file), which must not exist: exclusive as O_EXCL is. Returns the
   * descriptor, open for writing, with its modification time set to now (a stale-lock check reads it);
   * undefined when no spare is ready or linking failed for a reason creating might not (the caller then
   * creates as usual). Throws EEXIST when `path` exists, as creating would.
   */
  linkAs(path: string): { fd: number } | undefined {
    const spare = this.take();
    if (spare === undefined) return undefined;
    try {
      const now = new Date();
      utimesSync(spare.path, now, now); // not futimes, disabled under Node's permission model
      linkSync(spare.path, path);
    } catch (e) {
      this.giveBack(spare);
      if (errnoCode(e) === 'EEXIST') throw e;
      if (errnoCode(e) === 'EXDEV') this.fail(`${path} is on another file system than ${this.dir}`);
      return undefined;
    }
    // The lock is now the only name: nothing else may hand this inode out.
    try {
      unlinkSync(spare.path);
    } catch (e) {
      if (!isNotFound(e)) {
        closeQuietly(spare.fd);
        removeQuietly(path);
        throw e;
      }
    }
    return { fd: spare.fd };
  }

  /** Stops making spares and waits for the one being made. The spares stay for the next process. */
  async close(): Promise<void> {
    this.closed = true;
    await this.filling;
  }

  private nextName(): string {
    return join(this.dir, `${this.prefix}${this.seq++}`);
  }

  private fail(why: string): void {
    if (this.failed) return;
    this.failed = true;
    this.onWarning(`spare files off: ${why}`);
  }

  /** Makes spares until `keep` are ready, one at a time on the thread pool; first adopts those left by earlier processes. */
  private topUp(): void {
    if (this.filling || this.closed || this.failed) return;
    this.filling = (async () => {
      if (!this.adopted) {
        this.adopted = true;
        await this.adopt();
      }
      while (!this.closed && this.ready.length < this.keep) {
        const path = this.nextName();
        const handle = await open(path, 'wx', 0o644);
        await handle.close();
        if (this.closed) break;
        this.ready.push(path);
      }
    })().catch((e: unknown) => {
      this.fail(`making spares in ${this.dir}: ${(e as Error).message}`);
    }).finally(() => {
      this.filling = undefined;
    });
  }

  /** Claims the spares other processes left (each by a rename to our own name, so two never share one). */
  private async adopt(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    for (const name of names) {
      if (this.closed || this.ready.length >= this.keep) return;
      if (name.startsWith(this.prefix)) continue;
      const to = this.nextName();
      try {
        await rename(join(this.dir, name), to);
      } catch {
        continue; // another process claimed it first
      }
      this.ready.push(to);
    }
  }
}
