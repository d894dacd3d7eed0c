// What a pack for a peer must hold, and the pack itself: the object walk behind fetch (server side)
// and push (client side). Git's rules (gitprotocol-pack): everything reachable from the wants, minus
// what the haves reach; commits are walked newest first and stop where only uninteresting commits
// remain, and trees and blobs of the boundary ("edge") commits are taken as already present.
import type { Objects } from '../objects.js';
import type { ObjectStore } from '../backend/types.js';
import { StoreError } from '../errors.js';
import { decodeTagTarget } from '../git/commit-codec.js';
import { EMPTY_TREE_ID, isObjectId, type ObjectId } from '../git/id.js';
import { concat, fromHex, hexInto, toHex } from '../git/bytes.js';
import { hashObject, type ObjectType, type RawObject, type Sha1 } from '../git/object.js';
import { writePack, type PackObject } from '../git/pack/pack-writer.js';
import { HEADER_BYTES, PACK_SIGNATURE, TRAILER_BYTES } from '../git/pack/pack-reader.js';
import type { Zlib } from '../git/pack/types.js';

export type { PackObject };

const PROGRESS_EVERY = 1000;
/**
 * Commits walked past the point where the queue holds only uninteresting ones. Committer times can go
 * backwards (clock skew, rebases); a few extra steps catch most such cases. Missing one only costs
 * sending objects the peer already has, never a broken pack.
 */
const SLOP = 5;

const enum Flag {
  Uninteresting = 1,
  Queued = 2,
  Popped = 4,
}

interface CommitInfo {
  tree: ObjectId;
  parents: ObjectId[];
  time: number;
}

/** The headers the walk needs, without decoding the rest of the commit. */
function parseCommitHeaders(body: Uint8Array, id: ObjectId): CommitInfo {
  let tree: ObjectId | undefined;
  const parents: ObjectId[] = [];
  let time = 0;
  let at = 0;
  const dec = new TextDecoder();
  while (at < body.length) {
    let nl = body.indexOf(0x0a, at);
    if (nl < 0) nl = body.length;
    if (nl === at) break; // blank line: the message follows
    const line = dec.decode(body.subarray(at, nl));
    if (line.startsWith('tree ')) tree = line.slice(5);
    else if (line.startsWith('parent ')) parents.push(line.slice(7));
    else if (line.startsWith('committer ')) {
      const m = / (\d+) [+-]\d{4}$/.exec(line);
      if (m) time = Number(m[1]);
    }
    at = nl + 1;
  }
  if (tree === undefined || !isObjectId(tree) || !parents.every(isObjectId)) {
    throw new StoreError('invalid-object', `commit ${id}: missing or bad tree/parent header`, { id });
  }
  return { tree, parents, time };
}

/** A max-heap of commits by committer time: the walk always continues from the newest. */
class CommitQueue {
  private readonly ids: ObjectId[] = [];
  private readonly times: number[] = [];
  get size(): number {
    return this.ids.length;
  }
  push(id: ObjectId, time: number): void {
    const ids = this.ids;
    const times = this.times;
    let i = ids.length;
    ids.push(id);
    times.push(time);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (times[p]! >= time) break;
      ids[i] = ids[p]!;
      times[i] = times[p]!;
      i = p;
    }
    ids[i] = id;
    times[i] = time;
  }
  pop(): ObjectId | undefined {
    const ids = this.ids;
    const times = this.times;
    if (ids.length === 0) return undefined;
    const top = ids[0]!;
    const lastId = ids.pop()!;
    const lastTime = times.pop()!;
    const n = ids.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && times[r]! > times[l]! ? r : l;
        if (times[c]! <= lastTime) break;
        ids[i] = ids[c]!;
        times[i] = times[c]!;
        i = c;
      }
      ids[i] = lastId;
      times[i] = lastTime;
    }
    return top;
  }
}

async function readRaw(store: ObjectStore, id: ObjectId): Promise<RawObject> {
  const o = await store.read(id);
  if (!o) throw new StoreError('not-found', `object ${id} is missing from the repository`, { id });
  return o;
}

/**
 * Every object reachable from `wants` and not from `haves` (haves missing locally are ignored), as
 * PackObjects with path hints (`name`) for delta search; trees and blobs reachable from the haves'
 * trees are left out too (git's "uninteresting" edge).
 */
export async function objectsToSend(
  objects: Objects,
  wants: ObjectId[],
  haves: ObjectId[],
  options: { onProgress?: (counted: number) => void } = {},
): Promise<PackObject[]> {
  return (await walkObjects(objects, wants, haves, { ...options, blobBodies: true })).objects as PackObject[];
}

