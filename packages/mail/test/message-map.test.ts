// The layered map behind mailbox views must answer exactly as a plain map of the same changes would,
// through any number of loads, folds and removals, and without changing the maps it was built from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MessageMap } from '../src/mailstore/message-map.js';
import type { MessageEntry } from '../src/mailstore/mailbox-view.js';

const entry = (uid: number, version: number): MessageEntry => ({
  uid, flags: version % 2 ? ['\\Seen'] : [], modseq: version, internalDate: '2026-11-26T00:00:00Z', size: 100, blob: `b${uid}`,
});

/** A load: UIDs set to a new version (present) or removed. */
const loadArb = fc.array(fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.boolean()), { maxLength: 400 });

test('a chain of loads reads like a plain map, and earlier maps never change', () => {
  fc.assert(fc.property(fc.array(loadArb, { minLength: 1, maxLength: 25 }), (loads) => {
    let map = MessageMap.EMPTY;
    let model = new Map<number, MessageEntry>();
    const history: { map: MessageMap; model: Map<number, MessageEntry> }[] = [];
    loads.forEach((load, version) => {
      const changes = new Map<number, MessageEntry | undefined>();
      const next = new Map(model);
      for (const [uid, present] of load) {
        const e = present ? entry(uid, version) : undefined;
        changes.set(uid, e);
        if (e) next.set(uid, e);
        else next.delete(uid);
      }
      map = map.with(changes);
      model = next;
      history.push({ map, model });
    });
    for (const { map: m, model: expected } of history) {
      assert.deepEqual(m.sortedUids(), [...expected.keys()].sort((a, b) => a - b));
      assert.equal([...m.values()].length, expected.size);
      for (let uid = 1; uid <= 3000; uid += 7) {
        assert.equal(m.get(uid), expected.get(uid));
        assert.equal(m.has(uid), expected.has(uid));
      }
    }
  }), { numRuns: 60 });
});

test('a load of a big mailbox copies what it changed, and folds once the changes pile up', () => {
  const all = new Map<number, MessageEntry | undefined>();
  for (let uid = 1; uid <= 100_000; uid++) all.set(uid, entry(uid, 0));
  let map = MessageMap.EMPTY.with(all);
  // 8·√100,000 ≈ 2,530 changed entries stay on top of the shared base; then they are folded in.
  for (let i = 1; i <= 3000; i++) map = map.with(new Map([[100_000 + i, entry(100_000 + i, 1)], [i, undefined]]));
  assert.equal(map.get(5), undefined);
  assert.equal(map.get(3001)?.modseq, 0);
  assert.equal(map.get(103_000)?.modseq, 1);
  assert.equal([...map.values()].length, 100_000);
  assert.equal(map.with(new Map()), map, 'no changes: the same map');
});
