// git-upload-pack, the serving side of fetch and clone, for stateless transports (smart HTTP): each
// request carries the whole state of the negotiation, and the response either acknowledges haves or,
// once the client says "done", carries the pack.
//
// Negotiation follows git's multi_ack_detailed rules (v0) and the v2 "acknowledgments" section, except
// that this server never declares itself "ready" before the client's "done": a client keeps sending
// haves until it knows what we share, which costs it a round trip or two, never a wrong pack.
import { Lru } from '../../cache.js';
import { isStoreError } from '../../errors.js';
import { decodeTagTarget } from '../../git/commit-codec.js';
import { concat, utf8 } from '../../git/bytes.js';
import { isObjectId, type ObjectId } from '../../git/id.js';
import type { Sha1 } from '../../git/object.js';
import type { Zlib } from '../../git/pack/types.js';
import { FLUSH_PKT, MAX_SIDEBAND_DATA, PktReader, pktLine, pktText } from '../pkt-line.js';
import { listObjectsToSend, type ObjectsToSend, type SendObject } from '../send-objects.js';
import { buildReusingPackStream, emptyReuseStats, type ReuseStats } from '../pack-reuse.js';
import { listServedRefs, type ServedRepository } from './advertise.js';

export interface UploadPackOptions {
  zlib: Zlib;
  sha1: Sha1;
  /** Deltify trees and blobs when the client takes OFS_DELTA (default true): smaller packs, more CPU. */
  deltas?: boolean;
  /** Names the client in errors. */
  where?: string;
  /** Packs to reuse for identical requests; shared across requests by the caller. */
  packCache?: PackCache;
  /**
   * Told, after each pack built (not for one served from packCache), how many stored entries it
   * copied and how many objects it wrote anew: for logs and tests.
   */
  onPackBuilt?: (stats: ReuseStats) => void;
}

interface PackRequest {
  wants: ObjectId[];
  haves: ObjectId[];
  sideband: boolean;
  progress: boolean;
  ofsDelta: boolean;
  includeTag: boolean;
  /** The client accepts deltas against objects it has that the pack leaves out (it will complete the pack). */
  thinPack: boolean;
}

const PACK_CHUNK = MAX_SIDEBAND_DATA;

/** Writes one side-band packet (length, band byte, data) into `out` at `at`; returns where it ends. */
function putBand(out: Uint8Array, at: number, b: 1 | 2 | 3, data: Uint8Array): number {
  const n = data.length + 5;
  if (n > 65520) throw new RangeError('side-band payload too large');
  for (let i = 3, v = n; i >= 0; i--, v >>= 4) out[at + i] = HEX[v & 15]!;
  out[at + 4] = b;
  out.set(data, at + 5);
  return at + n;
}

const HEX = utf8('0123456789abcdef');

/** One side-band packet. */
function band(b: 1 | 2 | 3, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 5);
  putBand(out, 0, b, data);
  return out;
}

/** `data` as side-band 1 packets in one buffer: one write to the socket. */
function sideband1(data: Uint8Array): Uint8Array {
  const buf = new Uint8Array(data.length + 5 * Math.ceil(data.length / PACK_CHUNK));
  let o = 0;
  for (let p = 0; p < data.length; p += PACK_CHUNK) o = putBand(buf, o, 1, data.subarray(p, p + PACK_CHUNK));
  return buf;
}

const progressPkt = (text: string): Uint8Array => band(2, utf8(text));

/** Those of `ids` we have: what the client and this repository share. */
async function commonHaves(repo: ServedRepository, ids: readonly ObjectId[]): Promise<ObjectId[]> {
  const out: ObjectId[] = [];
  const seen = new Set<ObjectId>();
  for (const id of ids) {
    if (seen.has(id)) continue;
    seen.add(id);
    if (await repo.objects.store.has(id)) out.push(id);
  }
  return out;
}

