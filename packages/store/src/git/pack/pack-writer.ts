/**
 * Writes a version 2 pack and its version 2 index (gitformat-pack). Optionally deltifies trees and
 * blobs against similar objects of the same type, emitted as OFS_DELTA after their bases.
 */
import { createDelta, DeltaIndex, editDelta, similarityKey } from './delta.js';
import { encodePackIndex, type PackIndexEntry } from './pack-index.js';
import { CODE_BY_TYPE, HEADER_BYTES, MAX_ENTRY_HEADER_BYTES, OFS_DELTA, encodeEntryHeaderInto } from './entry-header.js';
import { PACK_SIGNATURE, TRAILER_BYTES } from './pack-reader.js';
import type { Zlib } from './types.js';
import { fromHex } from '../bytes.js';
import type { ObjectId } from '../id.js';
import { hashObject, type ObjectType, type RawObject, type Sha1 } from '../object.js';
import { storedZlibInto, storedZlibLength } from '../stored-zlib.js';

export interface PackObject extends RawObject {
  /**
   * Optional path hint ("dir/file"). Objects with the same hint are tried as delta bases for each
   * other first, which is how successive versions of one file or directory find each other.
   */
  name?: string;
  /** The object's id when the caller already computed it: trusted, so objects are not hashed twice. */
  id?: ObjectId;
}

export interface WritePackOptions {
  zlib: Zlib;
  sha1: Sha1;
  /** Store trees and blobs as deltas against similar ones when that is smaller (default false). */
  deltas?: boolean;
  /**
   * Without `deltas`: store a tree or blob as a delta against the next object of the batch with the
   * same type and path hint when they differ in one run of bytes (editDelta). No search: this is the
   * write path's case, successive versions of a directory in the commits of one batch.
   */
  successive?: boolean;
  /** How many preceding candidates each object is compared with (default 10). */
  window?: number;
  /** Longest delta chain allowed (default 50): readers pay for depth on every read. */
  depth?: number;
  /** zlib level, 0-9 (default zlib's). */
  level?: number;
  /**
   * Entries (whole objects or deltas) of fewer bytes than this are written as stored zlib streams,
   * without a zlib call (see stored-zlib.ts): for write-path packs, whose small entries cost more to
   * compress than they save. Default 0: everything is compressed.
   */
  storeBelow?: number;
  /**
   * Called now and then, and once at the end of each phase: 'deltas' counts the objects considered
   * for deltas, 'writing' the unique objects written.
   */
  onProgress?: (done: number, total: number, phase?: 'deltas' | 'writing') => void;
}

export interface WrittenPack {
  pack: Uint8Array;
  index: Uint8Array;
  /** The id of each input object, in input order (duplicates repeat; the pack holds each once). */
  ids: ObjectId[];
  /** The pack's trailing SHA-1 as hex; git names the files pack-<checksum>.pack/.idx. */
  checksum: string;
}

interface Unique {
  id: ObjectId;
  type: ObjectType;
  body: Uint8Array;
  name: string | undefined;
}

/** Objects smaller than this are stored whole: a delta could save a few bytes, and costs a base lookup on every read. */
const MIN_DELTA_TARGET = 64;
const PROGRESS_EVERY = 1024;
/** The pack buffer starts at most this big, and doubles as needed: a large import compresses well below its objects' size. */
const FIRST_BUFFER_BYTES = 1 << 20;

/** What a pack of `uniques` takes stored whole (headers, zlib framing, the trailer): deltas and compression mostly make it smaller. */
function estimatePackBytes(uniques: readonly Unique[]): number {
  let bytes = HEADER_BYTES + TRAILER_BYTES;
  for (const u of uniques) bytes += MAX_ENTRY_HEADER_BYTES + storedZlibLength(u.body.length);
  return bytes;
}

