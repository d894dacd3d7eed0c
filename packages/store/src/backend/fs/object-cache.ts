import type { ObjectId } from '../../git/id.js';
import type { RawObject } from '../../git/object.js';

/**
 * Recently read objects, least recently used dropped first, bounded by total body bytes. Objects never
 * change once written, so entries never need invalidating. Big objects are not cached: they would push
 * out many small hot ones (trees, commits) for a single read.
 */
export class ObjectCache {
  private readonly map = new Map<ObjectId, RawObject>();
  private bytes = 0;

  constructor(private readonly budget: number, private readonly maxObject = budget / 16) {}

  get(id: ObjectId): RawObject | undefined {
    const o = this.map.get(id);
    if (o) {
      // Re-inserting moves it to the end of the Map's iteration order: most recently used.
      this.map.delete(id);
      this.map.set(id, o);
    }
    return o;
  }

  has(id: ObjectId): boolean {
    return this.map.has(id);
  }

  set(id: ObjectId, o: RawObject): void {
    if (o.body.length > this.maxObject || this.map.has(id)) return;
    this.map.set(id, o);
    this.bytes += o.body.length + 64; // + bookkeeping, so many empty objects still count
    for (const [k, v] of this.map) {
      if (this.bytes <= this.budget) break;
      this.map.delete(k);
      this.bytes -= v.body.length + 64;
    }
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }
}