/** Refuses wants we cannot serve before anything is sent, so the client gets a clear error. */
async function checkWants(repo: ServedRepository, wants: readonly ObjectId[], reader: PktReader): Promise<void> {
  for (const w of wants) {
    if (!(await repo.objects.store.has(w))) throw reader.error(`not our ref ${w}`);
  }
}

/**
 * Annotated tags whose targets are in the pack (`packed` says which objects it holds), for include-tag:
 * git's way of following tags on fetch.
 */
async function tagsToInclude(repo: ServedRepository, packed: (id: ObjectId) => boolean, haves: readonly ObjectId[]): Promise<SendObject[]> {
  const added = new Set<ObjectId>();
  const inPack = { has: (id: ObjectId) => added.has(id) || packed(id), add: (id: ObjectId) => added.add(id) };
  const { refs } = await listServedRefs(repo);
  const out: SendObject[] = [];
  for (const r of refs) {
    if (!r.name.startsWith('refs/tags/') || r.peeled === undefined || inPack.has(r.id) || haves.includes(r.id)) continue;
    // Tags of tags: every tag object down the chain goes along.
    const chain: SendObject[] = [];
    let id = r.id;
    let hit = false;
    for (let depth = 0; depth < 10; depth++) {
      const o = await repo.objects.store.read(id);
      if (!o) break;
      if (o.type !== 'tag') {
        hit = inPack.has(id);
        break;
      }
      chain.push({ id, type: 'tag', body: o.body });
      if (inPack.has(id)) {
        hit = true;
        break;
      }
      id = decodeTagTarget(o.body, id).object;
    }
    if (!hit) continue;
    for (const t of chain) {
      if (inPack.has(t.id!)) continue;
      inPack.add(t.id!);
      out.push(t);
    }
  }
  return out;
}

/**
 * What the pack must hold. A clone (no haves) of commits the repository's reachability bitmap covers
 * needs no walk at all: the bitmap lists the objects, and all of them are copied from the pack.
 */
async function objectsFor(repo: ServedRepository, req: PackRequest): Promise<ObjectsToSend> {
  const store = repo.objects.store;
  if (req.haves.length === 0 && store.reachableObjects) {
    const found = await store.reachableObjects(req.wants);
    if (found) return { objects: found, peerHas: () => false };
  }
  return listObjectsToSend(repo.objects, req.wants, req.haves);
}

/**
 * The pack for a negotiated request, as response chunks: side-band packets (progress on band 2 unless
 * silenced) or the raw pack. Errors after this point go to band 3 when there is a side band.
 */
