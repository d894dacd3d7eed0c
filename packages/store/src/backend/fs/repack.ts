// Repack for gc, as `git repack -a -d` does it: old packs and loose objects into one new pack, written
// to disk as it is produced, copying what the old packs already hold. A whole entry is copied byte for
// byte; a delta whose base goes into the new pack too is copied with its base reference rewritten (the
// delta search git or an earlier gc paid for is kept). Only objects that are not deltas yet (loose ones,
// and whole trees and blobs that no stored delta builds on: a write-path pack has only those) are read
// and searched for deltas, a bounded batch at a time. Memory stays bounded whatever the repository's
// size: a few typed arrays by pack rank (bytes per object), the batch, the readers' caches.
//
// Every entry copied is checked against its index's CRC-32 (PackReader.rawEntry); a mismatch fails the
// repack naming the object and pack, before gc deletes anything (the temp file is removed).
import { StoreError } from '../../errors.js';
import type { ObjectId } from '../../git/id.js';
import type { ObjectType } from '../../git/object.js';
import { CODE_BY_TYPE, HEADER_BYTES, OFS_DELTA, REF_DELTA, TYPE_BY_CODE, encodeEntryHeader } from '../../git/pack/entry-header.js';
import { PackIndex, PackIndexBuilder } from '../../git/pack/pack-index.js';
import { TRAILER_BYTES, type RawEntry } from '../../git/pack/pack-reader.js';
import { similarityKey } from '../../git/pack/delta.js';
import { unstoredZlib } from '../../git/stored-zlib.js';
import { writePack, type PackObject } from '../../git/pack/pack-writer.js';
import { yieldIfBusy } from './fairness.js';
import { nodeSha1 } from './hash.js';
import type { LooseObjects } from './loose-objects.js';
import type { PackFile, PackSet, PackStream } from './packs.js';
import { nodeZlib } from './zlib.js';

/** How the objects of a repack went into the new pack. */
export interface RepackStats {
  /** Whole entries copied byte for byte. */
  reusedWhole: number;
  /** Deltas copied as deltas (base reference rewritten). */
  reusedDeltas: number;
  /** Objects the batch delta search stored as new deltas. */
  newDeltas: number;
  /** Objects compressed anew and stored whole (searched without a match, or a delta whose base was not at hand). */
  writtenWhole: number;
}

export interface RepackOptions {
  fsync: boolean;
  onProgress?: (msg: string) => void;
  /**
   * Delta search batch, in objects and in bytes of bodies held: what bounds gc's memory. A few thousand
   * objects find most of what a global search would, since similar objects sort next to each other.
   */
  batchObjects?: number;
  batchBytes?: number;
  /**
   * Smallest tree or blob searched for a delta (default 64 bytes); smaller ones, and whole entries
   * copied from a pack, are copied as they are. Merges of small packs set it higher: they run beside
   * the service, and would otherwise search the same small objects again at every merge.
   */
  minDeltaTarget?: number;
  /**
   * Packs whose whole entries were searched for deltas already (merges made them): those are copied
   * as they are, so that an object no delta was found for is not searched again at every merge.
   */
  searched?: (pack: PackFile) => boolean;
  /**
   * Compress entries copied from a pack that are stored uncompressed (the small entries of group
   * commits; see STORE_BELOW in packs.ts): gc and compaction do, merges do not (default false).
   */
  compress?: boolean;
}

/** Objects smaller than this are stored whole (as writePack does): a delta saves little and costs a lookup per read. */
const MIN_DELTA_TARGET = 64;
/** Longest chain of copied deltas: git writes none deeper (pack-objects caps --depth at 4095). */
const MAX_DEPTH = 4095;
/** What writePack may put below an object it deltifies (its default depth). */
const WRITTEN_DEPTH = 50;
const DEFAULT_BATCH_OBJECTS = 4096;
const DEFAULT_BATCH_BYTES = 32 << 20;
/** PackState.newOffset before the object is written, and while it waits in the delta search batch. */
const NOT_WRITTEN = -1;
const QUEUED = -2;
/** A loose object deleted while gc ran (another gc packed it): not in the new pack. */
const GONE = -3;

/** Per old pack, by rank in pack order: where each object went in the new pack. */
interface PackState {
  pack: PackFile;
  /** New offset; NOT_WRITTEN (also when an earlier pack supplies the object) or QUEUED before it is written. */
  newOffset: Float64Array;
  crc: Uint32Array;
  /** Delta depth in the new pack. */
  depth: Uint16Array;
  /** 1 when this pack supplies the object (the first pack holding an id does). */
  mine: Uint8Array;
}