export function writePack(objects: readonly PackObject[], options: WritePackOptions): WrittenPack {
  const { zlib, sha1, onProgress } = options;
  const storeBelow = options.storeBelow ?? 0;
  const ids: ObjectId[] = [];
  const uniques: Unique[] = [];
  const seen = new Set<ObjectId>();
  for (const o of objects) {
    const id = o.id ?? hashObject(sha1, o.type, o.body);
    ids.push(id);
    if (!seen.has(id)) {
      seen.add(id);
      uniques.push({ id, type: o.type, body: o.body, name: o.name });
    }
  }
  const n = uniques.length;
  const plan = options.deltas ? planDeltas(uniques, options) : options.successive ? planSuccessive(uniques) : undefined;

  // Entries are written one after another into one buffer (grown by doubling): no array per entry
  // for its header and zlib stream, then a copy of all of them into the pack.
  let out = new Uint8Array(Math.min(FIRST_BUFFER_BYTES, estimatePackBytes(uniques)));
  const room = (extra: number): void => {
    if (offset + extra <= out.length) return;
    const bigger = new Uint8Array(Math.max(2 * out.length, offset + extra));
    bigger.set(out.subarray(0, offset));
    out = bigger;
  };
  out.set(PACK_SIGNATURE);
  const view = new DataView(out.buffer, out.byteOffset, HEADER_BYTES);
  view.setUint32(4, 2);
  view.setUint32(8, n);
  let offset = HEADER_BYTES;
  const offsets = new Float64Array(n).fill(-1);
  const entries: PackIndexEntry[] = [];
  const emit = (u: number): void => {
    const obj = uniques[u]!;
    const base = plan ? plan.base[u]! : -1;
    const data = base >= 0 ? plan!.delta[u]! : obj.body;
    const deflated = data.length < storeBelow ? undefined : zlib.deflate(data, options.level);
    room(MAX_ENTRY_HEADER_BYTES + (deflated ? deflated.length : storedZlibLength(data.length)));
    const start = offset;
    let p = base >= 0
      ? encodeEntryHeaderInto(out, start, OFS_DELTA, data.length, start - offsets[base]!)
      : encodeEntryHeaderInto(out, start, CODE_BY_TYPE[obj.type], data.length);
    if (deflated) {
      out.set(deflated, p);
      p += deflated.length;
    } else {
      p = storedZlibInto(out, p, '', data);
    }
    entries.push({ id: obj.id, offset: start, crc32: zlib.crc32(out.subarray(start, p)) });
    offsets[u] = start;
    offset = p;
    if (plan) plan.delta[u] = undefined; // let memory go as we write
    if (onProgress && entries.length % PROGRESS_EVERY === 0) onProgress(entries.length, n, 'writing');
  };
  // Input order, except that a delta's base (and its base...) is written just before it when not yet written.
  const stack: number[] = [];
  for (let u = 0; u < n; u++) {
    for (let x = u; x >= 0 && offsets[x]! < 0; x = plan ? plan.base[x]! : -1) stack.push(x);
    while (stack.length > 0) emit(stack.pop()!);
  }
  onProgress?.(n, n, 'writing');

  room(TRAILER_BYTES);
  const checksum = sha1(out.subarray(0, offset));
  const trailer = fromHex(checksum);
  out.set(trailer, offset);
  const pack = out.subarray(0, offset + TRAILER_BYTES);
  return { pack, index: encodePackIndex(entries, trailer, sha1), ids, checksum };
}


interface DeltaPlan {
  /** For each unique object, the unique index of its delta base, or -1 when stored whole. */
  base: Int32Array;
  delta: (Uint8Array | undefined)[];
}

/** Smaller successive versions are stored whole: the delta would save little and cost a base lookup on read. */
const MIN_SUCCESSIVE = 512;
/**
 * Longest chain of successive deltas: reading an old version applies every delta up to a whole one (the
 * readers' base cache makes that once), and past the cap an older version starts a new chain.
 */
const SUCCESSIVE_DEPTH = 16;

/**
 * planDeltas' counterpart for `successive`. Each named object is a delta on the next version of its
 * name in the batch, and the last version is whole: as git packs history, the newest version (the one
 * read most, the head's) costs no delta to read, and older ones are reconstructed from newer ones.
 */