/** An object to send; blobs from listObjectsToSend come without their body, read (or copied raw) later. */
export interface SendObject {
  id: ObjectId;
  type: ObjectType;
  body?: Uint8Array;
  name?: string;
}

export interface ObjectsToSend {
  /** The same objects, in the same order, as objectsToSend. */
  objects: SendObject[];
  /**
   * Whether the peer surely has `id`: a commit the haves reach, or a tree or blob of the boundary
   * commits' trees. A delta against such an object may go in a thin pack.
   */
  peerHas(id: ObjectId): boolean;
}

/**
 * objectsToSend without reading blobs (trees name their ids, which is all the walk needs), for a
 * caller that copies blobs' stored bytes or reads them when it writes them.
 */
export async function listObjectsToSend(
  objects: Objects,
  wants: ObjectId[],
  haves: ObjectId[],
  options: { onProgress?: (counted: number) => void } = {},
): Promise<ObjectsToSend> {
  return walkObjects(objects, wants, haves, { ...options, blobBodies: false });
}

async function walkObjects(
  objects: Objects,
  wants: ObjectId[],
  haves: ObjectId[],
  options: { onProgress?: (counted: number) => void; blobBodies: boolean },
): Promise<ObjectsToSend> {
  const store = objects.store;
  const blobBodies = options.blobBodies;
  const out: SendObject[] = [];
  const added = new Set<ObjectId>();
  const onProgress = options.onProgress;
  // Commits (and tags) go first in the pack, then trees and blobs, as git orders them.
  const contents: SendObject[] = [];
  const add = (o: SendObject): void => {
    added.add(o.id);
    (o.type === 'tree' || o.type === 'blob' ? contents : out).push(o);
    if (onProgress && (out.length + contents.length) % PROGRESS_EVERY === 0) onProgress(out.length + contents.length);
  };

  const flags = new Map<ObjectId, number>();
  const info = new Map<ObjectId, CommitInfo>();
  const bodies = new Map<ObjectId, Uint8Array>();
  const queue = new CommitQueue();
  const rootTrees: ObjectId[] = [];
  const rootBlobs: ObjectId[] = [];

  const loadCommit = async (id: ObjectId, raw?: RawObject): Promise<CommitInfo> => {
    let c = info.get(id);
    if (c) return c;
    const o = raw ?? (await readRaw(store, id));
    if (o.type !== 'commit') throw new StoreError('type-mismatch', `object ${id} is a ${o.type}, expected a commit`, { id });
    c = parseCommitHeaders(o.body, id);
    info.set(id, c);
    bodies.set(id, o.body);
    return c;
  };
  // Interesting commits waiting in the queue: the walk ends when none are left.
  let pending = 0;
  const enqueue = async (id: ObjectId, flag: number, raw?: RawObject): Promise<void> => {
    const f = flags.get(id) ?? 0;
    if (f & Flag.Queued) {
      if (flag & Flag.Uninteresting && !(f & Flag.Uninteresting)) markUninteresting(id);
      return;
    }
    const c = await loadCommit(id, raw);
    flags.set(id, f | flag | Flag.Queued);
    if (!(flag & Flag.Uninteresting)) pending++;
    queue.push(id, c.time);
  };
  // A commit found uninteresting after it was queued: so is everything already walked below it.
  const markUninteresting = (id: ObjectId): void => {
    const stack = [id];
    while (stack.length > 0) {
      const x = stack.pop()!;
      const f = flags.get(x) ?? 0;
      if (f & Flag.Uninteresting) continue;
      flags.set(x, f | Flag.Uninteresting);
      if (f & Flag.Popped) {
        for (const p of info.get(x)!.parents) if (flags.has(p)) stack.push(p);
      } else if (f & Flag.Queued) pending--;
    }
  };

  // Haves first, so that a commit both wanted and had is uninteresting from the start.
  for (const have of haves) {
    let id = have;
    let o = await store.read(id);
    // Follow tags to what they name; a have we lack, or of another kind, just tells us nothing.
    for (let depth = 0; o && o.type === 'tag' && depth < 10; depth++) {
      id = decodeTagTarget(o.body, id).object;
      o = await store.read(id);
    }
    if (!o || o.type !== 'commit') continue;
    await enqueue(id, Flag.Uninteresting, o);
  }
  // With no haves nothing is uninteresting, so each commit's tree can be walked as soon as the commit
  // is: reads then follow the order objects were written in, commit by commit, which is much kinder to
  // the pack reader's window cache than all commits first and all trees after.
  const eager = flags.size === 0;
  for (const want of wants) {
    let id = want;
    for (let depth = 0; ; depth++) {
      if (added.has(id)) break;
      const o = await readRaw(store, id);
      if (o.type === 'tag') {
        if (depth >= 10) throw new StoreError('invalid-object', `tag chain at ${want} is too deep`, { id: want });
        add({ id, type: 'tag', body: o.body });
        id = decodeTagTarget(o.body, id).object;
        continue;
      }
      if (o.type === 'commit') await enqueue(id, 0, o);
      else if (o.type === 'tree') rootTrees.push(id);
      else rootBlobs.push(id);
      break;
    }
  }

  // Trees and blobs seen, by raw id: a tree's entries are checked against it without making strings,
  // and most entries of a tree are unchanged since the previous commit's version of it.
  const seen = new IdSet();
  const dec = new TextDecoder();
  const walkTree = async (root: ObjectId, rootName: string): Promise<void> => {
    if (!seen.addHex(root)) return;
    const stack: { id: ObjectId; name: string }[] = [{ id: root, name: rootName }];
    while (stack.length > 0) {
      const { id, name } = stack.pop()!;
      const o = await readRaw(store, id);
      if (o.type !== 'tree') throw new StoreError('type-mismatch', `object ${id} is a ${o.type}, expected a tree`, { id });
      add({ id, type: 'tree', body: o.body, name });
      const body = o.body;
      const subtrees: { id: ObjectId; name: string }[] = [];
      for (let at = 0; at < body.length; ) {
        const e = scanEntry(body, at, id);
        at = e.next;
        if (e.kind === GITLINK) continue; // a submodule's commit lives in another repository
        if (!seen.addBytes(body, e.idAt)) continue;
        const childId = toHex(body, e.idAt, e.idAt + 20);
        const entryName = dec.decode(body.subarray(e.nameAt, e.idAt - 1));
        const path = name === '' ? entryName : `${name}/${entryName}`;
        if (e.kind === TREE) subtrees.push({ id: childId, name: path });
        else if (blobBodies) {
          const b = await readRaw(store, childId);
          add({ id: childId, type: b.type, body: b.body, name: path });
        } else add({ id: childId, type: 'blob', name: path });
      }
      // Reversed so the stack pops subtrees in tree order, which keeps neighbouring paths together.
      for (let i = subtrees.length - 1; i >= 0; i--) stack.push(subtrees[i]!);
    }
  };
  // The commit walk: newest first, until nothing interesting is left to reach.
  const interesting: ObjectId[] = [];
  let slop = SLOP;
  while (queue.size > 0) {
    if (pending === 0 && slop-- <= 0) break;
    const id = queue.pop()!;
    const f = flags.get(id)! | Flag.Popped;
    flags.set(id, f);
    const c = info.get(id)!;
    const uninteresting = (f & Flag.Uninteresting) !== 0;
    if (!uninteresting) {
      pending--;
      interesting.push(id);
      if (eager) {
        add({ id, type: 'commit', body: bodies.get(id)! });
        bodies.delete(id);
        await walkTree(c.tree, '');
      }
    }
    for (const p of c.parents) {
      // Parents the peer has but we lack cannot be walked; only an interesting commit needs its parents.
      if (uninteresting && !flags.has(p) && !(await store.has(p))) continue;
      await enqueue(p, uninteresting ? Flag.Uninteresting : 0);
    }
  }

  // Edge: uninteresting commits met by the walk; their trees are what the peer certainly has.
  const edgeTrees: ObjectId[] = [];
  for (const [id, f] of flags) if (f & Flag.Uninteresting && f & Flag.Queued) edgeTrees.push(info.get(id)!.tree);
  if (!eager) {
    await markTreesUninteresting(store, edgeTrees, seen);
    const commitsOut: ObjectId[] = interesting.filter((id) => !((flags.get(id) ?? 0) & Flag.Uninteresting));
    for (const id of commitsOut) add({ id, type: 'commit', body: bodies.get(id)! });
    bodies.clear();
    for (const id of commitsOut) await walkTree(info.get(id)!.tree, '');
  }
  for (const id of rootTrees) await walkTree(id, '');
  for (const id of rootBlobs) {
    if (added.has(id) || !seen.addHex(id)) continue;
    add({ id, type: 'blob', body: (await readRaw(store, id)).body });
  }
  for (const o of contents) out.push(o);
  onProgress?.(out.length);
  // Everything in `seen` is either sent or under an edge commit's tree; only the latter is asked about.
  const peerHas = (id: ObjectId): boolean =>
    ((flags.get(id) ?? 0) & Flag.Uninteresting) !== 0 || (!added.has(id) && seen.hasHex(id));
  return { objects: out, peerHas };
}

