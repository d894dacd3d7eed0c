/**
 * Pack index files (pack-*.idx, gitformat-pack "version 1" and "version 2"): for every object in a
 * pack, its id and the offset of its entry, sorted by id, with a 256-entry fan-out table on the
 * first id byte so a lookup is a binary search over a small range.
 */
import { fromHex, toHex } from '../bytes.js';
import type { ObjectId } from '../id.js';
import type { Sha1 } from '../object.js';
import { StoreError } from '../../errors.js';
import type { IdFilter } from './id-filter.js';

const ID_BYTES = 20;
const FANOUT_BYTES = 256 * 4;
/** "\377tOc": version 2 indexes start with this, which no version 1 fan-out could (it would claim ~4G objects). */
const V2_MAGIC = 0xff744f63;
/** Offsets with this bit set are indexes into the 64-bit large-offset table (v2). */
const LARGE_FLAG = 0x80000000;

/** Hex digit value by char code, -1 for anything else. */
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = 10 + i;

export interface PackIndexEntry {
  id: ObjectId;
  offset: number;
  crc32: number;
}

export interface ParseIndexOptions {
  /**
   * When given, parse() also runs verify(): every id in order and in its bucket, and the index's own
   * trailing checksum (a hash over the whole file). Opening a pack for reads skips it, as git does.
   */
  sha1?: Sha1;
}

function corrupt(file: string, why: string): StoreError {
  return new StoreError('corrupt-pack', `${file}: bad pack index: ${why}`, { file });
}

/**
 * Writes the 20 bytes of hex id `id` into `out` at `at`; false (those bytes undefined) when `id` is not
 * an object id.
 */
export function idBytes(id: string, out: Uint8Array, at = 0): boolean {
  if (id.length !== 2 * ID_BYTES) return false;
  for (let k = 0; k < ID_BYTES; k++) {
    const hi = NIBBLE[id.charCodeAt(2 * k)] ?? -1;
    const lo = NIBBLE[id.charCodeAt(2 * k + 1)] ?? -1;
    if (hi < 0 || lo < 0) return false;
    out[at + k] = (hi << 4) | lo;
  }
  return true;
}

export class PackIndex {
  readonly file: string;
  readonly version: 1 | 2;
  readonly count: number;
  /** The SHA-1 of the pack this index describes (its trailer), as hex. */
  readonly packChecksum: string;

  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  /** fanout[b] = number of ids whose first byte is <= b. */
  private readonly fanout: Uint32Array;
  private readonly idsAt: number;
  /** v1 interleaves a 4-byte offset before each id; v2 packs ids densely. */
  private readonly idStride: number;
  private readonly offsetsAt: number;
  private readonly crcAt: number;
  private readonly largeAt: number;
  /** The id being looked up, decoded once per find so probes compare bytes, not strings. */
  private readonly probe = new Uint8Array(ID_BYTES);

  private constructor(
    file: string, bytes: Uint8Array, version: 1 | 2, fanout: Uint32Array,
    layout: { idsAt: number; idStride: number; offsetsAt: number; crcAt: number; largeAt: number },
  ) {
    this.file = file;
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.version = version;
    this.fanout = fanout;
    this.count = fanout[255]!;
    this.idsAt = layout.idsAt;
    this.idStride = layout.idStride;
    this.offsetsAt = layout.offsetsAt;
    this.crcAt = layout.crcAt;
    this.largeAt = layout.largeAt;
    this.packChecksum = toHex(bytes, bytes.length - 2 * ID_BYTES, bytes.length - ID_BYTES);
  }