interface Pending {
  obj: PackObject & { id: ObjectId };
  /** The pack state it belongs to, or undefined for a loose object. */
  state: PackState | undefined;
  /** Its rank there, or its position in the loose list. */
  slot: number;
}

/**
 * Writes every object of `packs` (each id once: the first pack holding it supplies it) and every id
 * of `looseIds` (which no pack should hold) into one new pack, installed into `set`. Throws, leaving
 * nothing behind, when an entry fails its CRC or cannot be read.
 */
export async function repackAll(
  set: PackSet, packs: readonly PackFile[], loose: LooseObjects, looseIds: readonly ObjectId[], options: RepackOptions,
): Promise<{ pack: PackFile; count: number; stats: RepackStats }> {
  const say = options.onProgress ?? (() => {});
  const batchObjects = options.batchObjects ?? DEFAULT_BATCH_OBJECTS;
  const batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
  const minDelta = options.minDeltaTarget ?? MIN_DELTA_TARGET;
  const stats: RepackStats = { reusedWhole: 0, reusedDeltas: 0, newDeltas: 0, writtenWhole: 0 };

  // Which pack supplies each id, decided before the header (it holds the count) is written.
  const states: PackState[] = [];
  let count = looseIds.length;
  for (let p = 0; p < packs.length; p++) {
    const pack = packs[p]!;
    const n = pack.index.count;
    const mine = new Uint8Array(n);
    for (let r = 0; r < n; r++) {
      const id = pack.idAtRank(r);
      let earlier = false;
      for (let q = 0; q < p && !earlier; q++) earlier = packs[q]!.has(id);
      if (!earlier) {
        mine[r] = 1;
        count++;
      }
    }
    states.push({ pack, newOffset: new Float64Array(n).fill(NOT_WRITTEN), crc: new Uint32Array(n), depth: new Uint16Array(n), mine });
  }
  const looseOffset = new Float64Array(looseIds.length).fill(-1);
  const looseCrc = new Uint32Array(looseIds.length);

  const stream = set.createStream(count);
  let written = 0;
  let table: PackIndexBuilder;
  try {
    let batch: Pending[] = [];
    let held = 0;
    const record = (state: PackState | undefined, slot: number, offset: number, crc: number, depth: number): void => {
      written++;
      if (state) {
        state.newOffset[slot] = offset;
        state.crc[slot] = crc;
        state.depth[slot] = depth;
      } else {
        looseOffset[slot] = offset;
        looseCrc[slot] = crc;
      }
    };
    const flush = (): void => {
      if (batch.length === 0) return;
      const pending = batch;
      batch = [];
      held = 0;
      const built = writePack(pending.map((b) => b.obj), { zlib: nodeZlib, sha1: nodeSha1, deltas: true });
      const index = PackIndex.parse(built.index, 'delta search batch');
      const start = stream.offset - HEADER_BYTES;
      let deltas = 0;
      for (const b of pending) {
        const i = index.indexOf(b.obj.id);
        const at = index.offsetAt(i);
        const isDelta = ((built.pack[at]! >> 4) & 7) === OFS_DELTA;
        if (isDelta) deltas++;
        record(b.state, b.slot, start + at, index.crc32At(i)!, isDelta ? WRITTEN_DEPTH : 0);
      }
      stats.newDeltas += deltas;
      stats.writtenWhole += pending.length - deltas;
      // OFS_DELTA distances inside the batch stay valid: its entries are copied as one contiguous run.
      stream.write(built.pack.subarray(HEADER_BYTES, built.pack.length - TRAILER_BYTES));
      say(`gc: delta search: ${pending.length} objects, ${deltas} new deltas`);
    };
    const queue = (obj: Pending['obj'], state: PackState | undefined, slot: number): void => {
      batch.push({ obj, state, slot });
      if (state) state.newOffset[slot] = QUEUED;
      held += obj.body.length;
      if (batch.length >= batchObjects || held >= batchBytes) flush();
    };

    for (let p = 0; p < states.length; p++) {
      const state = states[p]!;
      say(`gc: copying ${state.pack.path} (${state.pack.index.count} objects)`);
      // The batch carries over from pack to pack, so that objects of many small packs (the write path
      // makes one per batch) are searched together; copyPack flushes it early if a delta needs a base in it.
      const search = options.searched?.(state.pack) ? Infinity : minDelta;
      await copyPack(state, states.slice(0, p), stream, stats, record, queue, flush, search, options.compress ?? false);
    }
    // Loose objects come listed by id, an order that puts no similar objects together. A first pass
    // writes commits and tags (never deltified) and notes a sort key of each tree and blob; the second
    // reads those again in key order, so each batch holds likely delta pairs, as one search over all
    // would have found them.
    const key = new Uint32Array(looseIds.length);
    const size = new Float64Array(looseIds.length);
    const searchable: number[] = [];
    for (let k = 0; k < looseIds.length; k++) {
      const id = looseIds[k]!;
      // Synchronous reads (see loose-objects.ts), letting the event loop turn between them.
      await yieldIfBusy();
      // Read and hash-checked: a corrupt object fails gc here, before anything is deleted.
      const o = await loose.read(id);
      if (!o) looseOffset[k] = GONE;
      else if ((o.type === 'tree' || o.type === 'blob') && o.body.length >= minDelta) {
        key[k] = ((o.type === 'tree' ? 0 : 0x80000000) | (similarityKey(o.body) >>> 1)) >>> 0;
        size[k] = o.body.length;
        searchable.push(k);
      } else {
        writeWhole(stream, o.type, o.body, (crc) => record(undefined, k, stream.offset, crc, 0));
        stats.writtenWhole++;
      }
    }
    searchable.sort((a, b) => key[a]! - key[b]! || size[b]! - size[a]!);
    for (const k of searchable) {
      const id = looseIds[k]!;
      await yieldIfBusy();
      const o = await loose.read(id);
      if (o) queue({ id, type: o.type, body: o.body }, undefined, k);
      else looseOffset[k] = GONE; // gone meanwhile (another gc packed it): not in this pack
    }
    flush();
    if (written !== count - looseOffset.filter((x) => x === GONE).length) {
      throw new Error(`repack wrote ${written} objects, expected ${count}`);
    }
    // The index from typed arrays (36 bytes an object) rather than an array of entry objects with hex
    // ids (several times that, in the JS heap), which for millions of objects would be gc's largest cost.
    table = new PackIndexBuilder(written);
    for (const s of states) {
      for (let r = 0; r < s.mine.length; r++) if (s.mine[r]) table.add(s.pack.idAtRank(r), s.newOffset[r]!, s.crc[r]!);
    }
    for (let k = 0; k < looseIds.length; k++) if (looseOffset[k]! >= 0) table.add(looseIds[k]!, looseOffset[k]!, looseCrc[k]!);
  } catch (e) {
    stream.abort();
    throw e;
  }
  const index = table;
  // finishStream cleans up after itself.
  const pack = await set.finishStream(stream, index.length, (trailer) => index.encode(trailer, nodeSha1), options.fsync);
  say(`gc: reused ${stats.reusedWhole} whole entries and ${stats.reusedDeltas} deltas; ${stats.newDeltas} new deltas; ${stats.writtenWhole} written whole`);
  return { pack, count: index.length, stats };
}