const BLOB = 0;
const TREE = 1;
const GITLINK = 2;

/** One tree entry located in the raw body: "<mode> <name>\0<20-byte id>". */
function scanEntry(body: Uint8Array, at: number, id: ObjectId): { kind: number; nameAt: number; idAt: number; next: number } {
  const sp = body.indexOf(0x20, at);
  const nul = sp < 0 ? -1 : body.indexOf(0, sp + 1);
  if (sp < 0 || nul < 0 || nul + 21 > body.length || sp - at < 5 || sp - at > 6) {
    throw new StoreError('invalid-object', `tree ${id}: bad entry at byte ${at}`, { id });
  }
  // "40000" (or the old "040000") is a tree, "160000" a submodule; the rest are files and links.
  const first = body[at] === 0x30 ? body[at + 1] : body[at];
  const kind = first === 0x34 ? TREE : body[at] === 0x31 && body[at + 1] === 0x36 ? GITLINK : BLOB;
  return { kind, nameAt: sp + 1, idAt: nul + 1, next: nul + 21 };
}

/**
 * A set of object ids held as raw 20-byte keys in open addressing. SHA-1 bytes are uniform, so the
 * first four make the hash; no strings are created for ids that are only looked up.
 */
class IdSet {
  private keys = new Uint8Array(20 * 1024);
  private used = new Uint8Array(1024);
  private mask = 1023;
  private count = 0;
  private readonly scratch = new Uint8Array(20);

