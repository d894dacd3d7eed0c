// Loose objects: objects/xx/yyyy… holding the zlib-deflated "<type> <size>\0<body>", as git writes them.
// Reads, existence checks and writes of these (small) files use direct system calls, not the thread pool:
// see files.ts for why.
import { existsSync, readdirSync, renameSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { constants as zc, deflate, deflateSync, inflate, inflateSync } from 'node:zlib';
import { StoreError } from '../../errors.js';
import type { ObjectId } from '../../git/id.js';
import { isObjectId } from '../../git/id.js';
import { frame, unframe, type ObjectType, type RawObject } from '../../git/object.js';
import { yieldIfBusy } from './fairness.js';
import {
  createFileSync, errnoCode, forEachLimit, fsyncDir, isNotFound, makeDirs, makeDirsSync, readFileDirect, removeEmptyDirs, removeFile,
  removeOldFiles, removeQuietly, tempPath, writeNewSmallFile,
} from './files.js';
import { nodeSha1 } from './hash.js';
import { storedZlib, storedZlibLength, unstoredZlib } from '../../git/stored-zlib.js';

const inflateAsync = promisify(inflate);
const deflateAsync = promisify(deflate);

/**
 * Above this size zlib runs on the thread pool instead of blocking the event loop (inflating or
 * deflating a few MiB takes milliseconds; the file I/O around it stays direct, it is far cheaper).
 */
const ASYNC_ZLIB_BYTES = 256 * 1024;
/** Git's default core.looseCompression: loose objects favour speed, packs favour size. */
const LOOSE_LEVEL = zc.Z_BEST_SPEED;
/**
 * Objects whose file is at most this big uncompressed are written as stored (uncompressed) zlib: one
 * block of the usual file systems, so compressing them would save no space (see stored-zlib.ts).
 */
const STORED_UP_TO = 4096;
/** Parallel file writes in a batch: enough to keep the disk busy, few enough for the fd limit. */
const WRITE_CONCURRENCY = 16;

/**
 * zlib's output buffer for an expected result of `n` bytes. Node's default is 16 KiB per call, which for
 * objects of a few hundred bytes is mostly garbage (reading 10,000 commits made 160 MB of it). A guess
 * that turns out short costs another chunk, not a failure.
 */
function outputChunk(n: number): number {
  return Math.min(DEFAULT_CHUNK, Math.max(zc.Z_MIN_CHUNK, n));
}
const DEFAULT_CHUNK = 16 << 10;

export interface LooseWrite {
  id: ObjectId;
  type: ObjectType;
  body: Uint8Array;
}

export class LooseObjects {
  /** Fan-out directories known to exist, to save a mkdir per write. */
  private readonly dirs = new Set<string>();

  /** objectsDir with one trailing slash: paths are built by concatenation, not path.join, on every access. */
  private readonly base: string;

  constructor(readonly objectsDir: string, private readonly fsync: boolean) {
    this.base = normalize(`${objectsDir}/`);
  }

  path(id: ObjectId): string {
    return `${this.base}${id.slice(0, 2)}/${id.slice(2)}`;
  }

  has(id: ObjectId): boolean {
    return existsSync(this.path(id));
  }

  /**
   * The object, or undefined when there is no such file. Checks that the content hashes to `id`; a
   * corrupt file is reported (StoreError 'corrupt-object' naming id and path) and left exactly as it is.
   */
  async read(id: ObjectId): Promise<RawObject | undefined> {
    const file = this.path(id);
    let compressed: Buffer;
    try {
      compressed = readFileDirect(file);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    const where = `loose object ${id} (${file})`;
    // Our own small objects are stored streams: no zlib call (see stored-zlib.ts).
    let bytes: Uint8Array | undefined = unstoredZlib(compressed);
    if (bytes === undefined) try {
      bytes = compressed.length > ASYNC_ZLIB_BYTES
        ? await inflateAsync(compressed)
        : inflateSync(compressed, { chunkSize: outputChunk(compressed.length * 4) });
    } catch (e) {
      throw new StoreError('corrupt-object', `${where}: zlib data is damaged or truncated (${(e as Error).message})`, { id, file }, { cause: e });
    }
    const actual = nodeSha1(bytes);
    if (actual !== id) {
      // Check the header first: "bad header" is a more useful message than a hash mismatch.
      unframe(bytes, where);
      throw new StoreError('corrupt-object', `${where}: content hashes to ${actual}`, { id, file, actual });
    }
    const o = unframe(bytes, where);
    // zlib hands back views into chunks of 16 KiB or more; a cached 100-byte body must not pin one.
    if (o.body.buffer.byteLength > 2 * o.body.length + 1024) o.body = o.body.slice();
    return o;
  }

  /**
   * Stores one object unless its file already exists. Written to a temp file in the same directory and
   * renamed, so no reader (or git) ever sees a partial object under its final name.
   * `syncDir: false` lets writeMany fsync each fan-out directory once.
   */
  async write(o: LooseWrite, syncDir = true): Promise<boolean> {
    if (this.isPresent(o)) return false;
    const data = o.body.length > ASYNC_ZLIB_BYTES ? await deflateAsync(frame(o.type, o.body), { level: LOOSE_LEVEL }) : this.encodeSmall(o);
    if (!this.fsync) {
      this.createNow(o.id, data);
      return true;
    }
    const dir = join(this.objectsDir, o.id.slice(0, 2));
    const tmp = await this.createTemp(dir, data);
    this.publish(tmp, o.id);
    if (syncDir) await fsyncDir(dir);
    return true;
  }

  /** Temp file, then rename, without fsync: direct calls from start to end (see files.ts). */
  private createNow(id: ObjectId, data: Uint8Array): void {
    const key = id.slice(0, 2);
    for (let attempt = 0; ; attempt++) {
      if (!this.dirs.has(key)) {
        makeDirsSync(this.base + key);
        this.dirs.add(key);
      }
      const tmp = tempPath(this.base + key, 'tmp_obj_');
      try {
        // Read-only, as git makes objects: they never change once written.
        createFileSync(tmp, data, 0o444);
      } catch (e) {
        // gc (here or in another process) may have removed the directory as empty: make it again.
        if (errnoCode(e) === 'ENOENT' && attempt < 3) {
          this.dirs.delete(key);
          continue;
        }
        throw e;
      }
      this.publish(tmp, id);
      return;
    }
  }

  /**
   * Whether the object's file exists, asked of the file system except for commits: a commit names its
   * parents and a time, so writing one that is already stored does not happen in practice, and should it
   * happen, the rename puts identical bytes in place (readers see the old file or the new one, never a
   * mix). That saves a lookup per commit; blobs and trees do recur (one value under many keys, a revert).
   */
  private isPresent(o: LooseWrite): boolean {
    return o.type !== 'commit' && this.has(o.id);
  }

  /** Renames a finished temp file to the object's name: the step that makes the object exist. */
  private publish(tmp: string, id: ObjectId): void {
    try {
      renameSync(tmp, this.path(id));
    } catch (e) {
      removeQuietly(tmp);
      throw e;
    }
  }

  /** The file's bytes of an object below ASYNC_ZLIB_BYTES: stored when that fits one file-system block. */
  private encodeSmall(o: LooseWrite): Uint8Array {
    const header = `${o.type} ${o.body.length}\0`;
    if (storedZlibLength(header.length + o.body.length) <= STORED_UP_TO) return storedZlib(header, o.body);
    const framed = frame(o.type, o.body);
    return deflateSync(framed, { level: LOOSE_LEVEL, chunkSize: outputChunk(framed.length + (framed.length >>> 8) + 64) });
  }

  /** Stores many objects; with fsync, each directory is flushed once after all its files are in place. */
  async writeMany(objects: readonly LooseWrite[]): Promise<number> {
    let written = 0;
    if (!this.fsync) {
      // One after another: each is a few direct calls, nothing to overlap (see files.ts).
      for (const o of objects) {
        const turn = yieldIfBusy();
        if (turn) await turn;
        if (o.body.length > ASYNC_ZLIB_BYTES) {
          if (await this.write(o)) written++;
        } else if (!this.isPresent(o)) {
          this.createNow(o.id, this.encodeSmall(o));
          written++;
        }
      }
      return written;
    }
    const touched = new Set<string>();
    // Several in flight only matters with fsync, where each write waits for the disk.
    await forEachLimit(objects, WRITE_CONCURRENCY, async (o) => {
      await yieldIfBusy();
      if (await this.write(o, false)) {
        written++;
        touched.add(o.id.slice(0, 2));
      }
    });
    await forEachLimit([...touched], WRITE_CONCURRENCY, (d) => fsyncDir(join(this.objectsDir, d)));
    return written;
  }

  /**
   * Every loose object id, in no particular order (non-object files such as tmp_obj_* are skipped).
   * These bulk operations (gc's) work one directory or file at a time with direct calls, letting the
   * event loop turn in between (see fairness.ts): a listing or an unlink is microseconds.
   */
  async list(): Promise<ObjectId[]> {
    const ids: ObjectId[] = [];
    for (const d of this.fanOutDirs()) {
      await yieldIfBusy();
      for (const f of readdirOrEmpty(join(this.objectsDir, d))) {
        const id = d + f;
        if (isObjectId(id)) ids.push(id);
      }
    }
    return ids;
  }

  /**
   * About how many loose objects there are, from one fan-out directory as git's `gc --auto` counts
   * them: ids are uniform, so objects/17 holds about 1/256 of them. One directory listing.
   */
  estimateCount(): number {
    let n = 0;
    for (const f of readdirOrEmpty(join(this.objectsDir, '17'))) if (f.length === 38 && isObjectId(`17${f}`)) n++;
    return n * 256;
  }

  /** The loose ids starting with `prefix` (at least two hex digits: one fan-out directory is listed). */
  withPrefix(prefix: string): ObjectId[] {
    const dir = prefix.slice(0, 2);
    const rest = prefix.slice(2);
    const out: ObjectId[] = [];
    for (const f of readdirOrEmpty(join(this.objectsDir, dir))) {
      if (f.startsWith(rest) && isObjectId(dir + f)) out.push(dir + f);
    }
    return out;
  }

  /** Deletes the loose files of `ids` (after gc packed them) and fan-out directories left empty. */
  async remove(ids: readonly ObjectId[]): Promise<number> {
    let removed = 0;
    const dirs = new Set<string>();
    for (const id of ids) {
      await yieldIfBusy();
      if (removeFile(this.path(id))) {
        removed++;
        dirs.add(id.slice(0, 2));
      }
    }
    for (const d of dirs) {
      this.dirs.delete(d);
      removeEmptyDirs(join(this.objectsDir, d), this.objectsDir);
    }
    return removed;
  }

  /** Temp files older than `ageMs` in the fan-out directories: left by processes killed mid-write. */
  async removeStaleTemps(ageMs: number): Promise<number> {
    let n = 0;
    for (const d of this.fanOutDirs()) {
      await yieldIfBusy();
      n += removeOldFiles(join(this.objectsDir, d), 'tmp_obj_', ageMs);
    }
    return n;
  }

  private fanOutDirs(): string[] {
    return readdirOrEmpty(this.objectsDir).filter((d) => /^[0-9a-f]{2}$/.test(d));
  }

  private async createTemp(dir: string, data: Uint8Array): Promise<string> {
    const key = dir.slice(-2);
    for (let attempt = 0; ; attempt++) {
      if (!this.dirs.has(key)) {
        await makeDirs(dir, this.fsync);
        this.dirs.add(key);
      }
      const tmp = tempPath(dir, 'tmp_obj_');
      try {
        // Read-only, as git makes objects: they never change once written.
        await writeNewSmallFile(tmp, data, { mode: 0o444, fsync: this.fsync });
        return tmp;
      } catch (e) {
        // gc (here or in another process) may have removed the directory as empty: make it again.
        if (errnoCode(e) === 'ENOENT' && attempt < 3) {
          this.dirs.delete(key);
          continue;
        }
        throw e;
      }
    }
  }
}

function readdirOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
}
