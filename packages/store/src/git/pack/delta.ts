/**
 * Git's delta format (gitformat-pack, "Deltified representation"): two size varints (base, result),
 * then instructions that either copy a range of the base or insert literal bytes.
 */
import { StoreError } from '../../errors.js';

/** Git's encoders never copy more than this per instruction, and a copy size of 0 means exactly this. */
const MAX_COPY = 0x10000;
/** An insert instruction carries its length in the low 7 bits of the opcode. */
const MAX_INSERT = 0x7f;

function corrupt(where: string, why: string): StoreError {
  return new StoreError('corrupt-pack', `${where}: bad delta: ${why}`, { where });
}

/** Reads a little-endian base-128 size. Multiplies instead of shifting so sizes past 2^31 stay exact. */
function readSize(delta: Uint8Array, pos: number, where: string): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (pos >= delta.length) throw corrupt(where, 'truncated size header');
    const b = delta[pos++]!;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return [value, pos];
    scale *= 128;
    if (scale > Number.MAX_SAFE_INTEGER) throw corrupt(where, 'size header too long');
  }
}

export function applyDelta(base: Uint8Array, delta: Uint8Array, where: string): Uint8Array {
  let [baseSize, pos] = readSize(delta, 0, where);
  if (baseSize !== base.length) {
    throw corrupt(where, `delta expects a base of ${baseSize} bytes, base has ${base.length}`);
  }
  let resultSize: number;
  [resultSize, pos] = readSize(delta, pos, where);
  // One instruction byte yields at most one inserted byte or one copy of (at most) the whole base, so a
  // larger claim is corrupt, and must be refused before we allocate it.
  if (resultSize > (delta.length - pos) * Math.max(1, Math.min(base.length, 0xffffff))) {
    throw corrupt(where, `implausible result size ${resultSize}`);
  }
  const out = new Uint8Array(resultSize);
  let o = 0;
  while (pos < delta.length) {
    const op = delta[pos++]!;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      // Bits 0-3 say which offset bytes follow, bits 4-6 which size bytes; absent bytes are zero.
      for (let bit = 0; bit < 4; bit++) {
        if (op & (1 << bit)) {
          if (pos >= delta.length) throw corrupt(where, 'truncated copy instruction');
          offset += delta[pos++]! * 2 ** (8 * bit);
        }
      }
      for (let bit = 0; bit < 3; bit++) {
        if (op & (0x10 << bit)) {
          if (pos >= delta.length) throw corrupt(where, 'truncated copy instruction');
          size += delta[pos++]! << (8 * bit);
        }
      }
      if (size === 0) size = MAX_COPY;
      if (offset + size > base.length) {
        throw corrupt(where, `copy of ${size} bytes at ${offset} runs past the ${base.length}-byte base`);
      }
      if (o + size > resultSize) throw corrupt(where, `result overflows its declared ${resultSize} bytes`);
      out.set(base.subarray(offset, offset + size), o);
      o += size;
    } else if (op !== 0) {
      if (pos + op > delta.length) throw corrupt(where, 'truncated insert instruction');
      if (o + op > resultSize) throw corrupt(where, `result overflows its declared ${resultSize} bytes`);
      out.set(delta.subarray(pos, pos + op), o);
      pos += op;
      o += op;
    } else {
      throw corrupt(where, 'reserved instruction 0');
    }
  }
  if (o !== resultSize) throw corrupt(where, `result has ${o} bytes, delta declares ${resultSize}`);
  return out;
}

// ---- encoder ----

/**
 * Bytes per indexed block of the base. Smaller finds more matches but makes a larger index and more
 * spurious probes; 16 is what git uses and suits tree entries (~30-60 bytes each).
 */
const BLOCK = 16;
const HASH_MUL = 0x01000193;
/** HASH_MUL^(BLOCK-1) mod 2^32: the weight of the byte leaving the rolling window. */
const OUT_WEIGHT = (() => {
  let w = 1;
  for (let i = 1; i < BLOCK; i++) w = Math.imul(w, HASH_MUL);
  return w;
})();

function blockHash(data: Uint8Array, at: number): number {
  let h = 0;
  for (let i = 0; i < BLOCK; i++) h = (Math.imul(h, HASH_MUL) + data[at + i]!) | 0;
  return h;
}

