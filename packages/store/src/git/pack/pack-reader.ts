/**
 * Reads objects out of a pack (gitformat-pack) through its index, resolving OFS_DELTA and REF_DELTA
 * chains. Pack data is read in chunks through RandomAccess, so one object never costs the whole file.
 */
import { applyDelta } from './delta.js';
import type { PackIndex } from './pack-index.js';
import type { RandomAccess, Zlib } from './types.js';
import { toHex } from '../bytes.js';
import type { ObjectId } from '../id.js';
import { hashObject, type ObjectType, type RawObject, type Sha1 } from '../object.js';
import { StoreError, isStoreError } from '../../errors.js';
import { CODE_BY_TYPE, HEADER_BYTES, OFS_DELTA, REF_DELTA, TYPE_BY_CODE, parseEntryHeader, type EntryHeader } from './entry-header.js';

// Layout constants of pack files, shared with the writer; entry type codes live with the entry header.
export { CODE_BY_TYPE, HEADER_BYTES, OFS_DELTA, REF_DELTA, TYPE_BY_CODE } from './entry-header.js';
/** The SHA-1 of everything before it. */
export const TRAILER_BYTES = 20;
export const PACK_SIGNATURE: readonly number[] = [0x50, 0x41, 0x43, 0x4b];

export interface VerifyOptions {
  /**
   * The SHA-1 (hex) of the pack's first `length` bytes, computed incrementally by whoever can (the
   * disk backend streams the file through node:crypto); without it the pack is read into memory whole.
   */
  contentsHash?: (length: number) => Promise<string>;
}

/** An entry's header as stored, and where its bytes end: what copying it into another pack needs. */
export interface RawEntryHeader {
  offset: number;
  /** Pack type code: 1-4 are whole objects, OFS_DELTA and REF_DELTA are deltas. */
  code: number;
  /** The inflated size the header declares (of the object, or of the delta). */
  size: number;
  /** Bytes of the header, base reference included: the zlib stream starts there. */
  headerLength: number;
  /** Where the next entry (or the trailer) starts. */
  end: number;
  /** OFS_DELTA: the offset of the base's entry; -1 otherwise. */
  baseOffset: number;
  /** REF_DELTA: the base's id. */
  baseId: ObjectId | undefined;
}

/** An entry's exact bytes, header and zlib stream, checked against the index. */
export interface RawEntry extends RawEntryHeader {
  bytes: Uint8Array;
}

/**
 * Raw access to a pack's entries by offset, so that another pack can copy them instead of inflating
 * and compressing again (git's pack reuse). PackReader implements it.
 */
export interface PackEntrySource {
  rawHeader(offset: number): Promise<RawEntryHeader>;
  /**
   * The entry's bytes, or undefined when they fail the index's CRC-32 (version 1 indexes have none:
   * then the stream must inflate to the declared size instead). Throws on a bad offset or I/O error.
   */
  rawEntry(offset: number): Promise<RawEntry | undefined>;
  /** The id of the object whose entry starts at `offset`, or undefined when none does. */
  idAtOffset(offset: number): ObjectId | undefined;
}

export interface PackReaderOptions {
  index: PackIndex;
  pack: RandomAccess;
  zlib: Zlib;
  /** Named in every error, so a corrupt file can be found and removed. */
  file: string;
  /** Resolves REF_DELTA bases that are not in this pack (thin packs); without it they are errors. */
  readExternal?: (id: ObjectId) => Promise<RawObject | undefined>;
  /** Budget of the inflated-delta-base cache, in bytes (default 32 MiB). */
  cacheBytes?: number;
  /** A cache shared with other packs (cacheBytes is then ignored): one budget for a whole repository. */
  baseCache?: BaseCache;
  /** Budget of the cache of raw pack bytes, read in 64 KiB windows (default 4 MiB; 0 reads each entry directly). */
  windowBytes?: number;
}

/** One entry as stored: its header decoded and its zlib stream inflated (an object body or a delta). */
interface Entry {
  offset: number;
  /** Pack type code: 1-4 are whole objects, OFS_DELTA and REF_DELTA are deltas. */
  code: number;
  data: Uint8Array;
  baseOffset: number;
  baseId: ObjectId | undefined;
}