  /**
   * Parses an index, checking what costs no pass over the ids: the header, a size that fits the
   * object count, a monotonic fan-out. verify() checks the rest (offsetAt() checks large offsets as it
   * meets them). Throws StoreError('corrupt-pack') naming `file`.
   */
  static parse(bytes: Uint8Array, file: string, options: ParseIndexOptions = {}): PackIndex {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 8) throw corrupt(file, `only ${bytes.length} bytes`);
    const v2 = view.getUint32(0) === V2_MAGIC;
    let index: PackIndex;
    if (v2) {
      const version = view.getUint32(4);
      if (version !== 2) throw corrupt(file, `unsupported version ${version}`);
      const fanout = readFanout(view, 8, file);
      const n = fanout[255]!;
      const idsAt = 8 + FANOUT_BYTES;
      const crcAt = idsAt + n * ID_BYTES;
      const offsetsAt = crcAt + n * 4;
      const largeAt = offsetsAt + n * 4;
      const largeBytes = bytes.length - largeAt - 2 * ID_BYTES;
      if (largeBytes < 0 || largeBytes % 8 !== 0) {
        throw corrupt(file, `${bytes.length} bytes cannot hold ${n} objects (truncated?)`);
      }
      index = new PackIndex(file, bytes, 2, fanout, { idsAt, idStride: ID_BYTES, offsetsAt, crcAt, largeAt });
    } else {
      const fanout = readFanout(view, 0, file);
      const n = fanout[255]!;
      const expected = FANOUT_BYTES + n * (4 + ID_BYTES) + 2 * ID_BYTES;
      if (bytes.length !== expected) {
        throw corrupt(file, `${bytes.length} bytes where a version 1 index of ${n} objects has ${expected} (truncated?)`);
      }
      const idsAt = FANOUT_BYTES + 4;
      index = new PackIndex(file, bytes, 1, fanout, {
        idsAt, idStride: 4 + ID_BYTES, offsetsAt: FANOUT_BYTES, crcAt: -1, largeAt: -1,
      });
    }
    if (options.sha1) index.verify(options.sha1);
    return index;
  }

  /**
   * The checks parse() leaves out: ids strictly sorted and each in its fan-out bucket, large-offset
   * references in range, and the index's trailing checksum. Throws StoreError('corrupt-pack').
   */
  verify(sha1: Sha1): void {
    this.checkIds();
    if (this.version === 2) {
      const largeCount = (this.bytes.length - this.largeAt - 2 * ID_BYTES) / 8;
      for (let i = 0; i < this.count; i++) {
        const raw = this.view.getUint32(this.offsetsAt + i * 4);
        if (raw & LARGE_FLAG && (raw & ~LARGE_FLAG) >= largeCount) {
          throw corrupt(this.file, `object ${i} refers to large offset ${raw & ~LARGE_FLAG} of ${largeCount}`);
        }
      }
    }
    const actual = sha1(this.bytes.subarray(0, this.bytes.length - ID_BYTES));
    const stored = toHex(this.bytes, this.bytes.length - ID_BYTES);
    if (actual !== stored) throw corrupt(this.file, `checksum is ${stored} but contents hash to ${actual}`);
  }

  /** Every id sits in the fan-out bucket of its first byte, and ids are strictly increasing. */
  private checkIds(): void {
    const { bytes, idsAt, idStride } = this;
    let i = 0;
    for (let b = 0; b < 256; b++) {
      for (const end = this.fanout[b]!; i < end; i++) {
        const at = idsAt + i * idStride;
        if (bytes[at] !== b) throw corrupt(this.file, `object ${i} is outside its fan-out bucket`);
        if (i > 0 && compareAt(bytes, at - idStride, bytes, at) >= 0) {
          throw corrupt(this.file, `object ids are not sorted at ${i}`);
        }
      }
    }
  }

  /** Position of `id` in sorted order, or -1. */
  indexOf(id: ObjectId): number {
    return idBytes(id, this.probe) ? this.indexOfBytes(this.probe) : -1;
  }

  /**
   * indexOf for an id already turned into bytes by idBytes: a lookup across many packs parses the hex
   * once, not once per pack (a group commit checks each new object against every pack).
   */
  indexOfBytes(probe: Uint8Array): number {
    const first = probe[0]!;
    let lo = first === 0 ? 0 : this.fanout[first - 1]!;
    let hi = this.fanout[first]!;
    const { bytes, idsAt, idStride } = this;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = idsAt + mid * idStride;
      // The first byte is equal within a bucket, so compare from the second.
      let c = 0;
      for (let k = 1; k < ID_BYTES; k++) {
        c = probe[k]! - bytes[at + k]!;
        if (c !== 0) break;
      }
      if (c === 0) return mid;
      if (c < 0) hi = mid;
      else lo = mid + 1;
    }
    return -1;
  }

  /** The pack offset of the object's entry, or undefined when the pack does not hold it. */
  find(id: ObjectId): number | undefined {
    const i = this.indexOf(id);
    return i < 0 ? undefined : this.offsetAt(i);
  }

  has(id: ObjectId): boolean {
    return this.indexOf(id) >= 0;
  }

  idAt(i: number): ObjectId {
    const at = this.idsAt + i * this.idStride;
    return toHex(this.bytes, at, at + ID_BYTES);
  }

  offsetAt(i: number): number {
    if (this.version === 1) return this.view.getUint32(this.offsetsAt + i * (4 + ID_BYTES));
    const raw = this.view.getUint32(this.offsetsAt + i * 4);
    if ((raw & LARGE_FLAG) === 0) return raw;
    const at = this.largeAt + (raw & ~LARGE_FLAG) * 8;
    if (at + 8 > this.bytes.length - 2 * ID_BYTES) {
      throw corrupt(this.file, `object ${i} refers to a large offset past the table`);
    }
    const high = this.view.getUint32(at);
    if (high >= 0x200000) throw corrupt(this.file, `object ${i} has an offset past 2^53`);
    return high * 0x100000000 + this.view.getUint32(at + 4);
  }

  /** The CRC-32 of the object's packed bytes (v2 only; v1 indexes have none). */
  crc32At(i: number): number | undefined {
    return this.version === 1 ? undefined : this.view.getUint32(this.crcAt + i * 4);
  }

  /** Adds every id of this index to `filter`. */
  addIdsTo(filter: IdFilter): void {
    for (let i = 0, at = this.idsAt; i < this.count; i++, at += this.idStride) filter.addAt(this.bytes, at);
  }

  /** Writes the id of entry `i` into `out` at `at` (no view made, unlike idBytesAt). */
  copyIdInto(i: number, out: Uint8Array, at: number): void {
    const from = this.idsAt + i * this.idStride;
    for (let k = 0; k < ID_BYTES; k++) out[at + k] = this.bytes[from + k]!;
  }

  /** The id of entry `i` as its 20 bytes (a view into the index). */
  idBytesAt(i: number): Uint8Array {
    const at = this.idsAt + i * this.idStride;
    return this.bytes.subarray(at, at + ID_BYTES);
  }

  *ids(): Iterable<ObjectId> {
    for (let i = 0; i < this.count; i++) yield this.idAt(i);
  }

  /** The ids starting with `prefix` (lowercase hex, at least two digits), in order. */
  idsWithPrefix(prefix: string): ObjectId[] {
    const first = parseInt(prefix.slice(0, 2), 16);
    if (!/^[0-9a-f]{2,40}$/.test(prefix) || Number.isNaN(first)) return [];
    const out: ObjectId[] = [];
    // Ids of one bucket share their first byte; a bucket is small (count / 256), so a scan is enough.
    for (let i = first === 0 ? 0 : this.fanout[first - 1]!; i < this.fanout[first]!; i++) {
      const id = this.idAt(i);
      if (id.startsWith(prefix)) out.push(id);
      else if (id > prefix) break;
    }
    return out;
  }
}

