// The packs of one objects directory (objects/pack/pack-*.idx + .pack), read through the pack helper.
// The set changes under us: `git gc` and our own gc add packs and delete old ones, so a lookup that
// misses everywhere rescans the directory (see ObjectDatabase) before concluding an object is absent.
//
// Reading is synchronous (see files.ts): positional reads from an open descriptor, a listing of the pack
// directory on a miss, and opening a new pack. Writing a pack (megabytes, perhaps) stays asynchronous.
import {
  closeSync, createReadStream, existsSync, fstatSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, unlinkSync, writeSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { link, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StoreError } from '../../errors.js';
import type { ObjectId } from '../../git/id.js';
import type { ObjectType, RawObject } from '../../git/object.js';
import { PackBitmap, type Bits } from '../../git/pack/pack-bitmap.js';
import { IdFilter } from '../../git/pack/id-filter.js';
import { encodePackIndex, idBytes, PackIndex, type PackIndexEntry } from '../../git/pack/pack-index.js';
import {
  BaseCache, HEADER_BYTES, PACK_SIGNATURE, PackReader, TRAILER_BYTES, type PackEntrySource, type RawEntry, type RawEntryHeader,
} from '../../git/pack/pack-reader.js';
import { writePack, type PackObject } from '../../git/pack/pack-writer.js';
import type { RandomAccess } from '../../git/pack/types.js';
import { toHex } from '../../git/bytes.js';
import {
  closeOnPool, closeQuietly, createFileForReadingSync, errnoCode, flushFd, fsyncDir, isNotFound, makeDirsSync, removeQuietly, statOrUndefined, tempPath, writeAllSync, writeNewFile,
} from './files.js';
import { FreshFiles } from './fresh-files.js';
import { removeFilesOffThread } from './merge-thread.js';
import { nodeSha1 } from './hash.js';
import { nodeZlib } from './zlib.js';

const PACK_IDX_RE = /^(pack-[0-9a-f]{40})\.idx$/;
/** The names of the empty files kept ready for writeSmall (fresh-files.ts): temp names to git and gc. */
export const FRESH_PREFIX = 'tmp_pack_ready_';
/**
 * The directory of the files made ahead and of merges' temp files: beside objects/pack, not in it
 * (git looks in objects/ only at pack/, info/ and the two-hex-digit directories of loose objects).
 *
 * Why apart: creating a file holds its directory's lock while the file system looks for a free inode,
 * which on ext4 without a journal takes up to a millisecond where many files were deleted in the last
 * minutes (see fresh-files.ts). Made in objects/pack, every such create on the merge thread held up
 * the event loop's next rename there: 600 µs a rename in a test of the two threads, 23% of the event
 * loop of a server flagging messages on such a disk. Made here, the files are linked into the pack
 * directory (which locks only the pack directory) and their temp names removed later, in batches, off
 * the event loop.
 */
export const TEMP_DIR = 'nymote-tmp';
/** A temp file writeSmall fills, open for reading and writing; `made` when it comes from the pool, in tempDir. */
type TempFile = { path: string; fd: number; made?: number };
/** The id being looked up by PackSet.find, as bytes (parsed once for all the packs). */
const probe = new Uint8Array(20);
/** Inflated delta bases kept for all the packs of one objects directory. */
const BASE_CACHE_BYTES = 32 << 20;
/** Raw pack bytes kept per pack, in 64 KiB windows (the pack reader's default). */
const MAX_WINDOW_BYTES = 4 << 20;
/** Raw pack bytes kept by a repack's pass over one pack: a few 64 KiB windows, read in turn. */
const SEQUENTIAL_WINDOW_BYTES = 1 << 20;
/**
 * A group commit's pack stores entries smaller than this uncompressed (stored zlib): its commits, small
 * records, directories and the deltas between successive versions of a directory. A directory is
 * mostly ids, which do not compress: a 1.5 KiB tree deflates by a fifth, at a cost of about 30 µs, the
 * largest single cost of an IMAP STORE before this was raised from 512 bytes. Larger objects (a
 * message) are compressed. Merges copy these entries as they are; gc compresses them.
 */
const STORE_BELOW = 4096;
/** Lookups of ids no pack holds before PackSet builds its filter: a store that only reads may never need one. */
const FILTER_AFTER_MISSES = 256;

/**
 * Positional reads (pread) from a descriptor that stays open for the life of the pack. Synchronous: a
 * read of a 64 KiB window from the page cache takes microseconds, a thread-pool round trip ten times
 * more, and the pack reader makes one per window or per entry.
 */
class FileRandomAccess implements RandomAccess {
  /** -1 once closed: a closed descriptor's number may already belong to another file. */
  private fd: number;

  constructor(fd: number, readonly size: number, private readonly file: string) {
    this.fd = fd;
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    try {
      return Promise.resolve(this.readNow(offset, length));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private readNow(offset: number, length: number): Uint8Array {
    if (this.fd < 0) throw new Error(`${this.file}: read after the pack was closed`);
    const n = Math.max(0, Math.min(length, this.size - offset));
    const buf = Buffer.allocUnsafeSlow(n);
    let done = 0;
    while (done < n) {
      const bytesRead = readSync(this.fd, buf, done, n - done, offset + done);
      if (bytesRead === 0) break; // the file shrank: the reader reports the short read as corruption
      done += bytesRead;
    }
    return done === n ? buf : buf.subarray(0, done);
  }

  async close(): Promise<void> {
    const fd = this.fd;
    this.fd = -1;
    // On the thread pool: closing a pack deleted meanwhile (merged, gc'd) frees its pages or blocks,
    // megabytes for a merged pack, which on the event loop stalled every session of a busy server.
    if (fd >= 0) await closeOnPool(fd);
  }
}

/** One pack and its index. Closed once it has been removed from disk and no read is using it. */
export class PackFile implements PackEntrySource {
  private users = 0;
  private retired = false;
  private closed = false;
  /** Loaded on first use; null when there is none (or it is unusable). */
  private bitmapState: PackBitmap | null | undefined;

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

  /** The pack file's size in bytes, trailer included. */
  get size(): number {
    return this.reader.size;
  }

  /**
   * The object, or undefined. Not re-hashed, as git does not re-hash what it reads from packs either:
   * zlib's Adler-32 of every entry, the inflated size against the header and the delta checks catch
   * damage, and verify() (gc, fsck) checks the pack's CRCs and checksum and every object's hash.
   * (Loose objects, which have none of that, are hashed on every read: see loose-objects.ts.)
   */
  async read(id: ObjectId): Promise<RawObject | undefined> {
    this.users++;
    try {
      return await this.reader.read(id);
    } finally {
      this.users--;
      if (this.retired && this.users === 0) await this.close();
    }
  }

  /** Where the object's entry starts, or undefined when this pack lacks it. */
  offsetOf(id: ObjectId): number | undefined {
    return this.index.find(id);
  }

  // Raw entries for pack reuse (see PackEntrySource). Reads are synchronous underneath, so no read is
  // in flight when the pack closes; once closed (a gc removed it) they throw, and the caller falls
  // back to read(), which finds the object wherever it went.
  rawHeader(offset: number): Promise<RawEntryHeader> {
    return this.closed ? this.gone() : this.reader.rawHeader(offset);
  }

  rawEntry(offset: number): Promise<RawEntry | undefined> {
    return this.closed ? this.gone() : this.reader.rawEntry(offset);
  }

  idAtOffset(offset: number): ObjectId | undefined {
    return this.reader.idAtOffset(offset);
  }

  /** rawHeader and rawEntry for one pass over the pack in its order, as a repack makes (PackReader.sequential). */
  sequential(): Pick<PackEntrySource, 'rawHeader' | 'rawEntry'> {
    const reader = this.reader.sequential(SEQUENTIAL_WINDOW_BYTES);
    return {
      rawHeader: (offset) => (this.closed ? this.gone() : reader.rawHeader(offset)),
      rawEntry: (offset) => (this.closed ? this.gone() : reader.rawEntry(offset)),
    };
  }

  // Pack order (by offset), numbered 0..count-1: a repack walks a pack this way, so that OFS_DELTA
  // bases come before their deltas, and keeps its per-object tables as typed arrays by rank.
  offsetAtRank(rank: number): number {
    return this.reader.offsetAtRank(rank);
  }

  rankOfOffset(offset: number): number {
    return this.reader.rankOfOffset(offset);
  }

  idAtRank(rank: number): ObjectId {
    return this.reader.idAtRank(rank);
  }

  /** The pack's reachability bitmap (pack-*.bitmap), or undefined when there is none or it is unusable. */
  bitmap(onWarning?: (message: string) => void): PackBitmap | undefined {
    if (this.bitmapState === undefined) {
      const file = this.path.replace(/\.pack$/, '.bitmap');
      this.bitmapState = null;
      try {
        this.bitmapState = new PackBitmap(readFileSync(file), this.index, file);
      } catch (e) {
        if (!isNotFound(e)) onWarning?.(`ignoring ${file}: ${(e as Error).message}`);
      }
    }
    return this.bitmapState ?? undefined;
  }


  /** The union of the bitmaps of `commits`; undefined when one of them has none. */
  private reachableBits(commits: readonly ObjectId[], onWarning?: (message: string) => void): { bitmap: PackBitmap; all: Bits | undefined } | undefined {
    const bitmap = this.bitmap(onWarning);
    if (!bitmap || this.closed) return undefined;
    let all: Bits | undefined;
    for (const c of commits) {
      const bits = bitmap.reachable(c);
      if (!bits) return undefined;
      if (!all) all = bits.slice();
      else for (let w = 0; w < all.length; w++) all[w]! |= bits[w]!;
    }
    return { bitmap, all };
  }

  /**
   * Whether `commits` (with the annotated `tags` that point at them) reach every object of this pack,
   * by its bitmap, with no object list built: the pack is then, byte for byte, a pack of what they reach.
   */
  reachesAll(commits: readonly ObjectId[], tags: readonly ObjectId[], onWarning?: (message: string) => void): boolean {
    const all = commits.length > 0 ? this.reachableBits(commits, onWarning)?.all : undefined;
    if (!all) return false;
    for (const tag of tags) {
      const offset = this.index.find(tag);
      if (offset === undefined) return false;
      const rank = this.reader.rankOfOffset(offset);
      all[rank >>> 5]! |= 1 << (rank & 31);
    }
    let n = 0;
    for (let w = 0; w < all.length; w++) {
      let x = all[w]!;
      x -= (x >>> 1) & 0x55555555;
      x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
      n += (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
    }
    return n === this.index.count;
  }

  /**
   * The pack file's bytes in chunks, trailer included, with the pack's checksum verified on the way: a
   * damaged file fails (corrupt-pack naming it) before its trailer is sent, so a peer never receives
   * a pack that only its own check would catch. The pack stays open until the last chunk is read.
   */
  async *contents(chunkBytes = 1 << 20): AsyncGenerator<Uint8Array> {
    if (this.closed) await this.gone();
    this.users++;
    try {
      const size = this.reader.size;
      const body = size - TRAILER_BYTES;
      const hash = createHash('sha1');
      for (let at = 0; at < body; at += chunkBytes) {
        const chunk = await this.reader.bytes(at, Math.min(chunkBytes, body - at));
        if (chunk.length === 0) throw new StoreError('corrupt-pack', `${this.path}: shorter than its ${size} bytes`, { file: this.path });
        hash.update(chunk);
        yield chunk;
      }
      const trailer = await this.reader.bytes(body, TRAILER_BYTES);
      checkPackChecksum(this.path, hash.digest('hex'), trailer, this.index);
      yield trailer;
    } finally {
      this.users--;
      if (this.retired && this.users === 0) await this.close();
    }
  }

  /**
   * Every object the `commits` reach, from the bitmap, in pack order; undefined when one of them
   * has no bitmap.
   */
  reachableFrom(commits: readonly ObjectId[], onWarning?: (message: string) => void): { id: ObjectId; type: ObjectType }[] | undefined {
    const found = this.reachableBits(commits, onWarning);
    if (!found) return undefined;
    const { bitmap, all } = found;
    if (!all) return [];
    const kinds: [ObjectType, Bits][] = (['commit', 'tree', 'blob', 'tag'] as const).map((t) => [t, bitmap.ofType(t)]);
    const out: { id: ObjectId; type: ObjectType }[] = [];
    for (let w = 0; w < all.length; w++) {
      for (let x = all[w]!; x !== 0; x &= x - 1) {
        const j = 31 - Math.clz32(x & -x);
        const rank = w * 32 + j;
        const kind = kinds.find(([, b]) => (b[w]! >>> j) & 1);
        if (!kind || rank >= this.index.count) throw new StoreError('corrupt-pack', `${this.path}: bitmap bit ${rank} names no object of a known type`, { file: this.path });
        out.push({ id: this.reader.idAtRank(rank), type: kind[0] });
      }
    }
    return out;
  }

  private gone(): Promise<never> {
    return Promise.reject(new Error(`${this.path}: the pack was closed`));
  }

  /** The full check of pack and index (see PackReader.verify): checksums, CRCs, every object's hash. */
  async verify(): Promise<void> {
    this.users++;
    try {
      await this.reader.verify(nodeSha1, { contentsHash: (length) => hashFile(this.path, length) });
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

/** Whether git's `.keep` file next to the pack says "leave this pack alone" (gc and merges skip it). */
export function isKept(pack: PackFile): boolean {
  return existsSync(pack.path.replace(/\.pack$/, '.keep'));
}

/**
 * Throws StoreError('corrupt-pack') naming `path` unless `actual`, the SHA-1 of the pack's contents
 * before its trailer, is what its `trailer` (as read) and its index both record.
 */
export function checkPackChecksum(path: string, actual: string, trailer: Uint8Array, index: PackIndex): void {
  if (trailer.length !== TRAILER_BYTES || toHex(trailer) !== actual || actual !== index.packChecksum) {
    throw new StoreError('corrupt-pack', `${path}: the pack's contents hash to ${actual}, not to its trailer and index's checksum ${index.packChecksum}`, { file: path });
  }
}

/**
 * Deletes a pack that a newer one replaces, the index first: git and rescan find packs by their .idx,
 * so no reader looks for the .pack after. Files already gone (another gc) are fine.
 */
export async function deletePackFiles(pack: PackFile): Promise<void> {
  // On the thread pool, like closing: removing the last name of a file frees its pages or blocks.
  for (const file of filesToDelete(pack)) await unlinkIfThere(file);
}

/** The files of a pack in the order they are deleted: the index first (see deletePackFiles). */
function filesToDelete(pack: PackFile): [string, string] {
  return [pack.path.replace(/\.pack$/, '.idx'), pack.path];
}

/**
 * Deletes the packs of `replaced` that `kept` replaces (all but `kept` itself: the same objects packed
 * the same way get the same name), all at once, each index before its pack.
 * Returns how many it deleted.
 */
export async function deleteReplacedPacks(replaced: readonly PackFile[], kept: PackFile): Promise<number> {
  const gone = replaced.filter((old) => old.name !== kept.name);
  // On the merge thread when there is one: one message instead of two thread-pool round trips a pack.
  const offThread = removeFilesOffThread(gone.flatMap(filesToDelete));
  if (offThread) await offThread;
  else await Promise.all(gone.map((old) => deletePackFiles(old)));
  return gone.length;
}

async function unlinkIfThere(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

/** SHA-1 (hex) of the first `length` bytes of a file, streamed: a pack may be larger than memory. */
async function hashFile(path: string, length: number): Promise<string> {
  const hash = createHash('sha1');
  if (length > 0) {
    for await (const chunk of createReadStream(path, { start: 0, end: length - 1, highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

export interface PackSetOptions {
  /** Finds REF_DELTA bases outside a pack (thin packs; git never leaves those on disk, but be lenient). */
  readExternal: (id: ObjectId) => Promise<RawObject | undefined>;
  onWarning: (message: string) => void;
}

export class PackSet {
  /** Newest first: recent objects are the likely reads, and git orders packs the same way. */
  private packs: PackFile[] = [];
  /** Packs found unreadable, by name -> size:mtime, so each is reported once, not on every rescan. */
  private readonly bad = new Map<string, string>();
  /**
   * Inflated delta bases of every pack, in one budget: commits leave many packs (merged as they pile
   * up, see auto-pack.ts), and a budget per pack would multiply the memory a repository may hold.
   */
  private readonly bases = new BaseCache(BASE_CACHE_BYTES);

  /**
   * The ids of every pack in `packs` (and of packs since gone), once lookups of absent ids add up (see
   * FILTER_AFTER_MISSES): a miss then costs one check, not a probe of every pack.
   */
  private filter: IdFilter | undefined;
  private misses = 0;

  /** Empty files for writeSmall, made ahead off the event loop once it writes often (fresh-files.ts). */
  private readonly fresh: FreshFiles;
  /** Where the pool's files and merges' temp files are made (TEMP_DIR). */
  readonly tempDir: string;
  /** False once link() failed other than on an existing name: files from tempDir are then renamed in. */
  private links = true;

  constructor(readonly packDir: string, private readonly options: PackSetOptions) {
    this.tempDir = join(dirname(packDir), TEMP_DIR);
    this.fresh = new FreshFiles(this.tempDir, FRESH_PREFIX);
  }

  /** A temp path in tempDir (made when missing), for a file the merge thread writes and installFiles() takes. */
  tempPath(prefix: string): string {
    mkdirSync(this.tempDir, { recursive: true });
    return tempPath(this.tempDir, prefix);
  }

  get files(): readonly PackFile[] {
    return this.packs;
  }

  find(id: ObjectId): PackFile | undefined {
    if (!idBytes(id, probe)) return undefined;
    if (this.filter && !this.filter.mightHave(probe)) return undefined;
    for (const p of this.packs) if (p.index.indexOfBytes(probe) >= 0) return p;
    if (!this.filter && this.packs.length > 1 && ++this.misses >= FILTER_AFTER_MISSES) this.buildFilter();
    return undefined;
  }

  /** A filter sized for twice the ids of the packs there are, holding them all. */
  private buildFilter(): void {
    let total = 0;
    for (const p of this.packs) total += p.index.count;
    const filter = new IdFilter(2 * total);
    for (const p of this.packs) p.index.addIdsTo(filter);
    this.filter = filter;
  }

  /** Keeps the filter (when there is one) holding every id of `pack`, which joins the set. */
  private filterAdd(pack: PackFile): void {
    if (!this.filter) return;
    // Ids of packs gone count too: a filter that grew past its size is rebuilt from the packs there are.
    if (this.filter.size + pack.index.count > this.filter.capacity) this.buildFilter();
    else pack.index.addIdsTo(this.filter);
  }

  has(id: ObjectId): boolean {
    return this.find(id) !== undefined;
  }

  async read(id: ObjectId): Promise<RawObject | undefined> {
    return this.find(id)?.read(id);
  }

  /** Brings the set in line with the directory: opens new packs, retires deleted ones. True if it added any. */
  async rescan(): Promise<boolean> {
    // Synchronous from the listing to the update of this.packs: no write() or other rescan can add a
    // pack in between, which this (then older) listing would wrongly judge gone.
    let names: string[];
    try {
      names = readdirSync(this.packDir);
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
    const gone = this.packs.filter((p) => !present.has(p.name));
    if (gone.length > 0) this.packs = this.packs.filter((p) => present.has(p.name));
    let added = false;
    for (const n of present) if (!known.has(n) && this.open(n)) added = true;
    await Promise.all(gone.map((p) => p.retire()));
    return added;
  }

  /**
   * Writes `objects` as one pack, installed as add() does.
   */
  async write(objects: readonly PackObject[], o: { deltas: boolean; fsync: boolean; onProgress?: (msg: string) => void }): Promise<PackFile> {
    const written = writePack(objects, {
      zlib: nodeZlib,
      sha1: nodeSha1,
      deltas: o.deltas,
      // A pack without deltas is a write-path pack (an import, a large batch): zlib's fastest level
      // costs a third less time for about the same size on trees, and gc repacks it with deltas.
      ...(o.deltas ? {} : { level: 1, successive: true }),
      onProgress: o.onProgress && ((done, total, phase) => o.onProgress!(`${phase ?? 'writing'}: ${done}/${total} objects`)),
    });
    return this.add(written, o.fsync);
  }

  /**
   * Writes a small batch (the commits of a group commit) as a pack, with direct calls as a loose object
   * is written (see files.ts): add()'s steps without the thread pool, two files instead of one per
   * object. Without fsync only: the caller goes through write() when every step must reach the disk.
   * The packs this leaves pile up; auto-pack.ts merges them.
   */
  writeSmall(objects: readonly PackObject[]): PackFile {
    const written = writePack(objects, { zlib: nodeZlib, sha1: nodeSha1, successive: true, level: 1, storeBelow: STORE_BELOW });
    const name = `pack-${written.checksum}`;
    const existing = this.packs.find((p) => p.name === name);
    if (existing) return existing;
    const base = join(this.packDir, name);
    let fd: number;
    for (let pooled = true; ; pooled = false) {
      // Kept open: the pack is read through the descriptor that wrote it (an open saved per batch).
      const pack = this.newFileHolding(written.pack, pooled);
      let index: TempFile | undefined;
      try {
        index = this.newFileHolding(written.index, pooled);
        closeSync(index.fd);
        // The .pack before the .idx: readers (git too) find packs by their index.
        this.placeSync(pack, `${base}.pack`);
        this.placeSync(index, `${base}.idx`);
        fd = pack.fd;
        break;
      } catch (e) {
        closeQuietly(pack.fd);
        removeQuietly(pack.path);
        if (index) removeQuietly(index.path);
        // A file made ahead whose name is gone (its directory was removed and made again): once more
        // with files made now.
        if (!pooled || !isNotFound(e)) throw e;
      }
    }
    const opened = this.open(name, written.index, written.pack.length, fd);
    if (!opened) throw new Error(`${base}.pack: written but could not be opened`);
    return opened;
  }

  /**
   * Gives the temp file `file` the name `target` in the pack directory: a file of the pool is linked
   * (see TEMP_DIR) and its temp name removed later; one made here is renamed. A name already there is
   * the same pack (packs are named by their checksum), and stays.
   */
  private placeSync(file: TempFile, target: string): void {
    if (file.made === undefined || !this.links) {
      renameSync(file.path, target);
      return;
    }
    try {
      linkSync(file.path, target);
    } catch (e) {
      if (errnoCode(e) === 'EEXIST') {
        this.fresh.spent(file.path);
        return;
      }
      if (isNotFound(e)) throw e;
      // No hard links on this file system: move the file instead, from now on.
      this.links = false;
      renameSync(file.path, target);
      return;
    }
    this.fresh.spent(file.path);
  }

  /**
   * A temp file holding `data`, open for reading and writing: one of the fresh files when one is ready
   * and `pooled` (fresh-files.ts), else created here. A failed write leaves no file.
   */
  private newFileHolding(data: Uint8Array, pooled: boolean): TempFile {
    const fresh = pooled ? this.fresh.take() : undefined;
    if (fresh) {
      try {
        writeAllSync(fresh.fd, data);
      } catch (e) {
        closeQuietly(fresh.fd);
        removeQuietly(fresh.path);
        throw e;
      }
      return fresh;
    }
    for (let attempt = 0; ; attempt++) {
      const path = tempPath(this.packDir, 'tmp_pack_');
      try {
        return { path, fd: createFileForReadingSync(path, data, 0o444) };
      } catch (e) {
        // A repository made by someone else may have no pack directory yet.
        if (!isNotFound(e) || attempt > 0) throw e;
        makeDirsSync(this.packDir);
      }
    }
  }

  /**
   * Puts a finished pack and its index into the directory (a pack built here, or one received from a
   * peer and checked by the indexer): both to temp names (fsynced when asked), then the .pack renamed
   * into place before the .idx, because git (and rescan) discover packs by their .idx.
   */
  async add(written: { pack: Uint8Array; index: Uint8Array; checksum: string }, fsync: boolean): Promise<PackFile> {
    const name = `pack-${written.checksum}`;
    const existing = this.packs.find((p) => p.name === name);
    if (existing) return existing; // the very same objects were packed before
    const tmpPack = await writeTemp(this.packDir, 'tmp_pack_', written.pack, fsync);
    return this.install(name, tmpPack, written.index, fsync);
  }

  /**
   * A pack written to a temp file as it is produced (see PackStream), for packs too big to build in
   * memory (gc). finishStream() installs it as add() does.
   */
  createStream(count: number): PackStream {
    return new PackStream(tempPath(this.packDir, 'tmp_pack_'), count);
  }

  /**
   * Completes `stream` (trailer, fsync when asked) and installs it with its index: `index` is the
   * entries (one per object of the pack), or makes the index file's bytes from the pack's trailer.
   * On failure nothing is left behind.
   */
  async finishStream(
    stream: PackStream, count: number, index: readonly PackIndexEntry[] | ((trailer: Uint8Array) => Uint8Array), fsync: boolean,
  ): Promise<PackFile> {
    let trailer: Uint8Array;
    try {
      trailer = await stream.finish(count, fsync);
    } catch (e) {
      stream.abort();
      throw e;
    }
    const name = `pack-${toHex(trailer)}`;
    const existing = this.packs.find((p) => p.name === name);
    if (existing) {
      removeQuietly(stream.path);
      return existing;
    }
    let indexBytes: Uint8Array;
    try {
      indexBytes = typeof index === 'function' ? index(trailer) : encodePackIndex(index, trailer, nodeSha1);
    } catch (e) {
      removeQuietly(stream.path);
      throw e;
    }
    return this.install(name, stream.path, indexBytes, fsync);
  }

  /** Moves a complete temp pack into place as `name`, with its index; the temp pack is gone either way. */
  private async install(name: string, tmpPack: string, indexBytes: Uint8Array, fsync: boolean): Promise<PackFile> {
    const tmpIdx = await writeTemp(this.packDir, 'tmp_idx_', indexBytes, fsync).catch(async (e: unknown) => {
      await unlink(tmpPack).catch(() => {});
      throw e;
    });
    return this.installFiles(name, tmpPack, tmpIdx, indexBytes, fsync);
  }

  /**
   * Moves a complete temp pack and its temp index (whose bytes are `indexBytes`) into place as `name`;
   * the temp files are gone either way. A merge written by the merge thread comes in this way, with
   * `merged`: its objects are those of packs of this set, which the id filter holds already.
   */
  async installFiles(
    name: string, tmpPack: string, tmpIdx: string, indexBytes: Uint8Array, fsync: boolean, merged = false,
  ): Promise<PackFile> {
    const existing = this.packs.find((p) => p.name === name);
    if (existing) {
      // The very same objects in the same order were packed before.
      await unlink(tmpPack).catch(() => {});
      await unlink(tmpIdx).catch(() => {});
      return existing;
    }
    const base = join(this.packDir, name);
    try {
      await this.placeFile(tmpPack, `${base}.pack`);
      await this.placeFile(tmpIdx, `${base}.idx`);
    } catch (e) {
      await unlink(tmpPack).catch(() => {});
      await unlink(tmpIdx).catch(() => {});
      throw e;
    }
    if (fsync) await fsyncDir(this.packDir);
    const pack = this.packs.find((p) => p.name === name) ?? this.open(name, indexBytes, undefined, undefined, merged);
    if (!pack) throw new Error(`${base}.pack: written but could not be opened`);
    return pack;
  }

  /** placeSync() for installFiles: a file in tempDir is linked in and its temp name removed; one in the pack directory is renamed. */
  private async placeFile(path: string, target: string): Promise<void> {
    if (dirname(path) === this.packDir || !this.links) return rename(path, target);
    try {
      await link(path, target);
    } catch (e) {
      if (isNotFound(e)) throw e;
      if (errnoCode(e) !== 'EEXIST') {
        this.links = false;
        return rename(path, target);
      }
    }
    await unlink(path).catch(() => {});
  }

  async close(): Promise<void> {
    await this.fresh.close();
    const all = this.packs;
    this.packs = [];
    this.filter = undefined;
    await Promise.all(all.map((p) => p.close()));
  }

  /** Opens `name` and puts it first in the list, or returns undefined (saying why, once) if it cannot. */
  private open(name: string, indexBytes?: Uint8Array, writtenSize?: number, writtenFd?: number, merged = false): PackFile | undefined {
    const idxPath = join(this.packDir, `${name}.idx`);
    const packPath = join(this.packDir, `${name}.pack`);
    let fd: number | undefined = writtenFd;
    try {
      // Like git, opening checks the layout only; verify() (fsck, gc) hashes and orders everything.
      const index = PackIndex.parse(indexBytes ?? readFileSync(idxPath), idxPath);
      fd ??= openSync(packPath, 'r');
      // A pack this process has just written needs no check of what it wrote.
      const size = writtenSize ?? fstatSync(fd).size;
      if (writtenSize === undefined) checkPackMatchesIndex(fd, size, index, packPath);
      const reader = new PackReader({
        index,
        pack: new FileRandomAccess(fd, size, packPath),
        zlib: nodeZlib,
        file: packPath,
        readExternal: this.options.readExternal,
        baseCache: this.bases,
        // Windows of a small pack would hold the whole file for little gain: an eighth of it, up to 4 MiB.
        windowBytes: Math.min(MAX_WINDOW_BYTES, Math.floor(size / 8)),
      });
      const pack = new PackFile(name, packPath, index, reader);
      this.packs.unshift(pack);
      // A merge's ids are in the filter since their packs joined the set: adding them again, on every
      // merge, only filled it towards a rebuild.
      if (!merged) this.filterAdd(pack);
      this.bad.delete(name);
      return pack;
    } catch (e) {
      if (fd !== undefined) closeQuietly(fd);
      // Deleted between readdir and open (a concurrent gc): simply not there any more.
      if (isNotFound(e)) return undefined;
      // Like git, skip a broken pack and carry on with the rest, saying so once.
      const st = statOrUndefined(idxPath);
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
function checkPackMatchesIndex(fd: number, size: number, index: PackIndex, file: string): void {
  const head = Buffer.alloc(12);
  const tail = Buffer.alloc(20);
  if (size < 32) throw new StoreError('corrupt-pack', `${file}: only ${size} bytes`, { file });
  readSync(fd, head, 0, 12, 0);
  readSync(fd, tail, 0, 20, size - 20);
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

/** Bytes gathered before a write to the file: large writes, few system calls. */
const STREAM_CHUNK = 1 << 20;

/**
 * A pack file written front to back as its entries are produced, so that its size never has to fit in
 * memory: the SHA-1 trailer is computed incrementally, the header's object count given up front. The
 * caller tracks offsets (offset is where the next entry goes) and the CRC-32 of each entry it writes.
 * Writes are synchronous, a megabyte at a time: the producer (gc's repack) yields to the event loop
 * between entries, and a thread-pool round trip per write would only add latency.
 */
export class PackStream {
  private fd: number;
  private readonly hash = createHash('sha1');
  private chunks: Uint8Array[] = [];
  private chunkBytes = 0;
  private at = 0;

  constructor(readonly path: string, private readonly count: number) {
    // Read-only like every pack; the descriptor opened here can still write.
    this.fd = openSync(path, 'wx', 0o444);
    const header = new Uint8Array(HEADER_BYTES);
    header.set(PACK_SIGNATURE);
    new DataView(header.buffer).setUint32(4, 2);
    new DataView(header.buffer).setUint32(8, count);
    this.write(header);
  }

  /** Where the next entry starts. */
  get offset(): number {
    return this.at;
  }

  write(bytes: Uint8Array): void {
    if (this.fd < 0) throw new Error(`${this.path}: write after the pack was finished`);
    this.hash.update(bytes);
    this.at += bytes.length;
    this.chunks.push(bytes);
    this.chunkBytes += bytes.length;
    if (this.chunkBytes >= STREAM_CHUNK) this.flush();
  }

  private flush(): void {
    if (this.chunkBytes === 0) return;
    writeAllSync(this.fd, this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.chunkBytes));
    this.chunks = [];
    this.chunkBytes = 0;
  }

  /**
   * Writes the trailer and closes the file; returns the trailer. `count` is how many objects were
   * written: when fewer than announced (a loose object vanished meanwhile), the header is rewritten and
   * the file hashed again from disk.
   */
  async finish(count: number, fsync: boolean): Promise<Uint8Array> {
    this.flush();
    let trailer: Uint8Array = this.hash.digest();
    if (count !== this.count) {
      const patched = Buffer.alloc(4);
      patched.writeUInt32BE(count);
      for (let done = 0; done < 4; ) done += writeSync(this.fd, patched, done, 4 - done, 8 + done);
      trailer = Buffer.from(await hashFile(this.path, this.at), 'hex');
    }
    writeAllSync(this.fd, trailer);
    if (fsync) await flushFd(this.fd);
    const fd = this.fd;
    this.fd = -1;
    closeSync(fd);
    return trailer;
  }

  /** Closes and deletes the unfinished file. */
  abort(): void {
    if (this.fd >= 0) closeQuietly(this.fd);
    this.fd = -1;
    removeQuietly(this.path);
  }
}