type Header = EntryHeader;

/** Longest possible entry header: type and a size below 2^53, then a 20-byte base id or an offset. */
const MAX_HEADER = 64;
/**
 * Without a window cache, the first read of an entry: most trees, commits and deltas fit, so one read
 * per entry is typical.
 */
const FIRST_READ = 4096;
/** Pack bytes are cached in aligned windows of this size. */
const WINDOW = 64 << 10;
/** No sane chain is this long; a longer one means REF_DELTA entries refer to each other in a cycle. */
const MAX_CHAIN = 10_000;
/** A base bigger than this share of the cache would just evict everything else. */
const MAX_CACHED_SHARE = 4;

/** zlib's deflateBound for its default settings, plus slack: no zlib-made stream of n bytes is longer. */
export function deflateBound(n: number): number {
  return n + Math.floor(n / 4096) + Math.floor(n / 16384) + Math.floor(n / 33554432) + 64;
}

interface CacheNode {
  owner: object;
  offset: number;
  obj: RawObject;
  newer: CacheNode | undefined;
  older: CacheNode | undefined;
}

/**
 * Inflated objects by pack and offset, least recently used dropped first, bounded by total body bytes.
 * One cache may serve all the packs of a repository (PackReaderOptions.baseCache), so that the
 * budget holds for the repository, however many packs it has. Recency is a linked list rather than
 * Map insertion order: moving an entry to the back of a Map takes a delete and re-insert per hit, and
 * the holes that leaves make evicting from the front slow.
 */
export class BaseCache {
  private readonly owners = new Map<object, Map<number, CacheNode>>();
  private newest: CacheNode | undefined;
  private oldest: CacheNode | undefined;
  private bytes = 0;
  constructor(private readonly budget: number) {}

  get(owner: object, offset: number): RawObject | undefined {
    const node = this.owners.get(owner)?.get(offset);
    if (!node) return undefined;
    if (node !== this.newest) {
      this.unlink(node);
      this.pushNewest(node);
    }
    return node.obj;
  }

  set(owner: object, offset: number, obj: RawObject): void {
    if (obj.body.length > this.budget / MAX_CACHED_SHARE) return;
    let map = this.owners.get(owner);
    if (!map) this.owners.set(owner, (map = new Map()));
    if (map.has(offset)) return;
    const node: CacheNode = { owner, offset, obj, newer: undefined, older: undefined };
    map.set(offset, node);
    this.pushNewest(node);
    this.bytes += obj.body.length;
    while (this.bytes > this.budget && this.oldest) this.remove(this.oldest);
  }

  /** Forgets everything cached for `owner` (a pack being closed). */
  drop(owner: object): void {
    const map = this.owners.get(owner);
    if (!map) return;
    for (const node of map.values()) {
      this.unlink(node);
      this.bytes -= node.obj.body.length;
    }
    this.owners.delete(owner);
  }

  private remove(node: CacheNode): void {
    this.unlink(node);
    const map = this.owners.get(node.owner)!;
    map.delete(node.offset);
    if (map.size === 0) this.owners.delete(node.owner);
    this.bytes -= node.obj.body.length;
  }

  private unlink(node: CacheNode): void {
    if (node.newer) node.newer.older = node.older;
    else this.newest = node.older;
    if (node.older) node.older.newer = node.newer;
    else this.oldest = node.newer;
    node.newer = node.older = undefined;
  }

  private pushNewest(node: CacheNode): void {
    node.older = this.newest;
    if (this.newest) this.newest.newer = node;
    else this.oldest = node;
    this.newest = node;
  }
}

/**
 * Aligned windows of the pack file in a small LRU. Entries of one delta chain, and objects written
 * together, tend to lie close to each other; and one read per entry is what costs most (an async
 * file read costs tens of microseconds, inflating a small entry a few). Ranges that cross a window
 * boundary are read directly, uncached.
 */
class PackWindows {
  private readonly map = new Map<number, Promise<Uint8Array>>();
  private readonly pack: RandomAccess;
  private readonly max: number;
  constructor(pack: RandomAccess, budget: number) {
    this.pack = pack;
    this.max = Math.floor(budget / WINDOW);
  }

