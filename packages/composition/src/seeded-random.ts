import { createHash } from 'node:crypto';
import type { Random } from './devices.js';

/**
 * Randomness that repeats from a seed, for tests: SHA-256 of seed and counter, block after block.
 * Never for keys or secrets in a real deployment (the node target draws from the OS).
 */
export class SeededRandom implements Random {
  private counter = 0;
  private pool = Buffer.alloc(0);

  constructor(private readonly seed: string) {}

  bytes(n: number): Uint8Array {
    while (this.pool.length < n) {
      const block = createHash('sha256').update(`${this.seed}\0${this.counter++}`).digest();
      this.pool = Buffer.concat([this.pool, block]);
    }
    const out = this.pool.subarray(0, n);
    this.pool = this.pool.subarray(n);
    return new Uint8Array(out);
  }
}