async function* sendPack(repo: ServedRepository, req: PackRequest, options: UploadPackOptions): AsyncGenerator<Uint8Array> {
  try {
    const deltas = req.ofsDelta && (options.deltas ?? true);
    // With include-tag the pack also depends on which annotated tags exist now.
    const tags = options.packCache && req.includeTag
      ? (await listServedRefs(repo)).refs.filter((r) => r.peeled !== undefined).map((r) => `${r.name} ${r.id}`)
      : [];
    // Copied deltas depend on ofs-delta (OFS or REF) and thin-pack too, whatever `deltas` says.
    const key = options.packCache
      ? JSON.stringify([[...req.wants].sort(), [...req.haves].sort(), deltas, req.ofsDelta, req.thinPack, req.includeTag, tags])
      : '';
    const cached = options.packCache?.get(key);
    if (cached) {
      if (req.sideband && req.progress) yield progressPkt(`Enumerating objects: ${cached.objects}, done (cached pack).\n`);
      for (const piece of cached.pieces) yield req.sideband ? sideband1(piece) : piece;
      if (req.sideband && req.progress) yield progressPkt(`Total ${cached.objects}\n`);
      return;
    }
    // A clone of exactly what one of our packs holds (a repository packed by gc): that file as it is.
    const verbatim = req.haves.length === 0 && deltas ? await repo.objects.store.verbatimPack?.(req.wants) : undefined;
    if (verbatim && !(req.includeTag && (await tagsToInclude(repo, (id) => verbatim.has(id), req.haves)).length > 0)) {
      if (req.sideband && req.progress) yield progressPkt(`Enumerating objects: ${verbatim.objects}, done (a stored pack, sent as it is).\n`);
      for await (const piece of verbatim.contents()) yield req.sideband ? sideband1(piece) : piece;
      if (req.sideband && req.progress) yield progressPkt(`Total ${verbatim.objects}\n`);
      return;
    }
    const { objects: list, peerHas } = await objectsFor(repo, req);
    if (req.includeTag) {
      const ids = new Set(list.map((o) => o.id));
      list.push(...(await tagsToInclude(repo, (id) => ids.has(id), req.haves)));
    }
    if (req.sideband && req.progress) yield progressPkt(`Enumerating objects: ${list.length}, done.\n`);
    const stats = emptyReuseStats();
    const pack = buildReusingPackStream(list, {
      zlib: options.zlib, sha1: options.sha1, deltas, stats,
      store: repo.objects.store,
      ofsDelta: req.ofsDelta,
      ...(req.thinPack ? { peerHas } : {}),
    });
    // Kept for the cache only while the pack could still fit in it.
    let pieces: Uint8Array[] | undefined = options.packCache ? [] : undefined;
    let bytes = 0;
    for await (const piece of pack) {
      if (pieces) {
        pieces.push(piece);
        bytes += piece.length;
        if (bytes > options.packCache!.maxBytes / 2) pieces = undefined;
      }
      yield req.sideband ? sideband1(piece) : piece;
    }
    options.onPackBuilt?.(stats);
    if (pieces) options.packCache!.set(key, { pieces, objects: list.length });
    if (req.sideband && req.progress) yield progressPkt(`Total ${list.length}\n`);
  } catch (e) {
    if (!req.sideband) throw e;
    yield band(3, utf8(`${errorText(e)}\n`));
  }
}

/**
 * Packs already sent, by what was asked (wants, common haves, options). Objects never change, so a
 * pack for the same question is always the right answer: repeated clones or fetches of the same
 * commits (CI, a fleet of replicas) cost a copy instead of a walk and compression. Bounded by bytes,
 * least recently used first out.
 */
export class PackCache {
  /** Weighed by bytes; one pack may not push out everything else, so none above half the budget is kept. */
  private readonly entries: Lru<string, { pieces: Uint8Array[]; objects: number; bytes: number }>;

  constructor(readonly maxBytes: number) {
    this.entries = new Lru(maxBytes, (e) => e.bytes, maxBytes / 2);
  }

  get(key: string): { pieces: Uint8Array[]; objects: number } | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: { pieces: Uint8Array[]; objects: number }): void {
    if (this.entries.has(key)) return;
    let bytes = key.length * 2;
    for (const p of value.pieces) bytes += p.length;
    this.entries.set(key, { ...value, bytes });
  }
}

export function errorText(e: unknown): string {
  if (isStoreError(e)) return e.message;
  return e instanceof Error ? e.message : String(e);
}

/**
 * One v0/v1 upload-pack request (stateless-rpc): wants with capabilities, a flush, then haves ending in
 * a flush (answered with acknowledgments) or "done" (answered with the pack).
 */
