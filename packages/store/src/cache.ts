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
   * The eviction order: keys with the stamp they got when they were put at the young end, oldest
   * first from `head`. A record whose key has been moved or replaced since (its stamp differs) is stale
   * and skipped. The order is kept here rather than in the Map's own insertion order because V8 leaves
   * a hole for every key deleted from a Map until it next rehashes, and starting an iteration walks the
   * holes: evicting the oldest entry by iterating the Map cost time in proportion to the Map's size
   * (5 µs at 10,000 entries, 27 µs at 100,000), and moving an entry left one more hole.
   */
  private keys: K[] = [];
  private stamps: number[] = [];
  private head = 0;

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
    this.keys = [];
    this.stamps = [];
    this.head = 0;
  }

  get(key: K): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    // Moving an entry to the young end costs a record in the order, which for the few hot trees every
    // read goes through would be most of the cost of a hit. One that got there within the last half of
    // the map's turnover stays where it is: eviction is then least-recently-used to within half the
    // map, and far from the entries that matter.
    if (this.clock - e.stamp > this.map.size >>> 1) {
      e.stamp = ++this.clock;
      this.record(key, e.stamp);
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
    const stamp = ++this.clock;
    this.map.set(key, { value, weight, stamp });
    this.record(key, stamp);
    this.total += weight;
    while (this.total > this.capacity && this.head < this.keys.length) {
      const k = this.keys[this.head]!;
      const s = this.stamps[this.head]!;
      this.head++;
      const e = this.map.get(k);
      if (e === undefined || e.stamp !== s) continue;
      this.map.delete(k);
      this.total -= e.weight;
    }
    if (this.head > 64 && this.head * 2 > this.keys.length) this.compact();
  }

  get size(): number {
    return this.map.size;
  }

  private record(key: K, stamp: number): void {
    this.keys.push(key);
    this.stamps.push(stamp);
    // Moves and replacements leave stale records behind: past twice the live ones, they are dropped.
    if (this.keys.length - this.head > 2 * this.map.size + 64) this.compact();
  }

  /** The order without consumed and stale records: amortized, as it runs after at least as many records were added. */
  private compact(): void {
    const keys: K[] = [];
    const stamps: number[] = [];
    for (let i = this.head; i < this.keys.length; i++) {
      const k = this.keys[i]!;
      if (this.map.get(k)?.stamp === this.stamps[i]) {
        keys.push(k);
        stamps.push(this.stamps[i]!);
      }
    }
    this.keys = keys;
    this.stamps = stamps;
    this.head = 0;
  }
}