function readFanout(view: DataView, at: number, file: string): Uint32Array {
  if (view.byteLength < at + FANOUT_BYTES + 2 * ID_BYTES) throw corrupt(file, `only ${view.byteLength} bytes`);
  const fanout = new Uint32Array(256);
  let prev = 0;
  for (let b = 0; b < 256; b++) {
    const v = view.getUint32(at + b * 4);
    if (v < prev) throw corrupt(file, `fan-out decreases at ${b}`);
    fanout[b] = prev = v;
  }
  return fanout;
}

function compareAt(a: Uint8Array, ai: number, b: Uint8Array, bi: number): number {
  for (let k = 0; k < ID_BYTES; k++) {
    const c = a[ai + k]! - b[bi + k]!;
    if (c !== 0) return c;
  }
  return 0;
}

function writeHex(out: Uint8Array, at: number, hex: string): void {
  if (!idBytes(hex, out, at)) throw new TypeError(`not an object id: ${hex}`);
}

/**
 * A version 2 index for a pack whose trailer is `packChecksum` (20 bytes). Entries may come in any
 * order; ids must be unique. Offsets of 2^31 and more go to the large-offset table, as git requires.
 */
export function encodePackIndex(entries: readonly PackIndexEntry[], packChecksum: Uint8Array, sha1: Sha1): Uint8Array {
  const builder = new PackIndexBuilder(entries.length);
  for (const e of entries) builder.add(e.id, e.offset, e.crc32);
  return builder.encode(packChecksum, sha1);
}

/**
 * A pack's (id, offset, CRC-32) list in typed arrays, about 36 bytes an object whatever the pack's
 * size (a repack of millions of objects must not hold an object per entry), encoded as a version 2
 * index once the pack's trailer is known.
 */
export class PackIndexBuilder {
  private readonly ids: Uint8Array;
  private readonly offsets: Float64Array;
  private readonly crcs: Uint32Array;
  private n = 0;

  constructor(capacity: number) {
    this.ids = new Uint8Array(capacity * ID_BYTES);
    this.offsets = new Float64Array(capacity);
    this.crcs = new Uint32Array(capacity);
  }

  get length(): number {
    return this.n;
  }

  add(id: ObjectId | Uint8Array, offset: number, crc32: number): void {
    const at = this.nextIdAt(offset);
    if (typeof id === 'string') writeHex(this.ids, at, id);
    else this.ids.set(id.length === ID_BYTES ? id : id.subarray(0, ID_BYTES), at);
    this.push(offset, crc32);
  }

  /** add() of entry `i` of `index`, its id copied from the index's bytes (a merge adds every entry of its packs). */
  addFrom(index: PackIndex, i: number, offset: number, crc32: number): void {
    index.copyIdInto(i, this.ids, this.nextIdAt(offset));
    this.push(offset, crc32);
  }