export async function* uploadPackV0(repo: ServedRepository, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: UploadPackOptions): AsyncGenerator<Uint8Array> {
  const reader = new PktReader(body, options.where ?? 'client');
  const wants: ObjectId[] = [];
  let caps = new Set<string>();
  for (;;) {
    const p = await reader.next();
    if (p === undefined) {
      if (wants.length === 0) return; // nothing wanted: nothing to say
      throw reader.error('request ended before the flush after the wants');
    }
    if (p.type === 'flush') break;
    if (p.type !== 'data') throw reader.error(`unexpected ${p.type} packet among the wants`);
    const line = pktText(p.data);
    const m = /^want ([0-9a-f]{40})(?: (.*))?$/.exec(line);
    if (!m) {
      if (line.startsWith('shallow ') || line.startsWith('deepen')) throw reader.error('shallow clones are not supported by this server');
      if (line.startsWith('filter ')) throw reader.error('partial clones (filter) are not supported by this server');
      throw reader.error(`expected "want <id>", got ${JSON.stringify(line.slice(0, 80))}`);
    }
    if (wants.length === 0 && m[2]) caps = new Set(m[2].split(' '));
    wants.push(m[1]!);
  }
  if (wants.length === 0) return;
  await checkWants(repo, wants, reader);

  const multiAck = caps.has('multi_ack_detailed') ? 2 : caps.has('multi_ack') ? 1 : 0;
  const out: Uint8Array[] = [];
  const common: ObjectId[] = [];
  const commonSet = new Set<ObjectId>();
  let lastCommon: ObjectId | undefined;
  for (;;) {
    const p = await reader.next();
    if (p === undefined || p.type === 'flush') {
      // The end of a round without "done": acknowledgments only; the client will come back.
      if (common.length === 0 || multiAck) out.push(pktLine('NAK\n'));
      yield concatAll(out);
      return;
    }
    if (p.type !== 'data') throw reader.error(`unexpected ${p.type} packet among the haves`);
    const line = pktText(p.data);
    if (line === 'done') break;
    const m = /^have ([0-9a-f]{40})$/.exec(line);
    if (!m) throw reader.error(`expected "have <id>" or "done", got ${JSON.stringify(line.slice(0, 80))}`);
    const id = m[1]!;
    if (await repo.objects.store.has(id)) {
      const isNew = !commonSet.has(id);
      if (isNew) {
        commonSet.add(id);
        common.push(id);
      }
      lastCommon = id;
      if (multiAck === 2) out.push(pktLine(`ACK ${id} common\n`));
      else if (multiAck === 1) out.push(pktLine(`ACK ${id} continue\n`));
      else if (isNew && common.length === 1) out.push(pktLine(`ACK ${id}\n`));
    }
  }
  // "done": the final acknowledgment, then the pack.
  if (common.length > 0) {
    if (multiAck) out.push(pktLine(`ACK ${lastCommon}\n`));
  } else out.push(pktLine('NAK\n'));
  yield concatAll(out);
  // Only the 64k side band is advertised; its packets are what sendPack writes.
  const sideband = caps.has('side-band-64k');
  yield* sendPack(repo, {
    wants, haves: common, sideband,
    progress: !caps.has('no-progress'),
    ofsDelta: caps.has('ofs-delta'),
    includeTag: caps.has('include-tag'),
    thinPack: caps.has('thin-pack'),
  }, options);
  if (sideband) yield FLUSH_PKT;
}

/** The packets gathered so far as one chunk; the list is emptied for the next ones. */
function concatAll(parts: Uint8Array[]): Uint8Array {
  const out = concat(parts);
  parts.length = 0;
  return out;
}

/** One protocol v2 request: a command ("ls-refs" or "fetch"), its capabilities, a delimiter, its arguments. */
export async function* uploadPackV2(repo: ServedRepository, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: UploadPackOptions): AsyncGenerator<Uint8Array> {
  const reader = new PktReader(body, options.where ?? 'client');
  const first = await reader.next();
  if (first === undefined || first.type === 'flush') return; // an empty request: nothing to do
  if (first.type !== 'data') throw reader.error(`expected a command, got ${first.type}`);
  const cmd = /^command=(.*)$/.exec(pktText(first.data));
  if (!cmd) throw reader.error(`expected "command=...", got ${JSON.stringify(pktText(first.data).slice(0, 80))}`);
  // Capability lines (agent, object-format, server-option) until the delimiter.
  let args: string[] = [];
  for (;;) {
    const p = await reader.next();
    if (p === undefined) throw reader.error('request ended inside the command');
    if (p.type === 'flush') break; // no arguments
    if (p.type === 'delim') {
      args = await readArgs(reader);
      break;
    }
    if (p.type !== 'data') throw reader.error(`unexpected ${p.type} packet`);
    const cap = pktText(p.data);
    if (cap.startsWith('object-format=') && cap !== 'object-format=sha1') throw reader.error(`unsupported ${cap}`);
  }
  if (cmd[1] === 'ls-refs') yield* lsRefs(repo, args);
  else if (cmd[1] === 'fetch') yield* fetchV2(repo, args, reader, options);
  else throw reader.error(`unknown command ${JSON.stringify(cmd[1])}`);
}

