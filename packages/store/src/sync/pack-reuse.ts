// Pack reuse: a pack for a peer copies what our packs already hold, as git's pack-objects does. A
// whole object's entry is copied as it is; a delta whose base also goes (or, in a thin pack, that the
// peer has) is copied as a delta with only its base reference rewritten. Reading every object
// (inflate, delta resolution), searching deltas again and deflating is left to what cannot be copied:
// loose objects, deltas whose base stays behind, entries failing their CRC-32.
import type { ObjectStore } from '../backend/types.js';
import { StoreError } from '../errors.js';
import { concat, fromHex } from '../git/bytes.js';
import type { ObjectId } from '../git/id.js';
import { PackIndex } from '../git/pack/pack-index.js';
import {
  CODE_BY_TYPE, HEADER_BYTES, OFS_DELTA, PACK_SIGNATURE, REF_DELTA, TRAILER_BYTES, type RawEntry,
} from '../git/pack/pack-reader.js';
import { encodeEntryHeader } from '../git/pack/entry-header.js';
import { writePack, type PackObject } from '../git/pack/pack-writer.js';
import { packZlib, PIECE, type BuildPackOptions, type SendObject } from './send-objects.js';

/** What a pack build copied and what it wrote the normal way. */
export interface ReuseStats {
  /** Whole objects whose stored entry was copied. */
  whole: number;
  /** Deltas copied as deltas, their base in the same pack. */
  deltas: number;
  /** Deltas copied against a base the peer has (thin pack). */
  thin: number;
  /** Objects read and compressed anew: loose ones, deltas whose base is not sent, fallbacks. */
  written: number;
  /** Entries whose bytes did not match the index's CRC-32: written anew instead. */
  badCrc: number;
}

export function emptyReuseStats(): ReuseStats {
  return { whole: 0, deltas: 0, thin: 0, written: 0, badCrc: 0 };
}

export interface ReusingPackOptions extends Omit<BuildPackOptions, 'onProgress'> {
  /** Where objects are read, and (through packedEntry) where their stored entries are found. */
  store: ObjectStore;
  /** The peer takes OFS_DELTA; without it, copied deltas name their base by id (REF_DELTA). */
  ofsDelta: boolean;
  /** Given for a thin pack: a copied delta may refer to a base the peer has instead of one sent. */
  peerHas?: (id: ObjectId) => boolean;
  /** Filled in as the pack is built (complete once the stream ends). */
  stats?: ReuseStats;
}

/**
 * Longest chain of copied deltas. Chains copied from one pack are never longer than they were there;
 * this bounds chains that join across packs. git itself writes no deeper chains (pack-objects caps
 * --depth at 4095).
 */
const MAX_DEPTH = 4095;
/** What a written (not copied) object may add below a copied delta: writePack's default depth. */
const WRITTEN_DEPTH = 50;
/** Copied entries are gathered into chunks of about this size before they are sent. */
const CHUNK_BYTES = 1 << 20;

/** How an object goes into the pack. */
const WRITE = 0;
const WHOLE = 1;
const DELTA = 2;
const THIN = 3;

/** An object on its way out: its stored entry (unless written anew) and how it goes. */
interface Step {
  u: number;
  kind: number;
  entry: RawEntry | undefined;
  /** DELTA: the base's position in the list. */
  base: number;
  /** THIN: the base's id. */
  baseId: ObjectId | undefined;
}

/**
 * The pack of `list` in pieces, as buildPackStream makes it, copying stored entries where it can
 * (see the top of this file). Objects without a body (blobs from listObjectsToSend) are read only if
 * they have to be written anew. Each object goes once; every delta follows its base.
 *
 * Objects no pack holds come first, written by writePack with deltas among themselves. Then the packed
 * ones in list order, each entry read as its turn comes (a delta's base, if not out yet, just before
 * it), so the peer receives and indexes the first megabytes while later ones are still being read.
 */