  /** At least `need` bytes from `offset` (fewer only at the end of the file), often more. */
  async read(offset: number, need: number): Promise<Uint8Array> {
    const start = offset - (offset % WINDOW);
    if (this.max === 0 || offset + need > start + WINDOW) {
      return this.pack.read(offset, Math.min(Math.max(need, FIRST_READ), this.pack.size - offset));
    }
    let window = this.map.get(start);
    if (window) {
      this.map.delete(start); // re-inserted below as most recently used
    } else {
      const loading = this.pack.read(start, Math.min(WINDOW, this.pack.size - start));
      // A failed read must not stay cached; the caller sees the failure through its own await.
      loading.catch(() => {
        if (this.map.get(start) === loading) this.map.delete(start);
      });
      window = loading;
      if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    }
    this.map.set(start, window);
    return (await window).subarray(offset - start);
  }
}

export class PackReader implements PackEntrySource {
  readonly index: PackIndex;
  readonly file: string;
  private readonly pack: RandomAccess;
  private readonly zlib: Zlib;
  private readonly readExternal: ((id: ObjectId) => Promise<RawObject | undefined>) | undefined;
  private readonly cache: BaseCache;
  private readonly windows: PackWindows;
  private readonly options: PackReaderOptions;
  /**
   * Also cache every object read, not only delta bases. Pays off only when reading in pack order
   * (verify), where dependents follow their bases; for other orders it just churns the cache.
   */
  private cacheResults = false;
  /** Entry offsets in pack order, and the index position of each: where entries end, offset -> id. */
  private extents: { offsets: Float64Array; positions: Uint32Array } | undefined;

  constructor(options: PackReaderOptions) {
    this.options = options;
    this.index = options.index;
    this.pack = options.pack;
    this.zlib = options.zlib;
    this.file = options.file;
    this.readExternal = options.readExternal;
    this.cache = options.baseCache ?? new BaseCache(options.cacheBytes ?? 32 << 20);
    this.windows = new PackWindows(options.pack, options.windowBytes ?? 4 << 20);
  }

  has(id: ObjectId): boolean {
    return this.index.has(id);
  }

  /** Bytes of the pack file. */
  get size(): number {
    return this.pack.size;
  }

  /** The pack file's bytes at [offset, offset + length), as stored (no window cache: for one pass). */
  bytes(offset: number, length: number): Promise<Uint8Array> {
    return this.pack.read(offset, length);
  }

  /**
   * A reader of the same pack with read windows of its own (`windowBytes`), for one pass in pack order
   * (a repack): it reads each stretch of the file once, where a reader without windows (a small pack's)
   * would make a read per entry header and another per entry.
   */
  sequential(windowBytes: number): PackReader {
    const r = new PackReader({ ...this.options, baseCache: this.cache, windowBytes });
    r.extents = this.extents;
    return r;
  }

  /**
   * The object, or undefined when this pack does not hold it. Does not re-hash the result (that
   * would double the cost of every read); `verify` does. Bodies are fresh arrays the caller may keep.
   */
  async read(id: ObjectId): Promise<RawObject | undefined> {
    const offset = this.index.find(id);
    if (offset === undefined) return undefined;
    return this.resolve(offset, `object ${id} in ${this.file}`, { id, file: this.file });
  }

  /** The object whose entry starts at `offset` (as listed by the index). */
  async readAt(offset: number): Promise<RawObject> {
    return this.resolve(offset, `${this.file} at offset ${offset}`, { file: this.file, offset });
  }

  async close(): Promise<void> {
    this.cache.drop(this);
    await this.pack.close?.();
  }

  private extentTable(): { offsets: Float64Array; positions: Uint32Array } {
    if (this.extents) return this.extents;
    const n = this.index.count;
    const byPosition = new Float64Array(n);
    for (let i = 0; i < n; i++) byPosition[i] = this.index.offsetAt(i);
    const positions = new Uint32Array(n);
    for (let i = 0; i < n; i++) positions[i] = i;
    positions.sort((a, b) => byPosition[a]! - byPosition[b]!);
    const offsets = new Float64Array(n);
    for (let k = 0; k < n; k++) offsets[k] = byPosition[positions[k]!]!;
    this.extents = { offsets, positions };
    return this.extents;
  }

