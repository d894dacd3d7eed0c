/**
 * A Bloom filter over object ids: "certainly not here" for most ids a set of packs does not hold, in
 * one check instead of a lookup in every pack's index. A write checks each new object against every
 * pack before storing it, and a busy store has a dozen packs or more (see auto-pack.ts).
 *
 * An id is already uniformly random (a SHA-1), so the bit positions are four of its 32-bit words, no
 * hashing. About 16 bits per id and four positions answer "maybe" for about 0.2% of the ids absent.
 */
const ID_BYTES = 20;
const BITS_PER_ID = 16;
const MIN_BITS = 1 << 15;
const MAX_BITS = 2 ** 32;

export class IdFilter {
  private readonly words: Int32Array;
  private readonly mask: number;
  /** How many ids it was sized for: past that, the caller builds a larger one. */
  readonly capacity: number;
  private added = 0;

  constructor(capacity: number) {
    let bits = MIN_BITS;
    while (bits < capacity * BITS_PER_ID && bits < MAX_BITS) bits *= 2;
    this.words = new Int32Array(bits / 32);
    this.mask = bits - 1;
    this.capacity = Math.floor(bits / BITS_PER_ID);
  }

  /** Ids added so far (with repeats). */
  get size(): number {
    return this.added;
  }

  /** Adds the id whose 20 bytes start at `at` in `bytes`. */
  addAt(bytes: Uint8Array, at: number): void {
    for (let k = 4; k < ID_BYTES; k += 4) {
      const bit = (word(bytes, at + k) & this.mask) >>> 0;
      this.words[bit >>> 5]! |= 1 << (bit & 31);
    }
    this.added++;
  }

  /** False when the id (20 bytes) was certainly never added. */
  mightHave(id: Uint8Array): boolean {
    for (let k = 4; k < ID_BYTES; k += 4) {
      const bit = (word(id, k) & this.mask) >>> 0;
      if ((this.words[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

function word(b: Uint8Array, at: number): number {
  return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
}
