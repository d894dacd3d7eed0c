/**
 * Git's reachability bitmaps (pack-*.bitmap, gitformat-pack "bitmap-format", version 1): for some
 * commits of a pack, the set of every object they reach, one bit per object in pack order (by
 * offset). `git gc` and `git repack -b` write them for bare repositories; with one, the objects of a
 * clone are known without inflating a single tree. Bitmaps are EWAH-compressed and may be stored
 * XORed with an earlier one.
 */
import type { ObjectId } from '../id.js';
import type { ObjectType } from '../object.js';
import { toHex } from '../bytes.js';
import type { PackIndex } from './pack-index.js';
import { StoreError } from '../../errors.js';

const SIGNATURE = 0x4249544d; // "BITM"
/** Every commit's bitmap holds all it reaches (git refuses bitmaps without it). */
const OPT_FULL_DAG = 1;

/** A bitmap as 32-bit words, bit i of the pack order at word i >> 5, bit i & 31. */
export type Bits = Uint32Array;

interface Ewah {
  /** Byte offset of the EWAH's first word in the file, and how many 64-bit words it has. */
  wordsAt: number;
  words: number;
}

interface Entry {
  ewah: Ewah;
  /** Index of the entry this one is XORed with, or -1. */
  xorWith: number;
  bits: Bits | undefined;
}

function corrupt(file: string, why: string): StoreError {
  return new StoreError('corrupt-pack', `${file}: bad bitmap: ${why}`, { file });
}

export class PackBitmap {
  private readonly view: DataView;
  private readonly entries: Entry[] = [];
  /** Entry index by the commit's id. */
  private readonly byCommit = new Map<ObjectId, number>();
  private readonly types: Record<ObjectType, Ewah>;
  private readonly typeBits = new Map<ObjectType, Bits>();
  /** Objects in the pack: bitmaps have at most this many bits. */
  readonly count: number;

  /**
   * Parses `bytes` for the pack that `index` describes. Throws StoreError('corrupt-pack') when the
   * file is damaged or belongs to another pack (its checksum differs from the index's record).
   */
  constructor(private readonly bytes: Uint8Array, index: PackIndex, readonly file: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.count = index.count;
    const v = this.view;
    if (bytes.length < 32 + 20 || v.getUint32(0) !== SIGNATURE) throw corrupt(file, 'no BITM signature');
    if (v.getUint16(4) !== 1) throw corrupt(file, `unsupported version ${v.getUint16(4)}`);
    const flags = v.getUint16(6);
    if (!(flags & OPT_FULL_DAG)) throw corrupt(file, 'not a full-closure bitmap');
    const n = v.getUint32(8);
    if (toHex(bytes, 12, 32) !== index.packChecksum) throw corrupt(file, 'written for another pack');
    let at = 32;
    const ewah = (): Ewah => {
      if (at + 8 > bytes.length) throw corrupt(file, 'truncated');
      const words = v.getUint32(at + 4);
      const e = { wordsAt: at + 8, words };
      at += 8 + words * 8 + 4;
      if (at > bytes.length) throw corrupt(file, 'truncated');
      return e;
    };
    this.types = { commit: ewah(), tree: ewah(), blob: ewah(), tag: ewah() };
    for (let k = 0; k < n; k++) {
      if (at + 6 > bytes.length) throw corrupt(file, 'truncated');
      const position = v.getUint32(at);
      const xor = bytes[at + 4]!;
      at += 6;
      if (position >= index.count) throw corrupt(file, `entry ${k} names object ${position} of ${index.count}`);
      if (xor > k) throw corrupt(file, `entry ${k} is XORed with one before the first`);
      this.byCommit.set(index.idAt(position), k);
      this.entries.push({ ewah: ewah(), xorWith: xor === 0 ? -1 : k - xor, bits: undefined });
    }
    // A name-hash cache and a lookup table may follow; neither is needed here.
  }

  has(commit: ObjectId): boolean {
    return this.byCommit.has(commit);
  }

  /** Everything `commit` reaches (itself included), or undefined when it has no bitmap. */
  reachable(commit: ObjectId): Bits | undefined {
    const k = this.byCommit.get(commit);
    return k === undefined ? undefined : this.entryBits(k);
  }

  /** The objects of one type. */
  ofType(type: ObjectType): Bits {
    let b = this.typeBits.get(type);
    if (!b) this.typeBits.set(type, (b = this.decode(this.types[type])));
    return b;
  }

  private entryBits(k: number): Bits {
    // XOR chains run backwards; resolve from the oldest undecoded one up.
    const chain: number[] = [];
    for (let x = k; x >= 0 && !this.entries[x]!.bits; x = this.entries[x]!.xorWith) chain.push(x);
    for (let i = chain.length - 1; i >= 0; i--) {
      const e = this.entries[chain[i]!]!;
      const bits = this.decode(e.ewah);
      if (e.xorWith >= 0) {
        const base = this.entries[e.xorWith]!.bits!;
        for (let w = 0; w < bits.length; w++) bits[w]! ^= base[w]!;
      }
      e.bits = bits;
    }
    return this.entries[k]!.bits!;
  }

  /**
   * EWAH: a sequence of "running length words", each followed by literal words. An RLW's bit 0 is
   * the bit a run repeats, bits 1-32 the run's length in 64-bit words, bits 33-63 how many literal
   * words follow. Words are big-endian 64-bit; here each is taken as two 32-bit halves.
   */
  private decode(e: Ewah): Bits {
    const out = new Uint32Array(((this.count + 63) >>> 6) * 2);
    const v = this.view;
    let word = 0; // 64-bit words produced so far
    for (let i = 0; i < e.words; ) {
      const hi = v.getUint32(e.wordsAt + i * 8);
      const lo = v.getUint32(e.wordsAt + i * 8 + 4);
      i++;
      const bit = lo & 1;
      const run = (lo >>> 1) + (hi & 1) * 0x80000000;
      const literals = hi >>> 1;
      if (word + run + literals > out.length / 2 || i + literals > e.words) throw corrupt(this.file, 'bitmap longer than the pack');
      if (bit) out.fill(0xffffffff, word * 2, (word + run) * 2);
      word += run;
      for (let l = 0; l < literals; l++, i++, word++) {
        out[word * 2 + 1] = v.getUint32(e.wordsAt + i * 8);
        out[word * 2] = v.getUint32(e.wordsAt + i * 8 + 4);
      }
    }
    return out;
  }
}