async function readArgs(reader: PktReader): Promise<string[]> {
  const args: string[] = [];
  for (;;) {
    const p = await reader.next();
    if (p === undefined) throw reader.error('request ended before its flush');
    if (p.type === 'flush') return args;
    if (p.type !== 'data') throw reader.error(`unexpected ${p.type} packet among the arguments`);
    args.push(pktText(p.data));
  }
}

async function* lsRefs(repo: ServedRepository, args: string[]): AsyncGenerator<Uint8Array> {
  const symrefs = args.includes('symrefs');
  const peelTags = args.includes('peel');
  const unborn = args.includes('unborn');
  const prefixes = args.filter((a) => a.startsWith('ref-prefix ')).map((a) => a.slice('ref-prefix '.length));
  const wanted = (name: string): boolean => prefixes.length === 0 || prefixes.some((p) => name.startsWith(p));
  const { refs, head, headTarget } = await listServedRefs(repo);
  const out: Uint8Array[] = [];
  if (wanted('HEAD')) {
    if (head) out.push(pktLine(`${head.id} HEAD${symrefs && headTarget ? ` symref-target:${headTarget}` : ''}\n`));
    else if (unborn && headTarget) out.push(pktLine(`unborn HEAD${symrefs ? ` symref-target:${headTarget}` : ''}\n`));
  }
  for (const r of refs) {
    if (!wanted(r.name)) continue;
    out.push(pktLine(`${r.id} ${r.name}${peelTags && r.peeled ? ` peeled:${r.peeled}` : ''}\n`));
  }
  out.push(FLUSH_PKT);
  yield concatAll(out);
}

async function* fetchV2(repo: ServedRepository, args: string[], reader: PktReader, options: UploadPackOptions): AsyncGenerator<Uint8Array> {
  const wants: ObjectId[] = [];
  const haves: ObjectId[] = [];
  let done = false;
  const flags = new Set<string>();
  for (const a of args) {
    const sp = a.indexOf(' ');
    const key = sp < 0 ? a : a.slice(0, sp);
    const value = sp < 0 ? '' : a.slice(sp + 1);
    switch (key) {
      case 'want':
      case 'have':
        if (!isObjectId(value)) throw reader.error(`bad object id in ${JSON.stringify(a.slice(0, 80))}`);
        (key === 'want' ? wants : haves).push(value);
        break;
      case 'done':
        done = true;
        break;
      case 'thin-pack': // permission to send a thin pack (deltas against what the client has)
      case 'no-progress':
      case 'include-tag':
      case 'ofs-delta':
      case 'wait-for-done': // we are never "ready" before "done" anyway
        flags.add(key);
        break;
      default:
        throw reader.error(`unsupported fetch argument ${JSON.stringify(a.slice(0, 80))}`);
    }
  }
  if (wants.length === 0) throw reader.error('fetch without any "want"');
  await checkWants(repo, wants, reader);
  const common = await commonHaves(repo, haves);
  if (!done) {
    const out: Uint8Array[] = [pktLine('acknowledgments\n')];
    if (common.length === 0) out.push(pktLine('NAK\n'));
    for (const id of common) out.push(pktLine(`ACK ${id}\n`));
    out.push(FLUSH_PKT);
    yield concatAll(out);
    return;
  }
  yield pktLine('packfile\n');
  yield* sendPack(repo, {
    wants, haves: common, sideband: true,
    progress: !flags.has('no-progress'),
    ofsDelta: flags.has('ofs-delta'),
    includeTag: flags.has('include-tag'),
    thinPack: flags.has('thin-pack'),
  }, options);
  yield FLUSH_PKT;
}
