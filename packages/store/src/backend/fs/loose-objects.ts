// Loose objects: objects/xx/yyyy… holding the zlib-deflated "<type> <size>\0<body>", as git writes them.
import { access, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { constants as zc, deflate, deflateSync, inflate, inflateSync } from 'node:zlib';
import { StoreError } from '../../errors.js';
import type { ObjectId } from '../../git/id.js';
import { isObjectId } from '../../git/id.js';
import { frame, unframe, type ObjectType, type RawObject } from '../../git/object.js';
import { errnoCode, forEachLimit, fsyncDir, isNotFound, makeDirs, removeEmptyDirs, tempPath, writeNewFile } from './files.js';
import { nodeSha1 } from './hash.js';

const inflateAsync = promisify(inflate);
const deflateAsync = promisify(deflate);

/** Above this size zlib runs on the thread pool instead of blocking the event loop. */
const ASYNC_ZLIB_BYTES = 256 * 1024;
/** Git's default core.looseCompression: loose objects favour speed, packs favour size. */
const LOOSE_LEVEL = zc.Z_BEST_SPEED;
/** Parallel file writes in a batch: enough to keep the disk busy, few enough for the fd limit. */
const WRITE_CONCURRENCY = 16;

export interface LooseWrite {
  id: ObjectId;
  type: ObjectType;
  body: Uint8Array;
}

export class LooseObjects {
  /** Fan-out directories known to exist, to save a mkdir per write. */
  private readonly dirs = new Set<string>();

  constructor(readonly objectsDir: string, private readonly fsync: boolean) {}

  path(id: ObjectId): string {
    return join(this.objectsDir, id.slice(0, 2), id.slice(2));
  }

  async has(id: ObjectId): Promise<boolean> {
    try {
      await access(this.path(id));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The object, or undefined when there is no such file. Checks that the content hashes to `id`; a
   * corrupt file is reported (StoreError 'corrupt-object' naming id and path) and left exactly as it is.
   */
  async read(id: ObjectId): Promise<RawObject | undefined> {
    const file = this.path(id);
    let compressed: Buffer;
    try {
      compressed = await readFile(file);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    const where = `loose object ${id} (${file})`;
    let bytes: Uint8Array;
    try {
      bytes = compressed.length > ASYNC_ZLIB_BYTES ? await inflateAsync(compressed) : inflateSync(compressed);
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
    const file = this.path(o.id);
    if (await this.has(o.id)) return false;
    const framed = frame(o.type, o.body);
    const data = framed.length > ASYNC_ZLIB_BYTES ? await deflateAsync(framed, { level: LOOSE_LEVEL }) : deflateSync(framed, { level: LOOSE_LEVEL });
    const dir = join(this.objectsDir, o.id.slice(0, 2));
    const tmp = await this.createTemp(dir, data);
    try {
      await rename(tmp, file);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw e;
    }
    if (this.fsync && syncDir) await fsyncDir(dir);
    return true;
  }

  /** Stores many objects; with fsync, each directory is flushed once after all its files are in place. */
  async writeMany(objects: readonly LooseWrite[]): Promise<number> {
    let written = 0;
    const touched = new Set<string>();
    await forEachLimit(objects, WRITE_CONCURRENCY, async (o) => {
      if (await this.write(o, false)) {
        written++;
        touched.add(o.id.slice(0, 2));
      }
    });
    if (this.fsync) await forEachLimit([...touched], WRITE_CONCURRENCY, (d) => fsyncDir(join(this.objectsDir, d)));
    return written;
  }

  /** Every loose object id, in no particular order (non-object files such as tmp_obj_* are skipped). */
  async list(): Promise<ObjectId[]> {
    const ids: ObjectId[] = [];
    for (const d of await readdirOrEmpty(this.objectsDir)) {
      if (!/^[0-9a-f]{2}$/.test(d)) continue;
      for (const f of await readdirOrEmpty(join(this.objectsDir, d))) {
        const id = d + f;
        if (isObjectId(id)) ids.push(id);
      }
    }
    return ids;
  }

  /** Deletes the loose files of `ids` (after gc packed them) and fan-out directories left empty. */
  async remove(ids: readonly ObjectId[]): Promise<number> {
    let removed = 0;
    const dirs = new Set<string>();
    await forEachLimit(ids, WRITE_CONCURRENCY, async (id) => {
      try {
        await unlink(this.path(id));
        removed++;
        dirs.add(id.slice(0, 2));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    });
    for (const d of dirs) {
      this.dirs.delete(d);
      await removeEmptyDirs(join(this.objectsDir, d), this.objectsDir);
    }
    return removed;
  }

  /** Temp files older than `ageMs` in the fan-out directories: left by processes killed mid-write. */
  async removeStaleTemps(ageMs: number): Promise<number> {
    let n = 0;
    const now = Date.now();
    for (const d of await readdirOrEmpty(this.objectsDir)) {
      if (!/^[0-9a-f]{2}$/.test(d)) continue;
      for (const f of await readdirOrEmpty(join(this.objectsDir, d))) {
        if (!f.startsWith('tmp_obj_')) continue;
        const p = join(this.objectsDir, d, f);
        try {
          if (now - (await stat(p)).mtimeMs > ageMs) {
            await unlink(p);
            n++;
          }
        } catch {
          // gone already
        }
      }
    }
    return n;
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
        await writeNewFile(tmp, data, { mode: 0o444, fsync: this.fsync });
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

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
}