  /** The rank in pack order of the entry starting at `offset`, or -1 when no entry starts there. */
  private rankAt(offset: number): number {
    const { offsets } = this.extentTable();
    let lo = 0;
    let hi = offsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const v = offsets[mid]!;
      if (v === offset) return mid;
      if (v < offset) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  /** The id of the `rank`th entry in pack order (by offset), as reachability bitmaps number them. */
  idAtRank(rank: number): ObjectId {
    return this.index.idAt(this.extentTable().positions[rank]!);
  }

  /** Where the `rank`th entry in pack order starts: walking a pack in its own order, as a repack does. */
  offsetAtRank(rank: number): number {
    return this.extentTable().offsets[rank]!;
  }

  /** The rank in pack order of the entry starting at `offset`, or -1 when no entry starts there. */
  rankOfOffset(offset: number): number {
    return this.rankAt(offset);
  }

  idAtOffset(offset: number): ObjectId | undefined {
    const k = this.rankAt(offset);
    return k < 0 ? undefined : this.index.idAt(this.extents!.positions[k]!);
  }

  async rawHeader(offset: number): Promise<RawEntryHeader> {
    const { end, where, data } = this.extentOf(offset);
    const chunk = (await this.windows.read(offset, Math.min(MAX_HEADER, end - offset))).subarray(0, end - offset);
    return this.rawHeaderIn(chunk, offset, end, where, data);
  }

  async rawEntry(offset: number): Promise<RawEntry | undefined> {
    const { rank, end, where, data } = this.extentOf(offset);
    const length = end - offset;
    const bytes = (await this.windows.read(offset, length)).subarray(0, length);
    if (bytes.length !== length) throw this.corrupt(where, data, 'entry cut short');
    const entry: RawEntry = { ...this.rawHeaderIn(bytes, offset, end, where, data), bytes };
    const crc = this.index.crc32At(this.extents!.positions[rank]!);
    if (crc !== undefined) return this.zlib.crc32(bytes) >>> 0 === crc ? entry : undefined;
    // No CRC to compare with: the stream must at least inflate to the declared size and fill the entry.
    try {
      const { out, consumed } = this.zlib.inflate(bytes.subarray(entry.headerLength), entry.size);
      return out.length === entry.size && consumed === length - entry.headerLength ? entry : undefined;
    } catch {
      return undefined;
    }
  }

  /** The entry starting at `offset`: its rank in pack order and where it ends. */
  private extentOf(offset: number): { rank: number; end: number; where: string; data: Record<string, unknown> } {
    const where = `${this.file} at offset ${offset}`;
    const data = { file: this.file, offset };
    const rank = this.rankAt(offset);
    if (rank < 0) throw this.corrupt(where, data, 'no entry starts there');
    const { offsets } = this.extents!;
    const end = rank + 1 < offsets.length ? offsets[rank + 1]! : this.dataEnd;
    if (end > this.dataEnd || end <= offset) throw this.corrupt(where, data, `entry ends at ${end}, outside the data`);
    return { rank, end, where, data };
  }

  private rawHeaderIn(chunk: Uint8Array, offset: number, end: number, where: string, data: Record<string, unknown>): RawEntryHeader {
    const header = this.parseHeader(chunk, offset, where, data);
    if (!header) throw this.corrupt(where, data, 'truncated entry header');
    return {
      offset, code: header.code, size: header.size, headerLength: header.length, end,
      baseOffset: header.baseOffset, baseId: header.baseId,
    };
  }

  /** Where entries may lie: after the 12-byte header, before the 20-byte trailer. */
  private get dataEnd(): number {
    return this.pack.size - TRAILER_BYTES;
  }

  /**
   * Walks the delta chain down to a whole object (or a cached one) iteratively, then applies the
   * deltas back up, caching each intermediate result: each is the base of the one above it, and in
   * a deep chain it is likely the base of objects read next.
   */
  private async resolve(
    offset: number, where: string, data: Record<string, unknown>, first?: Entry,
  ): Promise<RawObject> {
    const chain: Entry[] = [];
    let base: RawObject | undefined;
    let fromCache = false;
    let at = offset;
    while (base === undefined) {
      if (chain.length > MAX_CHAIN) throw this.corrupt(where, data, `delta chain longer than ${MAX_CHAIN} (a cycle?)`);
      const cached = this.cache.get(this, at);
      if (cached) {
        base = cached;
        fromCache = chain.length === 0;
        break;
      }
      const entry = first && at === first.offset ? first : await this.readEntry(at, where, data);
      const type = TYPE_BY_CODE[entry.code];
      if (type) {
        base = { type, body: entry.data };
        if (chain.length > 0 || this.cacheResults) this.cache.set(this, at, base);
        break;
      }
      chain.push(entry);
      if (entry.code === OFS_DELTA) {
        at = entry.baseOffset;
        continue;
      }
      const baseId = entry.baseId!;
      const inPack = this.index.find(baseId);
      if (inPack !== undefined) {
        at = inPack;
        continue;
      }
      base = await this.readExternal?.(baseId);
      if (!base) throw this.corrupt(where, data, `delta base ${baseId} (entry at ${entry.offset}) is missing`);
    }
    for (let k = chain.length - 1; k >= 0; k--) {
      const entry = chain[k]!;
      base = { type: base.type, body: applyDelta(base.body, entry.data, `${where}, delta at offset ${entry.offset}`) };
      if (k > 0 || this.cacheResults) this.cache.set(this, entry.offset, base);
    }
    // A cache hit is shared with later reads; the caller gets its own copy.
    return fromCache ? { type: base.type, body: base.body.slice() } : base;
  }

  /** Reads and inflates the entry at `offset`. */
  private async readEntry(offset: number, where: string, data: Record<string, unknown>): Promise<Entry> {
    const end = this.dataEnd;
    const available = end - offset;
    if (!Number.isSafeInteger(offset) || offset < HEADER_BYTES || available <= 0) {
      throw this.corrupt(where, data, `entry offset ${offset} is outside the pack's ${end} data bytes`);
    }
    let chunk = (await this.windows.read(offset, Math.min(MAX_HEADER, available))).subarray(0, available);
    const header = this.parseHeader(chunk, offset, where, data);
    if (!header) throw this.corrupt(where, data, `truncated entry header at offset ${offset}`);
    const bound = Math.min(header.length + deflateBound(header.size), available);
    if (chunk.length < bound) chunk = (await this.windows.read(offset, bound)).subarray(0, available);
    // A stream longer than deflateBound is legal but odd (another encoder): grow a few times, then give
    // up rather than read a huge pack to its end for one corrupt entry.
    const giveUpAt = 4 * bound + (1 << 20);
    for (;;) {
      let out: Uint8Array;
      try {
        out = this.zlib.inflate(chunk.subarray(header.length), header.size).out;
      } catch (e) {
        if (chunk.length < available && chunk.length < giveUpAt) {
          chunk = await this.pack.read(offset, Math.min(chunk.length * 2, available));
          continue;
        }
        throw new StoreError('corrupt-object', `${where}: entry at offset ${offset} does not inflate: ${(e as Error).message}`,
          { ...data, offset }, { cause: e });
      }
      if (out.length !== header.size) {
        throw new StoreError('corrupt-object',
          `${where}: entry at offset ${offset} inflates to ${out.length} bytes, header says ${header.size}`, { ...data, offset });
      }
      return { offset, code: header.code, data: out, baseOffset: header.baseOffset, baseId: header.baseId };
    }
  }

  /** Decodes an entry header, or returns undefined when `chunk` ends inside it. */
  private parseHeader(chunk: Uint8Array, offset: number, where: string, data: Record<string, unknown>): Header | undefined {
    return parseEntryHeader(chunk, 0, offset, (why) => this.corrupt(where, data, why));
  }

  private corrupt(where: string, data: Record<string, unknown>, why: string): StoreError {
    return new StoreError('corrupt-pack', `${where}: ${why}`, { ...data, file: this.file });
  }

  /**
   * Full check of the pack against its index: header signature, version and object count; trailing
   * SHA-1 of the contents, equal to the index's record of it; entries tiling the data exactly;
   * CRC-32 of every entry (v2 indexes); and every object hashing to its id. Throws
   * StoreError('corrupt-pack') naming the file. Reads the whole pack into memory (Sha1 is one-shot).
   */
  async verify(sha1: Sha1, options: VerifyOptions = {}): Promise<void> {
    const fail = (why: string, cause?: unknown): StoreError =>
      new StoreError('corrupt-pack', `${this.file}: ${why}`, { file: this.file }, { cause });
    this.index.verify(sha1);
    const size = this.pack.size;
    if (size < HEADER_BYTES + TRAILER_BYTES) throw fail(`only ${size} bytes`);
    const dataEnd = size - TRAILER_BYTES;
    const head = await this.pack.read(0, HEADER_BYTES);
    for (let i = 0; i < 4; i++) if (head[i] !== PACK_SIGNATURE[i]) throw fail('does not start with "PACK"');
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const version = view.getUint32(4);
    if (version !== 2 && version !== 3) throw fail(`unsupported pack version ${version}`);
    const count = view.getUint32(8);
    if (count !== this.index.count) throw fail(`pack holds ${count} objects, its index ${this.index.count}`);
    const trailer = toHex(await this.pack.read(dataEnd, TRAILER_BYTES));
    // One pass over the file: streamed when the caller can hash incrementally, else read whole.
    const actual = options.contentsHash ? await options.contentsHash(dataEnd) : sha1(await this.pack.read(0, dataEnd));
    if (actual !== trailer) throw fail(`checksum is ${trailer} but contents hash to ${actual}`);
    if (trailer !== this.index.packChecksum) throw fail(`checksum ${trailer} differs from its index's ${this.index.packChecksum}`);

    // Entries in pack order, so each one ends where the next begins. Read through windows and a
    // bounded base cache (deltas mostly follow their bases), so memory does not grow with the pack.
    const order = Array.from({ length: count }, (_, i) => i);
    const offsets = order.map((i) => this.index.offsetAt(i));
    order.sort((a, b) => offsets[a]! - offsets[b]!);
    const reader = new PackReader({ ...this.options, cacheBytes: Math.max(this.options.cacheBytes ?? 0, 64 << 20) });
    reader.cacheResults = true;
    let expected = HEADER_BYTES;
    for (const i of order) {
      const offset = offsets[i]!;
      const id = this.index.idAt(i);
      if (offset !== expected) throw fail(`object ${id} starts at ${offset}, expected ${expected}`);
      try {
        const where = `object ${id} in ${this.file}`;
        const data = { id, file: this.file };
        const first = await reader.windows.read(offset, Math.min(MAX_HEADER, dataEnd - offset));
        const header = reader.parseHeader(first.subarray(0, dataEnd - offset), offset, where, data);
        if (!header) throw fail(`object ${id}: truncated header`);
        const extent = Math.min(header.length + deflateBound(header.size), dataEnd - offset);
        const bytes = (await reader.windows.read(offset, extent)).subarray(0, extent);
        const { out, consumed } = this.zlib.inflate(bytes.subarray(header.length), header.size);
        if (out.length !== header.size) throw fail(`object ${id}: inflates to ${out.length} bytes, header says ${header.size}`);
        expected = offset + header.length + consumed;
        const crc = this.index.crc32At(i);
        if (crc !== undefined && this.zlib.crc32(bytes.subarray(0, header.length + consumed)) >>> 0 !== crc) {
          throw fail(`object ${id}: CRC-32 differs from the index's`);
        }
        const entry: Entry = { offset, code: header.code, data: out, baseOffset: header.baseOffset, baseId: header.baseId };
        const obj = await reader.resolve(offset, where, data, entry);
        const got = hashObject(sha1, obj.type, obj.body);
        if (got !== id) throw fail(`object at offset ${offset} hashes to ${got}, the index says ${id}`);
      } catch (e) {
        if (isStoreError(e, 'corrupt-pack')) throw e;
        throw fail(`object ${id}: ${(e as Error).message}`, e);
      }
    }
    if (expected !== dataEnd) throw fail(`${dataEnd - expected} stray bytes after the last object`);
  }
}
