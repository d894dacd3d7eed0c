// The caches of parsed objects: bounded by weight, evicting the least recently used (to within half
// the map: a hit on an entry that moved to the young end lately leaves it in place).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lru } from '../src/cache.js';

test('an entry read since it was stored outlives entries not read', () => {
  const lru = new Lru<string, number>(4);
  for (const k of ['a', 'b', 'c', 'd']) lru.set(k, 1);
  assert.equal(lru.get('a'), 1);
  lru.set('e', 1);
  assert.equal(lru.has('b'), false, 'b, the least recently used, went first');
  assert.deepEqual(['a', 'c', 'd', 'e'].map((k) => lru.has(k)), [true, true, true, true]);
});

test('hot entries survive a stream of cold ones, and the weight bound holds', () => {
  const lru = new Lru<number, Uint8Array>(10_000, (v) => v.length, 5_000);
  const hot = [1, 2, 3];
  for (const k of hot) lru.set(k, new Uint8Array(100));
  for (let i = 100; i < 10_000; i++) {
    lru.set(i, new Uint8Array(50));
    for (const k of hot) assert.ok(lru.get(k), `hot entry ${k} evicted after ${i}`);
  }
  let total = 0;
  for (let i = 0; i < 10_000; i++) total += lru.has(i) ? (hot.includes(i) ? 100 : 50) : 0;
  assert.ok(total <= 10_000, `${total} bytes held`);
  lru.set(-1, new Uint8Array(6_000));
  assert.equal(lru.has(-1), false, 'heavier than maxWeight: not kept');
});

test('against a model: the weight bound holds, replaced values count once, and without reads the oldest go first', () => {
  // A deterministic mix of sets of new and existing keys with varying weights, and reads.
  let seed = 7;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const lru = new Lru<number, number>(300, (v) => v);
  const weights = new Map<number, number>();
  for (let step = 0; step < 50_000; step++) {
    const key = random(400);
    if (random(3) === 0) {
      const v = lru.get(key);
      if (v !== undefined) assert.equal(v, weights.get(key), `key ${key} read back ${v}`);
      continue;
    }
    const weight = 1 + random(20);
    lru.set(key, weight);
    weights.set(key, weight);
    let total = 0;
    for (const [k, w] of weights) if (lru.has(k)) total += w;
    assert.ok(total <= 300, `step ${step}: ${total} held`);
    assert.equal(lru.has(key), true, 'the entry just set is kept');
  }
  // Without reads, eviction is first in, first out, also for keys set again (they count as new).
  const fifo = new Lru<string, number>(3);
  for (const k of ['a', 'b', 'c', 'a', 'd']) fifo.set(k, 1);
  assert.deepEqual(['a', 'b', 'c', 'd'].map((k) => fifo.has(k)), [true, false, true, true]);
  fifo.set('e', 1);
  assert.deepEqual(['a', 'c', 'd', 'e'].map((k) => fifo.has(k)), [true, false, true, true]);
  fifo.clear();
  assert.equal(fifo.size, 0);
  fifo.set('x', 1);
  assert.equal(fifo.get('x'), 1);
});