  get size(): number {
    return this.count;
  }

  /** Adds the id stored at bytes[at, at+20); false when it was already there. */
  addBytes(bytes: Uint8Array, at: number): boolean {
    const keys = this.keys;
    let slot = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) & this.mask;
    for (;;) {
      if (this.used[slot] === 0) break;
      const k = slot * 20;
      let same = true;
      for (let i = 0; i < 20; i++) {
        if (keys[k + i] !== bytes[at + i]) {
          same = false;
          break;
        }
      }
      if (same) return false;
      slot = (slot + 1) & this.mask;
    }
    this.used[slot] = 1;
    keys.set(bytes.subarray(at, at + 20), slot * 20);
    if (++this.count * 2 > this.mask) this.grow();
    return true;
  }

  addHex(id: ObjectId): boolean {
    hexInto(id, this.scratch, 0);
    return this.addBytes(this.scratch, 0);
  }

  hasHex(id: ObjectId): boolean {
    const key = this.scratch;
    hexInto(id, key, 0);
    for (let slot = ((key[0]! << 24) | (key[1]! << 16) | (key[2]! << 8) | key[3]!) & this.mask; this.used[slot] !== 0; slot = (slot + 1) & this.mask) {
      let same = true;
      for (let i = 0, k = slot * 20; i < 20; i++) {
        if (this.keys[k + i] !== key[i]) {
          same = false;
          break;
        }
      }
      if (same) return true;
    }
    return false;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldUsed = this.used;
    const n = oldUsed.length * 2;
    this.keys = new Uint8Array(20 * n);
    this.used = new Uint8Array(n);
    this.mask = n - 1;
    this.count = 0;
    for (let s = 0; s < oldUsed.length; s++) if (oldUsed[s]) this.addBytes(oldKeys, s * 20);
  }
}

/** Marks every tree and blob under `roots` as present at the peer; trees we lack are skipped. */
async function markTreesUninteresting(store: ObjectStore, roots: ObjectId[], seen: IdSet): Promise<void> {
  const stack: ObjectId[] = [];
  for (const r of roots) if (seen.addHex(r)) stack.push(r);
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === EMPTY_TREE_ID) continue;
    const o = await store.read(id);
    if (!o || o.type !== 'tree') continue;
    const body = o.body;
    for (let at = 0; at < body.length; ) {
      const e = scanEntry(body, at, id);
      at = e.next;
      if (e.kind === GITLINK || !seen.addBytes(body, e.idAt)) continue;
      if (e.kind === TREE) stack.push(toHex(body, e.idAt, e.idAt + 20));
    }
  }
}

/**
 * Below this size an object is stored in its zlib stream uncompressed. Compressing a delta or a small
 * object saves a few bytes at best, while each call into native zlib costs several microseconds of
 * setup, which over the tens of thousands of objects of a clone dominates building the pack.
 */