  /** Where the next entry's id goes, once there is room for it and `offset` is one. */
  private nextIdAt(offset: number): number {
    if (this.n >= this.offsets.length) throw new RangeError('pack index: more entries than its capacity');
    if (!Number.isSafeInteger(offset) || offset < 0) throw new TypeError(`bad pack offset ${offset}`);
    return this.n * ID_BYTES;
  }

  /** Completes the entry whose id was just written. */
  private push(offset: number, crc32: number): void {
    this.offsets[this.n] = offset;
    this.crcs[this.n] = crc32 >>> 0;
    this.n++;
  }

  /** An id added twice, if any: a pack may not hold one object in two entries. */
  firstDuplicate(): ObjectId | undefined {
    const { order, compare } = this.sorted();
    for (let i = 1; i < order.length; i++) {
      if (compare(order[i - 1]!, order[i]!) === 0) return toHex(this.ids, order[i]! * ID_BYTES, (order[i]! + 1) * ID_BYTES);
    }
    return undefined;
  }

  /** The entries in id order (a permutation), and the comparison of two entries by id; kept until the next add(). */
  private sorted(): { order: Uint32Array; compare: (a: number, b: number) => number } {
    if (this.sortCache?.order.length === this.n) return this.sortCache;
    const { ids, n } = this;
    // Sorted by id through a permutation, compared on the first four bytes as one number first.
    const order = new Uint32Array(n);
    const lead = new Uint32Array(n);
    const idView = new DataView(ids.buffer, ids.byteOffset, ids.byteLength);
    for (let i = 0; i < n; i++) {
      order[i] = i;
      lead[i] = idView.getUint32(i * ID_BYTES);
    }
    const compare = (a: number, b: number): number => {
      if (lead[a] !== lead[b]) return lead[a]! < lead[b]! ? -1 : 1;
      for (let k = 4; k < ID_BYTES; k++) {
        const d = ids[a * ID_BYTES + k]! - ids[b * ID_BYTES + k]!;
        if (d !== 0) return d;
      }
      return 0;
    };
    order.sort(compare);
    this.sortCache = { order, compare };
    return this.sortCache;
  }

  private sortCache: { order: Uint32Array; compare: (a: number, b: number) => number } | undefined;

  encode(packChecksum: Uint8Array, sha1: Sha1): Uint8Array {
    if (packChecksum.length !== ID_BYTES) throw new TypeError(`pack checksum must be ${ID_BYTES} bytes`);
    const { ids, n } = this;
    const { order, compare } = this.sorted();
    let large = 0;
    for (let i = 0; i < n; i++) if (this.offsets[i]! >= LARGE_FLAG) large++;
    const idsAt = 8 + FANOUT_BYTES;
    const crcAt = idsAt + n * ID_BYTES;
    const offsetsAt = crcAt + n * 4;
    const largeAt = offsetsAt + n * 4;
    const sumAt = largeAt + large * 8;
    const out = new Uint8Array(sumAt + 2 * ID_BYTES);
    const view = new DataView(out.buffer);
    view.setUint32(0, V2_MAGIC);
    view.setUint32(4, 2);
    const counts = new Uint32Array(256);
    let nextLarge = 0;
    for (let i = 0; i < n; i++) {
      const u = order[i]!;
      if (i > 0 && compare(order[i - 1]!, u) === 0) {
        const id = toHex(ids, u * ID_BYTES, (u + 1) * ID_BYTES);
        throw new StoreError('corrupt-pack', `object ${id} appears twice in one pack`, { id });
      }
      // A loop, not out.set(ids.subarray(...)): a view per entry was most of what a merge allocated.
      for (let k = 0, from = u * ID_BYTES, to = idsAt + i * ID_BYTES; k < ID_BYTES; k++) out[to + k] = ids[from + k]!;
      counts[ids[u * ID_BYTES]!]!++;
      view.setUint32(crcAt + i * 4, this.crcs[u]!);
      const offset = this.offsets[u]!;
      if (offset < LARGE_FLAG) {
        view.setUint32(offsetsAt + i * 4, offset);
      } else {
        view.setUint32(offsetsAt + i * 4, (LARGE_FLAG | nextLarge) >>> 0);
        view.setUint32(largeAt + nextLarge * 8, Math.floor(offset / 0x100000000));
        view.setUint32(largeAt + nextLarge * 8 + 4, offset % 0x100000000);
        nextLarge++;
      }
    }
    let total = 0;
    for (let b = 0; b < 256; b++) view.setUint32(8 + b * 4, (total += counts[b]!));
    out.set(packChecksum, sumAt);
    out.set(fromHex(sha1(out.subarray(0, sumAt + ID_BYTES))), sumAt + ID_BYTES);
    return out;
  }
}
