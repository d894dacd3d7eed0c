// Small file-system helpers shared by the fs backend modules.
import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, rmdir, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

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

/**
 * A fresh name in `dir` for a temp file. The prefixes we pass are git's own ("tmp_obj_", "tmp_pack_"),
 * so `git fsck` ignores such leftovers and `git prune` eventually deletes them.
 */
export function tempPath(dir: string, prefix: string): string {
  return join(dir, `${prefix}${process.pid}_${randomBytes(6).toString('hex')}`);
}

/** Flushes a directory's entries (new names, renames) to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Creates `path` (which must not exist) holding `data`. Without fsync this is fs.writeFile, several times
 * faster for small files than going through a FileHandle; with fsync the data is on disk when it resolves.
 * A failed write leaves no file behind.
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
    await writeAll(fh, data);
    await fh.sync();
    await fh.close();
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw e;
  }
}

/** fh.write until everything is written (FileHandle.writeFile is much slower for small data). */
export async function writeAll(fh: FileHandle, data: Uint8Array): Promise<void> {
  for (let done = 0; done < data.length; ) {
    const { bytesWritten } = await fh.write(data, done, data.length - done);
    done += bytesWritten;
  }
}

/**
 * mkdir -p; with fsync, also flushes the parent of every directory it created, so that a file later
 * fsynced inside is reachable after a power loss (an fsynced file in an unrecorded directory is lost).
 */
export async function makeDirs(dir: string, fsync: boolean): Promise<void> {
  let first: string | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      first = await mkdir(dir, { recursive: true });
      break;
    } catch (e) {
      // Node's mkdir -p answers EEXIST by checking the directory with stat; when another process removes
      // it as empty in between (gc, a ref deletion), that check fails with ENOENT. Just try again.
      if (errnoCode(e) !== 'ENOENT' || attempt >= 5) throw e;
    }
  }
  if (!fsync || first === undefined) return;
  for (let d = dir; ; d = dirname(d)) {
    await fsyncDir(dirname(d));
    if (d === first || dirname(d) === d) break;
  }
}

/** Removes `dir` and its parents while they are empty, stopping at `stop` (never removed). Best effort. */
export async function removeEmptyDirs(dir: string, stop: string): Promise<void> {
  let d = dir;
  while (d.startsWith(stop + '/') && d !== stop) {
    try {
      await rmdir(d);
    } catch {
      return; // not empty (or already gone, or busy): leave it
    }
    d = dirname(d);
  }
}

/**
 * A small file's text (a ref, HEAD): one read instead of fs.readFile's stat-then-read, which matters
 * on the compare-and-swap path. Longer files are read to their end all the same.
 */
export async function readSmallFile(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(256);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    if (bytesRead < buf.length) return buf.toString('utf8', 0, bytesRead);
    const rest = await fh.readFile();
    return Buffer.concat([buf, rest]).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** Deletes a file, ignoring that it is already gone. */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
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