export async function* buildReusingPackStream(list: readonly SendObject[], options: ReusingPackOptions): AsyncGenerator<Uint8Array> {
  const { store, sha1, stats } = options;
  const zlib = packZlib(options.zlib);
  const objs: SendObject[] = [];
  const position = new Map<ObjectId, number>();
  for (const o of list) {
    if (position.has(o.id)) continue;
    position.set(o.id, objs.length);
    objs.push(o);
  }
  const n = objs.length;
  const located = objs.map((o) => store.packedEntry?.(o.id));

  const pieces: Uint8Array[] = [];
  const header = new Uint8Array(HEADER_BYTES);
  header.set(PACK_SIGNATURE);
  new DataView(header.buffer).setUint32(4, 2);
  new DataView(header.buffer).setUint32(8, n);
  pieces.push(header);
  yield header;
  let at = HEADER_BYTES;
  // Where each object starts in the pack being built (OFS_DELTA distances), and its delta depth there.
  const offsets = new Float64Array(n).fill(-1);
  const depth = new Uint16Array(n);
  const state = new Uint8Array(n); // 0 not out, 1 on the chain being resolved, 2 out

  const readBody = async (u: number): Promise<Uint8Array> => {
    const o = objs[u]!;
    if (o.body) return o.body;
    const r = await store.read(o.id);
    if (!r) throw new StoreError('not-found', `object ${o.id} is missing from the repository`, { id: o.id });
    if (r.type !== o.type) throw new StoreError('type-mismatch', `object ${o.id} is a ${r.type}, expected a ${o.type}`, { id: o.id });
    return r.body;
  };

  const toWrite: number[] = [];
  for (let u = 0; u < n; u++) if (!located[u]) toWrite.push(u);
  // Offsets of written objects matter only if a copied delta may name one as its base.
  const needOffsets = toWrite.length < n;
  for (let p = 0; p < toWrite.length; p += PIECE) {
    const batch = toWrite.slice(p, p + PIECE);
    const piece: PackObject[] = [];
    for (const u of batch) {
      const o = objs[u]!;
      piece.push({ id: o.id, type: o.type, body: await readBody(u), ...(o.name === undefined ? {} : { name: o.name }) });
    }
    const written = writePack(piece, { zlib, sha1, deltas: options.deltas ?? false });
    const body = written.pack.subarray(HEADER_BYTES, written.pack.length - TRAILER_BYTES);
    if (needOffsets) {
      const index = PackIndex.parse(written.index, 'pack being built');
      for (const u of batch) offsets[u] = at + index.find(objs[u]!.id)! - HEADER_BYTES;
    }
    for (const u of batch) {
      state[u] = 2;
      depth[u] = WRITTEN_DEPTH;
    }
    if (stats) stats.written += batch.length;
    at += body.length;
    pieces.push(body);
    yield body;
    await new Promise((resolve) => setImmediate(resolve));
  }

  let chunk: Uint8Array[] = [];
  let chunkBytes = 0;
  const put = (bytes: Uint8Array): void => {
    chunk.push(bytes);
    chunkBytes += bytes.length;
    at += bytes.length;
  };

  /** How object `u` can go, judged from its stored entry. */
  const plan = async (u: number): Promise<Step> => {
    const step: Step = { u, kind: WRITE, entry: undefined, base: -1, baseId: undefined };
    const from = located[u]!;
    let e: RawEntry | undefined;
    try {
      e = await from.pack.rawEntry(from.offset);
    } catch {
      return step; // a pack gone (a gc) or damaged: the normal read finds the object wherever it is
    }
    if (!e) {
      if (stats) stats.badCrc++;
      return step;
    }
    if (e.code !== OFS_DELTA && e.code !== REF_DELTA) {
      if (e.code === CODE_BY_TYPE[objs[u]!.type]) {
        step.kind = WHOLE;
        step.entry = e;
      }
      return step;
    }
    const baseId = e.code === OFS_DELTA ? from.pack.idAtOffset(e.baseOffset) : e.baseId;
    if (baseId === undefined) return step;
    const b = position.get(baseId);
    if (b !== undefined && b !== u) {
      step.kind = DELTA;
      step.base = b;
      step.entry = e;
    } else if (b === undefined && options.peerHas?.(baseId)) {
      step.kind = THIN;
      step.baseId = baseId;
      step.entry = e;
    }
    return step;
  };

  const emit = async (step: Step): Promise<void> => {
    const { u, entry: e } = step;
    let kind = step.kind;
    if (kind === DELTA && depth[step.base]! + 1 > MAX_DEPTH) kind = WRITE;
    offsets[u] = at;
    state[u] = 2;
    if (kind === WRITE || !e) {
      // Written whole: deltas against it stay valid, since they refer to its id or its place.
      const body = await readBody(u);
      put(encodeEntryHeader(CODE_BY_TYPE[objs[u]!.type], body.length));
      put(zlib.deflate(body));
      depth[u] = 0;
      if (stats) stats.written++;
    } else if (kind === WHOLE) {
      put(e.bytes);
      depth[u] = 0;
      if (stats) stats.whole++;
    } else if (kind === THIN) {
      put(encodeEntryHeader(REF_DELTA, e.size, 0, step.baseId));
      put(e.bytes.subarray(e.headerLength));
      depth[u] = 1;
      if (stats) stats.thin++;
    } else {
      const b = step.base;
      put(options.ofsDelta ? encodeEntryHeader(OFS_DELTA, e.size, offsets[u]! - offsets[b]!) : encodeEntryHeader(REF_DELTA, e.size, 0, objs[b]!.id));
      put(e.bytes.subarray(e.headerLength));
      depth[u] = depth[b]! + 1;
      if (stats) stats.deltas++;
    }
  };

  const chain: Step[] = [];
  for (let u = 0; u < n; u++) {
    if (state[u] !== 0) continue;
    // Follow the delta chain down to a base that is out (or needs none), then emit upwards. Chains
    // joined across packs may loop: the link that closes the loop is written whole.
    for (let x = u; ; ) {
      state[x] = 1;
      const step = await plan(x);
      chain.push(step);
      if (step.kind !== DELTA) break;
      const b = step.base;
      if (state[b] === 1) {
        step.kind = WRITE;
        break;
      }
      if (state[b] === 2) break;
      x = b;
    }
    while (chain.length > 0) await emit(chain.pop()!);
    if (chunkBytes >= CHUNK_BYTES) {
      const out = concat(chunk);
      chunk = [];
      chunkBytes = 0;
      pieces.push(out);
      yield out;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  if (chunkBytes > 0) {
    const out = concat(chunk);
    pieces.push(out);
    yield out;
  }
  yield fromHex(sha1(concat(pieces)));
}


