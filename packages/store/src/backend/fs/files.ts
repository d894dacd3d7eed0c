// Small file-system helpers shared by the fs backend modules.
import { randomBytes } from 'node:crypto';
import { open, rename, rmdir, unlink } from 'node:fs/promises';
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

export interface AtomicWriteOptions {
  fsync: boolean;
  /** Permissions of the new file (git makes objects and packs read-only). */
  mode?: number;
  tmpPrefix: string;
  /** false: the caller fsyncs the directory once for many files. */
  syncDir?: boolean;
}

/**
 * Writes `data` to a temp file next to `target` and renames it over `target`: a reader sees either the old
 * file or the whole new one, never a part. With fsync, the data is on disk before the rename, and the
 * rename is on disk before we return.
 */
export async function writeFileAtomic(target: string, data: Uint8Array, o: AtomicWriteOptions): Promise<void> {
  const dir = dirname(target);
  const tmp = tempPath(dir, o.tmpPrefix);
  const fh = await open(tmp, 'wx', o.mode ?? 0o644);
  try {
    try {
      await fh.writeFile(data);
      if (o.fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  if (o.fsync && o.syncDir !== false) await fsyncDir(dir);
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
