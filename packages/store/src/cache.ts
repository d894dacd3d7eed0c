/**
 * A least-recently-used map bounded by a total weight (entries count 1 each unless weighed).
 * Git objects never change, so cached parsed trees and commits never need invalidation.
 */
export class Lru<K, V> {
  private readonly map = new Map<K, { value: V; weight: number; stamp: number }>();
  private total = 0;
  /** Counts insertions and moves to the young end: an entry's stamp says how recently it got there. */
  private clock = 0;
  /**
   * @param maxWeight entries heavier than this are not kept: one big value would push out many small hot ones.
   */
  constructor(
    private readonly capacity: number,
    private readonly weigh: (v: V) => number = () => 1,
    private readonly maxWeight = capacity,
  ) {}

  has(key: K): boolean {
    return this.map.has(key);
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }

  get(key: K): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    // Moving an entry to the young end (iteration order is eviction order) costs a delete and an insert,
    // which for the few hot trees every read goes through was most of the cost of a hit. One that got
    // there within the last half of the map's turnover stays where it is: eviction is then
    // least-recently-used to within half the map, and far from the entries that matter.
    if (this.clock - e.stamp > this.map.size >>> 1) {
      this.map.delete(key);
      this.map.set(key, e);
      e.stamp = ++this.clock;
    }
    return e.value;
  }

  set(key: K, value: V): void {
    const old = this.map.get(key);
    if (old) {
      this.total -= old.weight;
      this.map.delete(key);
    }
    const weight = this.weigh(value);
    if (weight > this.maxWeight) return;
    this.map.set(key, { value, weight, stamp: ++this.clock });
    this.total += weight;
    // Checked first: starting the iteration costs an iterator and an entry pair, on every set.
    if (this.total <= this.capacity) return;
    for (const [k, e] of this.map) {
      if (this.total <= this.capacity) break;
      this.map.delete(k);
      this.total -= e.weight;
    }
  }

  get size(): number {
    return this.map.size;
  }
}