/**
 * A similarity key: the smallest (mixed) hash over every BLOCK-byte window of the data. Two versions
 * of one file share it unless an edit touched that one window, and since it is taken at every
 * position rather than at aligned blocks, insertions do not shift it away. Lets the pack writer
 * bring likely delta pairs together without knowing paths. 0 for data shorter than a block.
 */
export function similarityKey(data: Uint8Array): number {
  if (data.length < BLOCK) return 0;
  let hash = blockHash(data, 0);
  let min = 0xffffffff;
  for (let i = 0; ; i++) {
    const mixed = Math.imul(hash, 0x9e3779b1) >>> 0;
    if (mixed < min) min = mixed;
    if (i + BLOCK >= data.length) return min;
    hash = (Math.imul(hash - Math.imul(data[i]!, OUT_WEIGHT), HASH_MUL) + data[i + BLOCK]!) | 0;
  }
}

/**
 * A hash table from the hash of each aligned BLOCK of a base to the block's position (+1; 0 = empty).
 * Collisions overwrite, keeping the later block: cheap, and any verified match is still correct.
 * Reusable across several targets, which is how the pack writer tries one base against many objects.
 */
export class DeltaIndex {
  readonly base: Uint8Array;
  private readonly table: Uint32Array;
  private readonly shift: number;

  constructor(base: Uint8Array) {
    this.base = base;
    const blocks = Math.floor(base.length / BLOCK);
    let bits = 4;
    while (1 << bits < blocks * 2 && bits < 24) bits++;
    this.table = new Uint32Array(1 << bits);
    this.shift = 32 - bits;
    // Offsets in copy instructions are 32-bit, so blocks past 4 GiB cannot be referenced.
    const limit = Math.min(blocks, Math.floor(0xffffffff / BLOCK));
    for (let b = 0; b < limit; b++) {
      this.table[this.slot(blockHash(base, b * BLOCK))] = b * BLOCK + 1;
    }
  }

  slot(hash: number): number {
    return Math.imul(hash, 0x9e3779b1) >>> this.shift;
  }

  /** Base position of a block whose hash matches, or -1. The caller must compare the bytes. */
  lookup(hash: number): number {
    return this.table[this.slot(hash)]! - 1;
  }
}

/**
 * Scratch space shared by all createDelta calls (they are synchronous, so never concurrent): the pack
 * writer tries many candidate bases per object and most attempts fail, so allocating per attempt
 * would dominate. Kept only while small.
 */
let scratch = new Uint8Array(4096);
const MAX_SCRATCH = 1 << 20;

/** Collects delta bytes in a growable buffer and gives up as soon as it exceeds `limit`. */
class DeltaBuffer {
  bytes: Uint8Array = scratch;
  length = 0;
  readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  /** Makes room for n more bytes; false when that would pass the limit. */
  reserve(n: number): boolean {
    const need = this.length + n;
    if (need > this.limit) return false;
    if (need > this.bytes.length) {
      const grown = new Uint8Array(Math.min(Math.max(need, this.bytes.length * 2), this.limit));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
      if (grown.length <= MAX_SCRATCH) scratch = grown;
    }
    return true;
  }
  size(n: number): boolean {
    let v = n;
    do {
      if (!this.reserve(1)) return false;
      const low = v % 128;
      v = Math.floor(v / 128);
      this.bytes[this.length++] = low | (v > 0 ? 0x80 : 0);
    } while (v > 0);
    return true;
  }
  insert(src: Uint8Array, from: number, to: number): boolean {
    for (let p = from; p < to; p += MAX_INSERT) {
      const n = Math.min(MAX_INSERT, to - p);
      if (!this.reserve(n + 1)) return false;
      this.bytes[this.length++] = n;
      this.bytes.set(src.subarray(p, p + n), this.length);
      this.length += n;
    }
    return true;
  }
  copy(offset: number, size: number): boolean {
    for (let done = 0; done < size; ) {
      const n = Math.min(MAX_COPY, size - done);
      const off = offset + done;
      if (!this.reserve(8)) return false;
      const at = this.length++;
      let op = 0x80;
      // Only non-zero bytes are written; the opcode's bits say which ones are present.
      for (let bit = 0; bit < 4; bit++) {
        const byte = Math.floor(off / 2 ** (8 * bit)) & 0xff;
        if (byte) {
          op |= 1 << bit;
          this.bytes[this.length++] = byte;
        }
      }
      const sizeField = n === MAX_COPY ? 0 : n;
      for (let bit = 0; bit < 3; bit++) {
        const byte = (sizeField >> (8 * bit)) & 0xff;
        if (byte) {
          op |= 0x10 << bit;
          this.bytes[this.length++] = byte;
        }
      }
      this.bytes[at] = op;
      done += n;
    }
    return true;
  }
}

