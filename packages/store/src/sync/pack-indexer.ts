/**
 * Indexes a pack as it arrives from a peer (git's index-pack): parses entries in order while bytes
 * stream in, checks the trailing SHA-1, resolves every delta to learn its object id, completes a thin
 * pack with the bases it lacks, and builds the .idx. Nothing is stored here: the caller decides what
 * to do with a pack that passed every check, so a bad pack leaves no trace.
 */
import { concat, fromHex, toHex } from '../git/bytes.js';
import type { ObjectId } from '../git/id.js';
import { FramingHasher, type ObjectType, type RawObject, type Sha1 } from '../git/object.js';
import { applyDelta } from '../git/pack/delta.js';
import { encodePackIndex, type PackIndexEntry } from '../git/pack/pack-index.js';
import {
  CODE_BY_TYPE, HEADER_BYTES, OFS_DELTA, PACK_SIGNATURE, REF_DELTA, TRAILER_BYTES, TYPE_BY_CODE, deflateBound,
} from '../git/pack/pack-reader.js';
import type { Zlib } from '../git/pack/types.js';
import { encodeEntryHeader, parseEntryHeader, type EntryHeader } from '../git/pack/entry-header.js';
import { StoreError } from '../errors.js';

export interface IndexPackOptions {
  zlib: Zlib;
  sha1: Sha1;
  /**
   * Bases of REF_DELTA entries missing from the pack (a thin pack) are looked up here and appended to
   * the pack, as `git index-pack --fix-thin` does. Without it a missing base is a corrupt-pack error.
   */
  readExternal?: (id: ObjectId) => Promise<RawObject | undefined>;
  onProgress?: (phase: 'receiving' | 'resolving', done: number, total: number) => void;
  /** Names the source in errors, e.g. "pack from http://host/repo". */
  where?: string;
  /** Refuse a pack larger than this many bytes (default: no limit). */
  maxBytes?: number;
}

export interface IndexedPack {
  /** The complete pack (thin bases appended; header count and trailer rewritten if so). */
  pack: Uint8Array;
  /** Its .idx, version 2. */
  index: Uint8Array;
  /** Hex of the pack's trailing SHA-1 (files are pack-<checksum>.pack/.idx). */
  checksum: string;
  /** Every object id in the pack. */
  ids: ObjectId[];
}

/** One entry as received. Deltas keep their inflated instructions until resolved; whole objects keep nothing. */
interface Entry {
  offset: number;
  /** Where its zlib stream starts. */
  dataAt: number;
  end: number;
  code: number;
  size: number;
  crc32: number;
  baseOffset: number;
  baseId: ObjectId | undefined;
  delta: Uint8Array | undefined;
  id: ObjectId | undefined;
  type: ObjectType | undefined;
}

/** A pack's bytes as they arrive, in one buffer that grows by doubling (no quadratic concatenation). */
class Incoming {
  bytes: Uint8Array = new Uint8Array(64 << 10);
  length = 0;
  done = false;
  private readonly chunks: AsyncIterator<Uint8Array> | undefined;

  constructor(data: Uint8Array | AsyncIterable<Uint8Array>, private readonly fail: (why: string) => StoreError, private readonly maxBytes: number) {
    if (data instanceof Uint8Array) {
      this.check(data.length);
      this.bytes = data;
      this.length = data.length;
      this.done = true;
    } else {
      this.chunks = data[Symbol.asyncIterator]();
    }
  }

  private check(n: number): void {
    if (n > this.maxBytes) throw this.fail(`pack is larger than the ${this.maxBytes}-byte limit`);
  }

  /** Reads one more chunk; false at the end of the stream. */
  async more(): Promise<boolean> {
    if (this.done) return false;
    for (;;) {
      const r = await this.chunks!.next();
      if (r.done) {
        this.done = true;
        return false;
      }
      const chunk = r.value;
      if (chunk.length === 0) continue;
      const need = this.length + chunk.length;
      this.check(need);
      if (need > this.bytes.length) {
        const grown = new Uint8Array(Math.max(need, this.bytes.length * 2));
        grown.set(this.bytes.subarray(0, this.length));
        this.bytes = grown;
      }
      this.bytes.set(chunk, this.length);
      this.length = need;
      return true;
    }
  }

