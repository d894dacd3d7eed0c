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