/**
 * A delta turning `base` into `target`, or undefined when it would not be worth it: when it is not
 * smaller than `maxSize` (default 90% of the target, since a delta also costs a base lookup on read).
 * Pass a DeltaIndex instead of the base to reuse the base's index across targets.
 */
export function createDelta(
  base: Uint8Array | DeltaIndex,
  target: Uint8Array,
  maxSize = Math.floor(target.length * 0.9),
): Uint8Array | undefined {
  const index = base instanceof DeltaIndex ? base : new DeltaIndex(base);
  const src = index.base;
  const out = new DeltaBuffer(maxSize);
  if (!out.size(src.length) || !out.size(target.length)) return undefined;

  let pending = 0; // start of target bytes not yet emitted (they become an insert)
  let i = 0;
  let hash = target.length >= BLOCK ? blockHash(target, 0) : 0;
  while (i + BLOCK <= target.length) {
    const at = index.lookup(hash);
    if (at >= 0) {
      // Verify and extend forward; the hash only says the block probably matches.
      let len = 0;
      const maxLen = Math.min(src.length - at, target.length - i);
      while (len < maxLen && src[at + len] === target[i + len]) len++;
      if (len >= BLOCK) {
        // Extend backward into bytes that would otherwise be inserted.
        let back = 0;
        while (i - back > pending && at - back > 0 && src[at - back - 1] === target[i - back - 1]) back++;
        if (!out.insert(target, pending, i - back) || !out.copy(at - back, len + back)) return undefined;
        i += len;
        pending = i;
        if (i + BLOCK <= target.length) hash = blockHash(target, i);
        continue;
      }
    }
    // Bytes not matched so far will cost at least as much as inserts: give up as soon as they cannot fit.
    if (out.length + (i - pending) >= out.limit) return undefined;
    if (i + BLOCK < target.length) {
      hash = (Math.imul(hash - Math.imul(target[i]!, OUT_WEIGHT), HASH_MUL) + target[i + BLOCK]!) | 0;
    }
    i++;
  }
  if (!out.insert(target, pending, target.length)) return undefined;
  return out.bytes.slice(0, out.length);
}

/**
 * A delta for an edit: `target` is `base` with one run of bytes replaced (a directory with one entry
 * added, changed or removed; a record with one field changed). It copies the common prefix and suffix
 * and inserts what lies between, so it costs one comparison pass and no index. Undefined when the
 * result would not be smaller than `maxSize` (the edit was not a single small run).
 */
export function editDelta(base: Uint8Array, target: Uint8Array, maxSize = Math.floor(target.length / 4)): Uint8Array | undefined {
  const shorter = Math.min(base.length, target.length);
  let prefix = 0;
  while (prefix < shorter && base[prefix] === target[prefix]) prefix++;
  let suffix = 0;
  const room = shorter - prefix;
  while (suffix < room && base[base.length - 1 - suffix] === target[target.length - 1 - suffix]) suffix++;
  // Inserted bytes cost about themselves: give up before building when they alone pass the limit.
  if (target.length - prefix - suffix >= maxSize) return undefined;
  const out = new DeltaBuffer(maxSize);
  if (!out.size(base.length) || !out.size(target.length)) return undefined;
  if (prefix > 0 && !out.copy(0, prefix)) return undefined;
  if (!out.insert(target, prefix, target.length - suffix)) return undefined;
  if (suffix > 0 && !out.copy(base.length - suffix, suffix)) return undefined;
  return out.bytes.slice(0, out.length);
}