  /** Ensures `n` bytes are buffered; false if the stream ends first. */
  async fill(n: number): Promise<boolean> {
    while (this.length < n) if (!(await this.more())) return false;
    return true;
  }

  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

export async function indexPack(data: Uint8Array | AsyncIterable<Uint8Array>, options: IndexPackOptions): Promise<IndexedPack> {
  const { zlib, sha1, onProgress } = options;
  const where = options.where ?? 'pack';
  const fail = (why: string, cause?: unknown): StoreError =>
    new StoreError('corrupt-pack', `${where}: ${why}`, { where }, cause === undefined ? undefined : { cause });
  const input = new Incoming(data, fail, options.maxBytes ?? Infinity);

  // ---- receiving: parse every entry in order as the bytes arrive ----
  if (!(await input.fill(HEADER_BYTES))) {
    throw fail(input.length === 0 ? 'empty pack (no data received)' : `truncated: only ${input.length} bytes, no complete pack header`);
  }
  const head = input.view();
  for (let i = 0; i < 4; i++) if (head[i] !== PACK_SIGNATURE[i]) throw fail('does not start with "PACK" (not a pack)');
  const headView = new DataView(head.buffer, head.byteOffset, HEADER_BYTES);
  const version = headView.getUint32(4);
  if (version !== 2 && version !== 3) throw fail(`unsupported pack version ${version}`);
  const count = headView.getUint32(8);

  const entries: Entry[] = [];
  const byOffset = new Map<number, Entry>();
  const hasher = new FramingHasher(sha1);
  let pos = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    let header: EntryHeader | undefined;
    while (!(header = parseEntryHeader(input.view(), pos, pos, fail))) {
      if (!(await input.more())) throw fail(`truncated: stream ended in the header of object ${i + 1} of ${count} (offset ${pos})`);
    }
    const dataAt = pos + header.length;
    const { out, consumed } = await inflateEntry(input, dataAt, header.size, zlib, () => `object ${i + 1} of ${count} (offset ${pos})`, fail);
    if (out.length !== header.size) {
      throw fail(`object ${i + 1} of ${count} (offset ${pos}) inflates to ${out.length} bytes, its header says ${header.size}`);
    }
    const end = dataAt + consumed;
    if (end > input.length) throw fail(`truncated: stream ended inside object ${i + 1} of ${count} (offset ${pos})`);
    const entry: Entry = {
      offset: pos, dataAt, end, code: header.code, size: header.size,
      crc32: zlib.crc32(input.bytes.subarray(pos, end)) >>> 0,
      baseOffset: header.baseOffset, baseId: header.baseId, delta: undefined, id: undefined, type: undefined,
    };
    const type = TYPE_BY_CODE[header.code];
    if (type) {
      entry.type = type;
      entry.id = hasher.id(type, out);
    } else {
      if (header.code === OFS_DELTA && !byOffset.has(header.baseOffset)) {
        throw fail(`delta at offset ${pos} refers to offset ${header.baseOffset}, where no object starts`);
      }
      entry.delta = out;
    }
    entries.push(entry);
    byOffset.set(pos, entry);
    pos = end;
    onProgress?.('receiving', i + 1, count);
  }

  // The trailer, then nothing.
  while (await input.more()) { /* read to the end: trailing bytes are an error, not ignored */ }
  if (input.length < pos + TRAILER_BYTES) {
    throw fail(`truncated: ${input.length - pos} of the ${TRAILER_BYTES} trailer bytes after ${count} objects`);
  }
  if (input.length > pos + TRAILER_BYTES) {
    throw fail(`${input.length - pos - TRAILER_BYTES} bytes of garbage after the pack's trailer`);
  }
  const received = input.view();
  const trailer = toHex(received, pos, pos + TRAILER_BYTES);
  const actual = sha1(received.subarray(0, pos));
  if (actual !== trailer) throw fail(`checksum is ${trailer} but the data hashes to ${actual} (damaged in transit?)`);

  // ---- resolving: apply every delta to its base, from whole objects down the delta trees ----
  const ofsChildren = new Map<number, Entry[]>();
  const refChildren = new Map<ObjectId, Entry[]>();
  const deltaCount = entries.reduce((n, e) => n + (e.type ? 0 : 1), 0);
  const byId = new Map<ObjectId, Entry>();
  for (const e of entries) {
    if (e.code === OFS_DELTA) push(ofsChildren, e.baseOffset, e);
    else if (e.code === REF_DELTA) push(refChildren, e.baseId!, e);
    else byId.set(e.id!, e);
  }
  let resolved = 0;
  const reportEvery = Math.max(1, Math.floor(deltaCount / 100));
  /** Resolves every delta below `root`, depth first, keeping only the bodies along the current path. */
  const resolveFrom = (root: { offset: number; id: ObjectId; type: ObjectType; body: Uint8Array }): void => {
    const stack = [root];
    while (stack.length > 0) {
      const base = stack.pop()!;
      const byOffset = ofsChildren.get(base.offset);
      const byRef = refChildren.get(base.id);
      if (!byOffset && !byRef) continue;
      if (byOffset) ofsChildren.delete(base.offset);
      if (byRef) refChildren.delete(base.id);
      const kids = byOffset && byRef ? byOffset.concat(byRef) : (byOffset ?? byRef)!;
      for (const kid of kids) {
        let body: Uint8Array;
        try {
          body = applyDelta(base.body, kid.delta!, `${where}, delta at offset ${kid.offset}`);
        } catch (e) {
          throw fail(`delta at offset ${kid.offset} does not apply to its base ${base.id}: ${(e as Error).message}`, e);
        }
        kid.delta = undefined;
        kid.type = base.type;
        kid.id = hasher.id(base.type, body);
        if (!byId.has(kid.id)) byId.set(kid.id, kid);
        resolved++;
        if (onProgress && (resolved % reportEvery === 0 || resolved === deltaCount)) onProgress('resolving', resolved, deltaCount);
        stack.push({ offset: kid.offset, id: kid.id, type: base.type, body });
      }
    }
  };
  for (const e of entries) {
    if (e.code === OFS_DELTA || e.code === REF_DELTA) continue;
    if (!ofsChildren.has(e.offset) && !refChildren.has(e.id!)) continue;
    const body = zlib.inflate(received.subarray(e.dataAt, e.end), e.size).out;
    resolveFrom({ offset: e.offset, id: e.id!, type: e.type!, body });
  }