/**
 * One old pack in pack order (OFS_DELTA bases precede their deltas there). A first pass over the entry
 * headers finds which entries are delta bases: those are copied, never re-deltified, so the deltas built
 * on them stay valid whatever happens to other objects.
 */
async function copyPack(
  state: PackState, earlier: readonly PackState[], stream: PackStream, stats: RepackStats,
  record: (state: PackState, slot: number, offset: number, crc: number, depth: number) => void,
  queue: (obj: Pending['obj'], state: PackState, slot: number) => void,
  flush: () => void,
  minDelta: number,
  compress: boolean,
): Promise<void> {
  const { pack, mine } = state;
  const n = pack.index.count;
  const raw = pack.sequential();
  const baseRank = new Int32Array(n).fill(-1);
  const isBase = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    await yieldIfBusy();
    const h = await raw.rawHeader(pack.offsetAtRank(r));
    let b = -1;
    if (h.code === OFS_DELTA) b = pack.rankOfOffset(h.baseOffset);
    else if (h.code === REF_DELTA) {
      const at = pack.offsetOf(h.baseId!);
      if (at !== undefined) b = pack.rankOfOffset(at);
    }
    if (b >= 0 && b !== r) {
      baseRank[r] = b;
      isBase[b] = 1;
    }
  }

  // Where the base at rank b of this pack went, and its depth: here, or from the earlier pack that supplied it.
  // A base still queued for the delta search is written first (with the rest of the batch).
  const placed = (b: number): { offset: number; depth: number } | undefined => {
    let s: PackState | undefined;
    let rank = b;
    if (mine[b]) s = state;
    else {
      const id = pack.idAtRank(b);
      for (const e of earlier) {
        const at = e.pack.offsetOf(id);
        if (at === undefined) continue;
        s = e;
        rank = e.pack.rankOfOffset(at);
        break;
      }
    }
    if (!s) return undefined;
    if (s.newOffset[rank] === QUEUED) flush();
    return s.newOffset[rank]! >= 0 ? { offset: s.newOffset[rank]!, depth: s.depth[rank]! } : undefined;
  };

  for (let r = 0; r < n; r++) {
    if (!mine[r]) continue;
    await yieldIfBusy();
    const offset = pack.offsetAtRank(r);
    const id = pack.idAtRank(r);
    const e = await raw.rawEntry(offset);
    if (!e) {
      throw new StoreError('corrupt-pack', `${pack.path}: object ${id} (entry at offset ${offset}) fails its CRC-32 check; gc changed nothing`, { id, file: pack.path, offset });
    }
    const type = TYPE_BY_CODE[e.code];
    if (type) {
      if ((type === 'tree' || type === 'blob') && !isBase[r] && e.size >= minDelta) {
        queue({ id, type, body: inflateEntry(e, pack, id) }, state, r);
        continue;
      }
      const stored = compress ? unstoredZlib(e.bytes.subarray(e.headerLength)) : undefined;
      if (stored) {
        writeEntry(stream, encodeEntryHeader(e.code, e.size), stored, (crc) => record(state, r, stream.offset, crc, 0));
        stats.writtenWhole++;
        continue;
      }
      record(state, r, stream.offset, pack.index.crc32At(pack.index.indexOf(id)) ?? nodeZlib.crc32(e.bytes), 0);
      stream.write(e.bytes);
      stats.reusedWhole++;
      continue;
    }
    const base = baseRank[r]! >= 0 ? placed(baseRank[r]!) : undefined;
    if (base && base.depth < MAX_DEPTH) {
      const head = encodeEntryHeader(OFS_DELTA, e.size, stream.offset - base.offset);
      const rest = e.bytes.subarray(e.headerLength);
      const stored = compress ? unstoredZlib(rest) : undefined;
      if (stored) {
        writeEntry(stream, head, stored, (crc) => record(state, r, stream.offset, crc, base.depth + 1));
      } else {
        record(state, r, stream.offset, nodeZlib.crc32(rest, nodeZlib.crc32(head)), base.depth + 1);
        stream.write(head);
        stream.write(rest);
      }
      stats.reusedDeltas++;
      continue;
    }
    // Its base is not written yet (a REF_DELTA to a later entry) or not in this pack: stored whole.
    const o = await pack.read(id);
    if (!o) throw new StoreError('corrupt-pack', `${pack.path}: object ${id} listed in its index cannot be read`, { id, file: pack.path });
    writeWhole(stream, o.type, o.body, (crc) => record(state, r, stream.offset, crc, 0));
    stats.writtenWhole++;
  }
}

