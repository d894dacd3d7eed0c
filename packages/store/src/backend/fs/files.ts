// Small file-system helpers shared by the fs backend modules.
//
// Why most of this is synchronous: an async node:fs call is a round trip through libuv's thread pool,
// which costs 0.15-0.4 ms on the machines we run on, while the system call itself (open, read, write,
// rename of a file of a few hundred bytes, from the page cache) costs 5-100 µs. Objects and refs are such
// files, and a commit or a read touches several of them, so the round trips were most of the time spent.
// Like git, we make these calls directly; the event loop blocks for microseconds per call. Three things
// still go to the thread pool: fsync (a device flush can take milliseconds, too long to stall every
// other request of the process), writing big files (packs; see writeNewFile), and dropping the last
// name or descriptor of one (freeing a merged pack's megabytes of pages or blocks; see closeOnPool).
import { randomBytes } from 'node:crypto';
import {
  close, closeSync, fsync, mkdirSync, openSync, readdirSync, readSync, rmdirSync, statSync, unlinkSync, writeSync, type Stats,
} from 'node:fs';
import { open, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const fsyncFd = promisify(fsync);

/**
 * Closes a descriptor on the thread pool. For a file already deleted, the last close frees its pages
 * or blocks, which for a pack of megabytes is too long to do on the event loop.
 */
export const closeOnPool: (fd: number) => Promise<void> = promisify(close);

/** The errno code of a Node file-system error ("ENOENT"), or undefined for anything else. */
export function errnoCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || !('code' in e)) return undefined;
  const code = (e as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

export function isNotFound(e: unknown): boolean {
  const c = errnoCode(e);
  // ENOTDIR: a path component is a file, so the path cannot exist either.
  return c === 'ENOENT' || c === 'ENOTDIR';
}

const TEMP_TAG = randomBytes(6).toString('hex');
let tempCounter = 0;

/**
 * A fresh name in `dir` for a temp file. The prefixes we pass are git's own ("tmp_obj_", "tmp_pack_"),
 * so `git fsck` ignores such leftovers and `git prune` eventually deletes them.
 */
export function tempPath(dir: string, prefix: string): string {
  // Unique without a call into the random source per file (a few µs each, on every object written):
  // random per process (pids repeat across containers sharing a disk), then a counter. Temp files are
  // created with O_EXCL, so even a collision would fail loudly, never let two writers share a file.
  return join(dir, `${prefix}${process.pid}_${TEMP_TAG}${(tempCounter++).toString(36)}`);
}


/** Flushes an open file to disk, on the thread pool (see the top of this file). */
export function flushFd(fd: number): Promise<void> {
  return fsyncFd(fd);
}

/** Flushes a directory's entries (new names, renames) to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await flushFd(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * writeSync until everything is written (one call almost always suffices): at the file's current
 * position, or from `position` on.
 */
export function writeAllSync(fd: number, data: Uint8Array, position?: number): void {
  for (let done = 0; done < data.length; ) {
    done += writeSync(fd, data, done, data.length - done, position === undefined ? null : position + done);
  }
}

/**
 * Creates `path` (which must not exist) holding `data`, with direct system calls: for small files (a
 * loose object, a ref). With fsync the data is on disk when it resolves. A failed write leaves no file.
 */
export async function writeNewSmallFile(path: string, data: Uint8Array, o: { mode: number; fsync: boolean }): Promise<void> {
  if (!o.fsync) return createFileSync(path, data, o.mode);
  const fd = openSync(path, 'wx', o.mode);
  let closed = false;
  try {
    writeAllSync(fd, data);
    await flushFd(fd);
    closed = true; // even if close fails: a descriptor is never closed twice (its number may be reused)
    closeSync(fd);
  } catch (e) {
    if (!closed) closeQuietly(fd);
    removeQuietly(path);
    throw e;
  }
}

/** writeNewSmallFile without fsync, as one synchronous step: open, write, close. */
export function createFileSync(path: string, data: Uint8Array, mode: number): void {
  const fd = createFileForReadingSync(path, data, mode);
  try {
    closeSync(fd); // even if it fails: a descriptor is never closed twice (its number may be reused)
  } catch (e) {
    removeQuietly(path);
    throw e;
  }
}

/**
 * Creates `path` (which must not exist) holding `data` and returns its descriptor, open for reading too:
 * a pack written here is read through it without opening it again, also after it is renamed. A failed
 * write leaves no file.
 */
export function createFileForReadingSync(path: string, data: Uint8Array, mode: number): number {
  const fd = openSync(path, 'wx+', mode);
  try {
    writeAllSync(fd, data);
    return fd;
  } catch (e) {
    closeQuietly(fd);
    removeQuietly(path);
    throw e;
  }
}

/**
 * writeNewSmallFile for big files (packs), entirely on the thread pool: writing megabytes can take long
 * enough that blocking the event loop for it would be felt. Without fsync this is fs.writeFile, several
 * times faster than going through a FileHandle.
 */
export async function writeNewFile(path: string, data: Uint8Array, o: { mode: number; fsync: boolean }): Promise<void> {
  if (!o.fsync) {
    try {
      await writeFile(path, data, { flag: 'wx', mode: o.mode });
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') await unlink(path).catch(() => {});
      throw e;
    }
    return;
  }
  const fh = await open(path, 'wx', o.mode);
  try {
    for (let done = 0; done < data.length; ) {
      const { bytesWritten } = await fh.write(data, done, data.length - done);
      done += bytesWritten;
    }
    await fh.sync();
    await fh.close();
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw e;
  }
}

/**
 * mkdir -p; with fsync, also flushes the parent of every directory it created, so that a file later
 * fsynced inside is reachable after a power loss (an fsynced file in an unrecorded directory is lost).
 * The mkdir itself is synchronous; it resolves at once unless there is something to flush.
 */
export async function makeDirs(dir: string, fsync: boolean): Promise<void> {
  const first = makeDirsSync(dir);
  if (!fsync || first === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    await fsyncDir(dirname(d));
    if (d === first || dirname(d) === d) break;
  }
}

/** mkdir -p, synchronously, for callers that need no fsync; returns the first directory it created. */
export function makeDirsSync(dir: string): string | undefined {
  for (let attempt = 0; ; attempt++) {
    try {
      return mkdirSync(dir, { recursive: true });
    } catch (e) {
      // Node's mkdir -p answers EEXIST by checking the directory with stat; when another process removes
      // it as empty in between (gc, a ref deletion), that check fails with ENOENT. Just try again.
      if (errnoCode(e) !== 'ENOENT' || attempt >= 5) throw e;
    }
  }
}

/** The file's status, or undefined when it cannot be had (absent, a parent is a file, unreadable). */
export function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Removes `dir` and its parents while they are empty, stopping at `stop` (never removed). Best effort. */
export function removeEmptyDirs(dir: string, stop: string): void {
  let d = dir;
  while (d.startsWith(stop + '/') && d !== stop) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty (or already gone, or busy): leave it
    }
    d = dirname(d);
  }
}