function planSuccessive(uniques: readonly Unique[]): DeltaPlan {
  const n = uniques.length;
  const base = new Int32Array(n).fill(-1);
  const depth = new Uint8Array(n);
  const delta: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(n);
  const newer = new Map<string, number>();
  for (let u = n - 1; u >= 0; u--) {
    const o = uniques[u]!;
    if (o.name === undefined || o.body.length < MIN_SUCCESSIVE || (o.type !== 'tree' && o.type !== 'blob')) continue;
    const key = `${o.type} ${o.name}`;
    const b = newer.get(key);
    newer.set(key, u);
    if (b === undefined || depth[b]! >= SUCCESSIVE_DEPTH) continue;
    const d = editDelta(uniques[b]!.body, o.body);
    if (!d) continue;
    base[u] = b;
    depth[u] = depth[b]! + 1;
    delta[u] = d;
  }
  return { base, delta };
}

/** 32-bit FNV-1a of the path hint: an integer sort key that groups objects with the same path. */
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Chooses delta bases like git's sliding window: sort candidates by type, a grouping key and size
 * (largest first, so most deltas remove rather than add), then compare each with the few before it.
 * The grouping key is the path hint's hash when there is one, else a content similarity key (git
 * always knows paths; we often do not, and sorting unrelated objects of similar size together finds
 * almost nothing). Linear in the number of objects times the window; each base's block index is
 * built once and reused while it stays in the window.
 */
function planDeltas(uniques: readonly Unique[], options: WritePackOptions): DeltaPlan {
  const n = uniques.length;
  const windowSize = Math.max(1, options.window ?? 10);
  const maxDepth = Math.max(1, options.depth ?? 50);
  const base = new Int32Array(n).fill(-1);
  const depth = new Uint32Array(n);
  const delta: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(n);

  const order: number[] = [];
  const hashes = new Uint32Array(n);
  for (let u = 0; u < n; u++) {
    const o = uniques[u]!;
    if ((o.type === 'tree' || o.type === 'blob') && o.body.length >= MIN_DELTA_TARGET) {
      order.push(u);
      hashes[u] = o.name === undefined ? similarityKey(o.body) : nameHash(o.name);
    }
  }
  const typeRank = (u: number): number => (uniques[u]!.type === 'tree' ? 0 : 1);
  order.sort((a, b) =>
    typeRank(a) - typeRank(b) || hashes[a]! - hashes[b]! ||
    uniques[b]!.body.length - uniques[a]!.body.length || a - b);

  // Ring buffer of the most recent candidates and their (lazily built) indexes.
  const ring: { u: number; index: DeltaIndex | undefined }[] = [];
  let done = 0;
  for (const t of order) {
    const target = uniques[t]!;
    let best: Uint8Array | undefined;
    let bestBase = -1;
    for (let k = ring.length - 1; k >= 0; k--) {
      const slot = ring[k]!;
      const cand = uniques[slot.u]!;
      if (cand.type !== target.type || depth[slot.u]! >= maxDepth) continue;
      // A delta inserts at least (target - base) bytes; no point when that already exceeds the limit.
      if (cand.body.length < target.body.length * 0.1) continue;
      slot.index ??= new DeltaIndex(cand.body);
      const limit = best ? best.length - 1 : Math.floor(target.body.length * 0.9);
      const d = createDelta(slot.index, target.body, limit);
      if (d) {
        best = d;
        bestBase = slot.u;
        // Little left to gain; the rest of the window would cost more time than it could save bytes.
        if (d.length < target.body.length / 16) break;
      }
    }
    if (best) {
      base[t] = bestBase;
      depth[t] = depth[bestBase]! + 1;
      delta[t] = best;
    }
    ring.push({ u: t, index: undefined });
    if (ring.length > windowSize) ring.shift();
    if (options.onProgress && ++done % PROGRESS_EVERY === 0) options.onProgress(done, order.length, 'deltas');
  }
  options.onProgress?.(order.length, order.length, 'deltas');
  return { base, delta };
}