const STORE_BELOW = 512;

/** A zlib stream of `data` in stored (uncompressed) blocks: valid for every inflater, costs a copy. */
export function storedZlib(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / 65535));
  const out = new Uint8Array(2 + data.length + 5 * blocks + 4);
  out[0] = 0x78;
  out[1] = 0x01;
  let o = 2;
  for (let b = 0; b < blocks; b++) {
    const start = b * 65535;
    const len = Math.min(65535, data.length - start);
    out[o++] = b === blocks - 1 ? 1 : 0;
    out[o++] = len & 0xff;
    out[o++] = len >>> 8;
    out[o++] = ~len & 0xff;
    out[o++] = (~len >>> 8) & 0xff;
    out.set(data.subarray(start, start + len), o);
    o += len;
  }
  let s1 = 1;
  let s2 = 0;
  for (let i = 0; i < data.length; ) {
    // 5552 bytes is the most that can be summed before s2 could overflow 2^32 (zlib's NMAX).
    const end = Math.min(data.length, i + 5552);
    for (; i < end; i++) {
      s1 += data[i]!;
      s2 += s1;
    }
    s1 %= 65521;
    s2 %= 65521;
  }
  out[o++] = s2 >>> 8;
  out[o++] = s2 & 0xff;
  out[o++] = s1 >>> 8;
  out[o++] = s1 & 0xff;
  return out;
}

export interface BuildPackOptions {
  zlib: Zlib;
  sha1: Sha1;
  deltas?: boolean;
  onProgress?: (phase: 'compressing' | 'writing', done: number, total: number) => void;
}

/** Objects per piece of a streamed pack: enough for deltas to find their bases, small enough to start sending early. */
export const PIECE = 4096;

/**
 * The Zlib writePack gets when building a pack for a peer: small streams stored, not compressed (see
 * STORE_BELOW), and no CRCs, which only the .idx that writePack also builds uses.
 */
export function packZlib(zlib: Zlib): Zlib {
  return {
    inflate: (data, size) => zlib.inflate(data, size),
    deflate: (data, level) => (data.length < STORE_BELOW ? storedZlib(data) : zlib.deflate(data, level)),
    crc32: () => 0,
  };
}

/**
 * The pack of `list` in pieces, as it is produced: the peer can index the first objects while later
 * ones are compressed. Each piece is written by writePack and stripped of its header and trailer;
 * OFS_DELTA distances are relative, so a piece's deltas (bases within the same piece) stay valid in
 * the whole. The last chunk is the trailing SHA-1 over everything before it.
 */
export async function* buildPackStream(list: PackObject[], options: BuildPackOptions): AsyncGenerator<Uint8Array> {
  const { onProgress } = options;
  const zlib = packZlib(options.zlib);
  // writePack drops duplicates; the header must count what is actually written.
  const unique: PackObject[] = [];
  const seen = new Set<ObjectId>();
  for (const o of list) {
    const id = o.id ?? hashObject(options.sha1, o.type, o.body);
    if (seen.has(id)) continue;
    seen.add(id);
    unique.push(o.id ? o : { ...o, id });
  }
  const total = unique.length;
  // Sha1 hashes one buffer; the pieces are kept (the caller holds them anyway) and hashed at the end.
  const pieces: Uint8Array[] = [];
  const header = new Uint8Array(HEADER_BYTES);
  header.set(PACK_SIGNATURE);
  new DataView(header.buffer).setUint32(4, 2);
  new DataView(header.buffer).setUint32(8, total);
  pieces.push(header);
  yield header;
  for (let at = 0; at < total; at += PIECE) {
    const piece = unique.slice(at, at + PIECE);
    const written = writePack(piece, {
      zlib,
      sha1: options.sha1,
      deltas: options.deltas ?? false,
      onProgress: onProgress
        ? (done, n, phase) => onProgress(phase === 'deltas' ? 'compressing' : 'writing', at + done, total)
        : undefined,
    });
    const body = written.pack.subarray(HEADER_BYTES, written.pack.length - TRAILER_BYTES);
    pieces.push(body);
    yield body;
    // Let the response go out (and other requests run) between pieces.
    await new Promise((resolve) => setImmediate(resolve));
  }
  yield fromHex(options.sha1(concat(pieces)));
}

/** A pack of `list` (OFS_DELTA deltas when `deltas`), as bytes. */
export async function buildPack(list: PackObject[], options: BuildPackOptions): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of buildPackStream(list, options)) parts.push(p);
  return concat(parts);
}