function inflateEntry(e: RawEntry, pack: PackFile, id: ObjectId): Uint8Array {
  const fail = (why: string): StoreError =>
    new StoreError('corrupt-pack', `${pack.path}: object ${id} (entry at offset ${e.offset}): ${why}`, { id, file: pack.path, offset: e.offset });
  let out: Uint8Array;
  try {
    out = nodeZlib.inflate(e.bytes.subarray(e.headerLength), e.size).out;
  } catch (err) {
    throw fail(`cannot inflate: ${(err as Error).message}`);
  }
  if (out.length !== e.size) throw fail(`inflates to ${out.length} bytes, its header says ${e.size}`);
  return out;
}

/** An object compressed anew and stored whole; `onStart` gets the entry's CRC before any of it is written. */
function writeWhole(stream: PackStream, type: ObjectType, body: Uint8Array, onStart: (crc: number) => void): void {
  writeEntry(stream, encodeEntryHeader(CODE_BY_TYPE[type], body.length), body, onStart);
}

/** An entry: its header, then `content` (an object's body or a delta) compressed. */
function writeEntry(stream: PackStream, head: Uint8Array, content: Uint8Array, onStart: (crc: number) => void): void {
  const data = nodeZlib.deflate(content);
  onStart(nodeZlib.crc32(data, nodeZlib.crc32(head)));
  stream.write(head);
  stream.write(data);
}