  // Bases the pack does not hold: a thin pack's, taken from the local repository and appended.
  const appended: { id: ObjectId; type: ObjectType; body: Uint8Array }[] = [];
  while (refChildren.size > 0) {
    const [baseId] = refChildren.keys();
    const ext = options.readExternal ? await options.readExternal(baseId!) : undefined;
    if (!ext) {
      const kid = refChildren.get(baseId!)![0]!;
      throw fail(`delta at offset ${kid.offset} needs base ${baseId}, which is neither in the pack nor available locally`);
    }
    appended.push({ id: baseId!, type: ext.type, body: ext.body });
    resolveFrom({ offset: -1, id: baseId!, type: ext.type, body: ext.body });
  }
  if (resolved !== deltaCount) {
    const stuck = entries.find((e) => e.id === undefined)!;
    throw fail(`delta at offset ${stuck.offset} cannot be resolved (its bases form a cycle or are corrupt)`);
  }
  if (deltaCount === 0) onProgress?.('resolving', 0, 0);

  // ---- the pack as it will be stored, and its index ----
  const indexEntries: PackIndexEntry[] = entries.map((e) => ({ id: e.id!, offset: e.offset, crc32: e.crc32 }));
  let pack: Uint8Array;
  let trailerBytes: Uint8Array;
  if (appended.length === 0) {
    // Copied out of the growable buffer, which may be up to twice as large as the pack.
    pack = data instanceof Uint8Array ? data : received.slice();
    trailerBytes = pack.subarray(pos, pos + TRAILER_BYTES);
  } else {
    const parts: Uint8Array[] = [received.subarray(0, pos)];
    let at = pos;
    for (const a of appended) {
      const entryHead = encodeEntryHeader(CODE_BY_TYPE[a.type], a.body.length);
      const packed = zlib.deflate(a.body);
      indexEntries.push({ id: a.id, offset: at, crc32: zlib.crc32(packed, zlib.crc32(entryHead)) >>> 0 });
      parts.push(entryHead, packed);
      at += entryHead.length + packed.length;
    }
    parts.push(new Uint8Array(TRAILER_BYTES));
    pack = concat(parts);
    new DataView(pack.buffer, pack.byteOffset, HEADER_BYTES).setUint32(8, count + appended.length);
    trailerBytes = fromHex(sha1(pack.subarray(0, at)));
    pack.set(trailerBytes, at);
  }
  const index = encodeIndex(indexEntries, trailerBytes, sha1, fail);
  return { pack, index, checksum: toHex(trailerBytes), ids: indexEntries.map((e) => e.id) };
}

/**
 * Inflates the entry whose zlib stream starts at `dataAt`, reading more of the stream as needed. A zlib
 * stream can only be told complete by inflating it, so a failed attempt is retried once the buffered
 * bytes have doubled: a big entry arriving in many small chunks costs a few inflates, not one per chunk.
 */
async function inflateEntry(
  input: Incoming, dataAt: number, size: number, zlib: Zlib, what: () => string, fail: (why: string, cause?: unknown) => StoreError,
): Promise<{ out: Uint8Array; consumed: number }> {
  // Wait for as many bytes as zlib could possibly need first: inflating a stream cut short throws,
  // and an exception per entry (stack trace and all) costs more than the inflating.
  await input.fill(dataAt + deflateBound(size));
  let tried = 0;
  for (;;) {
    const available = input.length - dataAt;
    if (available > tried) {
      try {
        return zlib.inflate(input.bytes.subarray(dataAt, input.length), size);
      } catch (e) {
        if (input.done) throw fail(`${what()} does not inflate (truncated or corrupt): ${(e as Error).message}`, e);
        tried = available;
      }
    }
    if (!(await input.fill(dataAt + Math.max(1, 2 * tried))) && input.length - dataAt <= tried) {
      throw fail(`truncated: stream ended inside ${what()}`);
    }
  }
}

function encodeIndex(entries: PackIndexEntry[], trailer: Uint8Array, sha1: Sha1, fail: (why: string) => StoreError): Uint8Array {
  try {
    return encodePackIndex(entries, trailer, sha1);
  } catch (e) {
    // The only way a received pack gets here: the same object twice.
    throw fail((e as Error).message);
  }
}

function push<K>(map: Map<K, Entry[]>, key: K, e: Entry): void {
  const list = map.get(key);
  if (list) list.push(e);
  else map.set(key, [e]);
}

