// The packs of one objects directory (objects/pack/pack-*.idx + .pack), read through the pack helper.
// The set changes under us: `git gc` and our own gc add packs and delete old ones, so a lookup that
// misses everywhere rescans the directory (see ObjectDatabase) before concluding an object is absent.
import type { FileHandle } from 'node:fs/promises';
import { open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../../errors.js';
import type { ObjectId } from '../../git/id.js';
import type { RawObject } from '../../git/object.js';
import { PackIndex } from '../../git/pack/pack-index.js';
import { PackReader } from '../../git/pack/pack-reader.js';
import { writePack, type PackObject } from '../../git/pack/pack-writer.js';
import type { RandomAccess } from '../../git/pack/types.js';
import { toHex } from '../../git/bytes.js';
import { fsyncDir, isNotFound, tempPath, writeNewFile } from './files.js';
import { hashObjectFast, nodeSha1 } from './hash.js';
import { nodeZlib } from './zlib.js';

const PACK_IDX_RE = /^(pack-[0-9a-f]{40})\.idx$/;

/** Positional reads through an open file handle; the handle stays open for the life of the pack. */
class FileRandomAccess implements RandomAccess {
  constructor(private readonly fh: FileHandle, readonly size: number) {}

  async read(offset: number, length: number): Promise<Uint8Array> {
    const n = Math.max(0, Math.min(length, this.size - offset));
    const buf = Buffer.allocUnsafeSlow(n);
    let done = 0;
    while (done < n) {
      const { bytesRead } = await this.fh.read(buf, done, n - done, offset + done);
      if (bytesRead === 0) break; // the file shrank: the reader reports the short read as corruption
      done += bytesRead;
    }
    return done === n ? buf : buf.subarray(0, done);
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** One pack and its index. Closed once it has been removed from disk and no read is using it. */
export class PackFile {
  private users = 0;
  private retired = false;
  private closed = false;

  constructor(
    /** "pack-<checksum>" */
    readonly name: string,
    readonly path: string,
    readonly index: PackIndex,
    private readonly reader: PackReader,
  ) {}

  has(id: ObjectId): boolean {
    return this.index.has(id);
  }

  /** The object, hash-checked (a bad delta or a flipped bit must not pass for data), or undefined. */
  async read(id: ObjectId): Promise<RawObject | undefined> {
    this.users++;
    try {
      const o = await this.reader.read(id);
      if (o === undefined) return undefined;
      const actual = hashObjectFast(o.type, o.body);
      if (actual !== id) {
        throw new StoreError('corrupt-object', `object ${id} in ${this.path}: content hashes to ${actual}`, { id, file: this.path, actual });
      }
      return o;
    } finally {
      this.users--;
      if (this.retired && this.users === 0) await this.close();
    }
  }

  /** Removed from disk: close once in-flight reads finish (an open file stays readable after unlink). */
  async retire(): Promise<void> {
    this.retired = true;
    if (this.users === 0) await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.reader.close();
  }
}

export interface PackSetOptions {
  /** Finds REF_DELTA bases outside a pack (thin packs; git never leaves those on disk, but be lenient). */
  readExternal: (id: ObjectId) => Promise<RawObject | undefined>;
  onWarning: (message: string) => void;
}

export class PackSet {
  /** Newest first: recent objects are the likely reads, and git orders packs the same way. */
  private packs: PackFile[] = [];
  private readonly opening = new Map<string, Promise<PackFile | undefined>>();
  /** Packs found unreadable, by name -> size:mtime, so each is reported once, not on every rescan. */
  private readonly bad = new Map<string, string>();

  constructor(readonly packDir: string, private readonly options: PackSetOptions) {}

  get files(): readonly PackFile[] {
    return this.packs;
  }

  find(id: ObjectId): PackFile | undefined {
    for (const p of this.packs) if (p.has(id)) return p;
    return undefined;
  }

  has(id: ObjectId): boolean {
    return this.find(id) !== undefined;
  }

  async read(id: ObjectId): Promise<RawObject | undefined> {
    return this.find(id)?.read(id);
  }

  /** Brings the set in line with the directory: opens new packs, retires deleted ones. True if it added any. */
  async rescan(): Promise<boolean> {
    // Only packs known before the readdir can be judged gone by it: one that write() or a concurrent
    // rescan adds meanwhile may be missing from this (older) listing.
    const before = new Set(this.packs);
    let names: string[];
    try {
      names = await readdir(this.packDir);
    } catch (e) {
      if (isNotFound(e)) names = [];
      else throw e;
    }
    const present = new Set<string>();
    for (const f of names) {
      const m = PACK_IDX_RE.exec(f);
      if (m) present.add(m[1]!);
    }
    const known = new Set(this.packs.map((p) => p.name));
    const gone = this.packs.filter((p) => before.has(p) && !present.has(p.name));
    if (gone.length > 0) {
      this.packs = this.packs.filter((p) => !gone.includes(p));
      for (const p of gone) await p.retire();
    }
    let added = false;
    const fresh = [...present].filter((n) => !known.has(n));
    for (const p of await Promise.all(fresh.map((n) => this.openOnce(n)))) if (p) added = true;
    return added;
  }

  /**
   * Writes `objects` as one pack: both files go to temp names (fsynced when asked), then the .pack is
   * renamed into place before the .idx, because git (and rescan) discover packs by their .idx.
   */
  async write(objects: readonly PackObject[], o: { deltas: boolean; fsync: boolean; onProgress?: (msg: string) => void }): Promise<PackFile> {
    const written = writePack(objects, {
      zlib: nodeZlib,
      sha1: nodeSha1,
      deltas: o.deltas,
      onProgress: o.onProgress && ((done, total, phase) => o.onProgress!(`${phase ?? 'writing'}: ${done}/${total} objects`)),
    });
    const name = `pack-${written.checksum}`;
    const existing = this.packs.find((p) => p.name === name);
    if (existing) return existing; // the very same objects were packed before
    const base = join(this.packDir, name);
    const tmpPack = await writeTemp(this.packDir, 'tmp_pack_', written.pack, o.fsync);
    const tmpIdx = await writeTemp(this.packDir, 'tmp_idx_', written.index, o.fsync).catch(async (e: unknown) => {
      await unlink(tmpPack).catch(() => {});
      throw e;
    });
    try {
      await rename(tmpPack, `${base}.pack`);
      await rename(tmpIdx, `${base}.idx`);
    } catch (e) {
      await unlink(tmpPack).catch(() => {});
      await unlink(tmpIdx).catch(() => {});
      throw e;
    }
    if (o.fsync) await fsyncDir(this.packDir);
    const pack = await this.openOnce(name, written.index);
    if (!pack) throw new Error(`${base}.pack: written but could not be opened`);
    return pack;
  }

  async close(): Promise<void> {
    const all = this.packs;
    this.packs = [];
    await Promise.all(all.map((p) => p.close()));
  }

  /** Opens `name` unless it is open or being opened (concurrent rescans share one open). */
  private openOnce(name: string, indexBytes?: Uint8Array): Promise<PackFile | undefined> {
    const already = this.packs.find((p) => p.name === name);
    if (already) return Promise.resolve(already);
    let p = this.opening.get(name);
    if (!p) {
      p = this.open(name, indexBytes).finally(() => this.opening.delete(name));
      this.opening.set(name, p);
    }
    return p;
  }

  private async open(name: string, indexBytes?: Uint8Array): Promise<PackFile | undefined> {
    const idxPath = join(this.packDir, `${name}.idx`);
    const packPath = join(this.packDir, `${name}.pack`);
    let fh: FileHandle | undefined;
    try {
      // Our own index was built in memory from the objects; one read from disk needs its checksum checked.
      const index = indexBytes ? PackIndex.parse(indexBytes, idxPath) : PackIndex.parse(await readFile(idxPath), idxPath, { sha1: nodeSha1 });
      fh = await open(packPath, 'r');
      const st = await fh.stat();
      await checkPackMatchesIndex(fh, st.size, index, packPath);
      const reader = new PackReader({
        index,
        pack: new FileRandomAccess(fh, st.size),
        zlib: nodeZlib,
        file: packPath,
        readExternal: this.options.readExternal,
      });
      const pack = new PackFile(name, packPath, index, reader);
      this.packs.unshift(pack);
      this.bad.delete(name);
      return pack;
    } catch (e) {
      await fh?.close().catch(() => {});
      // Deleted between readdir and open (a concurrent gc): simply not there any more.
      if (isNotFound(e)) return undefined;
      // Like git, skip a broken pack and carry on with the rest, saying so once.
      const st = await stat(idxPath).catch(() => undefined);
      const key = `${st?.size}:${st?.mtimeMs}`;
      if (this.bad.get(name) !== key) {
        this.bad.set(name, key);
        this.options.onWarning(`ignoring unreadable pack ${packPath}: ${(e as Error).message}`);
      }
      return undefined;
    }
  }
}

/** Header and trailer must agree with the index, or offsets from the index would read garbage. */
async function checkPackMatchesIndex(fh: FileHandle, size: number, index: PackIndex, file: string): Promise<void> {
  const head = Buffer.alloc(12);
  const tail = Buffer.alloc(20);
  if (size < 32) throw new StoreError('corrupt-pack', `${file}: only ${size} bytes`, { file });
  await fh.read(head, 0, 12, 0);
  await fh.read(tail, 0, 20, size - 20);
  if (head.toString('latin1', 0, 4) !== 'PACK') throw new StoreError('corrupt-pack', `${file}: does not start with "PACK"`, { file });
  const count = head.readUInt32BE(8);
  if (count !== index.count) {
    throw new StoreError('corrupt-pack', `${file}: holds ${count} objects, its index ${index.count}`, { file });
  }
  const checksum = toHex(tail);
  if (checksum !== index.packChecksum) {
    throw new StoreError('corrupt-pack', `${file}: checksum ${checksum} differs from its index's ${index.packChecksum}`, { file });
  }
}

/** A read-only temp file in `dir` holding `data`, flushed to disk when asked. */
async function writeTemp(dir: string, prefix: string, data: Uint8Array, fsync: boolean): Promise<string> {
  const tmp = tempPath(dir, prefix);
  await writeNewFile(tmp, data, { mode: 0o444, fsync });
  return tmp;
}