const SMALL_READ = 256;

/**
 * A small file's text (a ref, HEAD): open, one read, close, where fs.readFileSync also stats the file.
 * Longer files are read to their end all the same.
 */
export function readSmallFile(path: string): string {
  const fd = openSync(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(SMALL_READ);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buf, length, buf.length - length, length);
      length += n;
      if (n === 0 || length < buf.length) return buf.toString('utf8', 0, length);
      const bigger = Buffer.allocUnsafe(buf.length * 4);
      buf.copy(bigger);
      buf = bigger;
    }
  } finally {
    closeSync(fd);
  }
}

/** Reused by readFileDirect: one read into it serves any file up to its size. */
const scratch = Buffer.allocUnsafeSlow(64 << 10);

/**
 * A whole (small) file's bytes with open, read, close, where fs.readFileSync also stats it first: a
 * loose object is usually read in one call into a reused buffer and copied out at its exact size (so
 * what callers keep pins no bigger buffer). A file that fills the buffer is read on into a growing one.
 */
export function readFileDirect(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const n = readSync(fd, scratch, 0, scratch.length, 0);
    if (n < scratch.length) {
      const out = Buffer.allocUnsafeSlow(n); // not from Node's shared pool: a small view would pin 8 KiB
      scratch.copy(out, 0, 0, n);
      return out;
    }
    let buf = Buffer.allocUnsafeSlow(scratch.length * 4);
    scratch.copy(buf);
    let length = n;
    for (;;) {
      const m = readSync(fd, buf, length, buf.length - length, length);
      length += m;
      if (m === 0) return buf.subarray(0, length);
      if (length === buf.length) {
        const bigger = Buffer.allocUnsafeSlow(buf.length * 2);
        buf.copy(bigger);
        buf = bigger;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Deletes a file, ignoring that it is already gone. */
export function removeFile(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

/**
 * Deletes the files of `dir` named `prefix`* last modified more than `ageMs` ago (temp files left by
 * killed processes: a live writer holds one for milliseconds). Returns how many it deleted.
 */
export function removeOldFiles(dir: string, prefix: string, ageMs: number): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  const now = Date.now();
  let n = 0;
  for (const f of names) {
    if (!f.startsWith(prefix)) continue;
    const path = join(dir, f);
    const st = statOrUndefined(path);
    if (st === undefined || now - st.mtimeMs <= ageMs) continue;
    try {
      unlinkSync(path);
      n++;
    } catch {
      // gone already (another gc), or not ours to delete: either way nothing to do
    }
  }
  return n;
}

/** Deletes a file if it can, on a path where a failure has already been reported. */
export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already, or not ours to delete
  }
}

export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already failing: the first error is the one worth reporting
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `fn` over `items` with at most `limit` calls in flight (file descriptors are finite). */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
