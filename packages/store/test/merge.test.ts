// Merge combinators and built-in content types: example cases for the documented rules, and
// fast-check properties for the algebraic promises (commutativity, identity, idempotence).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  atomic, bytesType, canonicalJson, conflict, counter, counterType, deepEqual, json, jsonType, lines, linesType,
  lww, lwwType, map, normalizeSet, ok, option, record, set, setType, stableKey, text, textType, threeWay,
  type JsonValue, type LwwValue, type Merge, type MergeResult,
} from '../src/merge/index.js';
import { matchSequences } from '../src/merge/diff.js';
import { isStoreError } from '../src/errors.js';
import { fromUtf8, utf8 } from '../src/git/bytes.js';

const RUNS = { numRuns: 300 };

function value<T>(r: MergeResult<T>): T {
  if (!r.ok) assert.fail(`expected a clean merge, got conflict at [${r.conflict.path.join(', ')}]: ${r.conflict.message}`);
  return r.value;
}

function conflictOf<T>(r: MergeResult<T>): { message: string; path: string[] } {
  if (r.ok) assert.fail(`expected a conflict, got ${JSON.stringify(r.value)}`);
  return r.conflict;
}

/** Both merges agree: equal values (by `same`), or conflicts at the same path with the same message. */
function assertSymmetric<T>(r1: MergeResult<T>, r2: MergeResult<T>, same: (a: T, b: T) => boolean = deepEqual): void {
  assert.equal(r1.ok, r2.ok, `one order merged and the other did not: ${JSON.stringify([r1, r2])}`);
  if (r1.ok && r2.ok) assert.ok(same(r1.value, r2.value), `different results: ${JSON.stringify([r1.value, r2.value])}`);
  if (!r1.ok && !r2.ok) assert.deepEqual(r1.conflict, r2.conflict);
}

/** Commutativity, identity and (optionally) idempotence of a merge over generated values. */
function algebraProperties<T>(name: string, m: Merge<T>, arb: fc.Arbitrary<T>, opts: {
  same?: (a: T, b: T) => boolean; normalize?: (x: T) => T; idempotent?: boolean; optionalBase?: boolean;
} = {}): void {
  const same = opts.same ?? deepEqual;
  const norm = opts.normalize ?? ((x: T) => x);
  const baseArb = opts.optionalBase === false ? arb : fc.option(arb, { nil: undefined });
  test(`${name}: commutative`, () => {
    fc.assert(fc.property(baseArb, arb, arb, (b, x, y) => assertSymmetric(m(b, x, y), m(b, y, x), same)), RUNS);
  });
  test(`${name}: merge(b, b, x) = merge(b, x, b) = x`, () => {
    fc.assert(fc.property(arb, arb, (b, x) => {
      assert.ok(same(value(m(b, b, x)), norm(x)));
      assert.ok(same(value(m(b, x, b)), norm(x)));
    }), RUNS);
  });
  if (opts.idempotent !== false) {
    test(`${name}: idempotent, merge(b, x, x) = x`, () => {
      fc.assert(fc.property(baseArb, arb, (b, x) => assert.ok(same(value(m(b, x, x)), norm(x)))), RUNS);
    });
  }
}

describe('option and the three-way shortcuts', () => {
  const m = option(atomic<number>());
  test('absence is a value', () => {
    assert.deepEqual(m(1, undefined, 1), ok(undefined), 'deleted on one side, unchanged on the other');
    assert.deepEqual(m(1, 1, undefined), ok(undefined));
    assert.deepEqual(m(1, undefined, undefined), ok(undefined), 'deleted on both sides');
    assert.deepEqual(m(undefined, undefined, 5), ok(5), 'added on one side');
    assert.deepEqual(m(undefined, 5, undefined), ok(5));
    assert.deepEqual(m(undefined, undefined, undefined), ok(undefined));
    assert.deepEqual(m(1, undefined, 2), conflict('deleted on one side, changed on the other'));
    assert.deepEqual(m(1, 2, undefined), conflict('deleted on one side, changed on the other'));
  });
  test('null is a value, not an absence', () => {
    const n = option(atomic<number | null>());
    assert.deepEqual(n(undefined, null, undefined), ok(null));
    assert.deepEqual(n(undefined, undefined, null), ok(null));
    assert.deepEqual(n(null, null, undefined), ok(undefined));
    assert.deepEqual(value(json({ a: 1 }, { a: 1, b: null }, { a: 2 })), { a: 2, b: null });
  });
  test('present on both sides defers to the inner merge, with no base when both added', () => {
    const seen: unknown[] = [];
    const spy = option<number>((b, x, y) => { seen.push([b, x, y]); return ok(x + y); });
    assert.deepEqual(spy(undefined, 2, 3), ok(5));
    assert.deepEqual(spy(1, 2, 3), ok(5));
    assert.deepEqual(seen, [[undefined, 2, 3], [1, 2, 3]]);
  });
  test('threeWay shortcuts run before the inner merge', () => {
    let calls = 0;
    const m2 = threeWay<number>((a, b) => a === b, () => { calls++; return conflict('inner'); });
    assert.deepEqual(m2(1, 2, 2), ok(2));
    assert.deepEqual(m2(1, 1, 3), ok(3));
    assert.deepEqual(m2(1, 3, 1), ok(3));
    assert.equal(calls, 0);
    assert.deepEqual(m2(undefined, 2, 3), conflict('inner'), 'no base: both added, no shortcut applies');
    assert.deepEqual(m2(1, 2, 3), conflict('inner'));
    assert.equal(calls, 2);
  });
  test('deepEqual treats JSON-equal data as equal', () => {
    assert.ok(deepEqual({ a: [1, { b: 2 }], c: undefined }, { a: [1, { b: 2 }] }));
    assert.ok(deepEqual(NaN, NaN));
    assert.ok(deepEqual(0, -0));
    assert.ok(deepEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])));
    assert.ok(!deepEqual([1], { 0: 1 }));
    assert.ok(!deepEqual({ a: 1 }, { a: 1, b: 2 }));
    assert.ok(!deepEqual({}, JSON.parse('{"__proto__": {}}')), 'an own __proto__ field is data, not the prototype');
  });
  test('stableKey ignores key order and never throws', () => {
    assert.equal(stableKey({ b: 1, a: [true, null] }), stableKey({ a: [true, null], b: 1 }));
    assert.notEqual(stableKey('1'), stableKey(1));
    assert.equal(stableKey([undefined, NaN, 1n]), '[undefined,NaN,1n]');
  });
});

describe('counter', () => {
  test('applies both deltas: ours + theirs - base', () => {
    assert.deepEqual(counter(10, 13, 15), ok(18));
    assert.deepEqual(counter(undefined, 2, 3), ok(5), 'no base counts as 0');
    assert.deepEqual(counter(10, 11, 11), ok(12), 'two increments of 1 make 2: not idempotent on purpose');
    assert.deepEqual(counter(10, 5, 12), ok(7));
  });
  test('an overflowing sum is a conflict, not a rounded number', () => {
    const c = conflictOf(counter(0, Number.MAX_SAFE_INTEGER, 1));
    assert.match(c.message, /counter overflow/);
    assert.deepEqual(value(counter(0, Number.MAX_SAFE_INTEGER, 0)), Number.MAX_SAFE_INTEGER);
    assert.match(conflictOf(counter(0, Number.MAX_VALUE, Number.MAX_VALUE)).message, /overflow/);
  });
  test('sum law', () => {
    const int = fc.integer({ min: -1e9, max: 1e9 });
    fc.assert(fc.property(fc.option(int, { nil: undefined }), int, int, (b, x, y) => {
      assert.equal(value(counter(b, x, y)), x + y - (b ?? 0));
    }), RUNS);
  });
  test('one-sided changes are exact even for non-integers', () => {
    assert.equal(value(counter(0.1, 0.1, 0.2)), 0.2);
  });
  algebraProperties('counter', counter, fc.integer({ min: -1e6, max: 1e6 }), { idempotent: false });
  test('counterType writes "42\\n" and reads "42\\n" or "42"', () => {
    assert.equal(fromUtf8(counterType.encode(42)), '42\n');
    assert.equal(fromUtf8(counterType.encode(-7)), '-7\n');
    assert.equal(counterType.decode(utf8('42\n')), 42);
    assert.equal(counterType.decode(utf8('42')), 42);
    assert.equal(Object.is(counterType.decode(utf8('-0')), 0), true);
    assert.equal(counterType.name, 'counter');
    fc.assert(fc.property(fc.maxSafeInteger(), (n) => assert.equal(counterType.decode(counterType.encode(n)), n)));
  });
  test('counterType rejects non-integers with a clear message', () => {
    for (const bad of ['4.5', 'abc', '', ' 4', '4\n\n', '1e3', '0x10', '99999999999999999999']) {
      assert.throws(() => counterType.decode(utf8(bad)), (e: unknown) =>
        isStoreError(e, 'invalid-object') && /^counter: /.test(e.message) && /integer|range/.test(e.message), `decode ${JSON.stringify(bad)}`);
    }
    assert.throws(() => counterType.decode(utf8('4.5')), /expected a decimal integer, got "4.5"/);
    assert.throws(() => counterType.encode(1.5), TypeError);
  });
});

describe('last-writer-wins', () => {
  const m = lww<string>();
  const w = (value: string, time: number, node?: string): LwwValue<string> => node === undefined ? { value, time } : { value, time, node };
  test('the later write wins, ties go to node, then to the value', () => {
    assert.deepEqual(value(m(w('a', 1), w('b', 3), w('c', 2))), w('b', 3));
    assert.deepEqual(value(m(w('a', 1), w('b', 2, 'n1'), w('c', 2, 'n2'))), w('c', 2, 'n2'));
    assert.deepEqual(value(m(w('a', 1), w('b', 2, 'n1'), w('c', 2))), w('b', 2, 'n1'), 'a node beats no node');
    assert.deepEqual(value(m(w('a', 1), w('b', 2), w('c', 2))), w('c', 2));
  });
  test('a side that did not write loses even with a later clock', () => {
    assert.deepEqual(value(m(w('a', 9), w('a', 9), w('b', 3))), w('b', 3));
  });
  const arb = fc.record({ value: fc.constantFrom('a', 'b', 'c'), time: fc.integer({ min: 0, max: 3 }), node: fc.option(fc.constantFrom('n1', 'n2'), { nil: undefined }) })
    .map((r) => w(r.value, r.time, r.node));
  algebraProperties('lww', m, arb);
  test('lwwType stores canonical JSON and checks the shape', () => {
    const t = lwwType<{ n: number }>();
    assert.equal(fromUtf8(t.encode({ value: { n: 1 }, time: 5, node: 'x' })), '{\n  "node": "x",\n  "time": 5,\n  "value": {\n    "n": 1\n  }\n}\n');
    assert.deepEqual(t.decode(t.encode({ value: { n: 1 }, time: 5 })), { value: { n: 1 }, time: 5 });
    assert.throws(() => t.decode(utf8('{"value": 1}')), /lww: "time" must be a number/);
    assert.throws(() => t.decode(utf8('{"time": 1}')), /lww: missing "value"/);
    assert.throws(() => t.decode(utf8('[1]')), /lww: expected a JSON object/);
    const checked = lwwType((v) => { if (typeof v !== 'number') throw new TypeError('not a number'); return v; });
    assert.throws(() => checked.decode(utf8('{"time": 1, "value": "x"}')), /not a number/);
  });
});

describe('set', () => {
  const m = set<string>((s) => s);
  test('add wins, removals relative to base apply, results are sorted and deduplicated', () => {
    assert.deepEqual(value(m(['a', 'b', 'c'], ['a', 'b', 'c', 'd'], ['c', 'b', 'a', 'e'])), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(value(m(['a', 'b', 'c'], ['a', 'c'], ['a', 'b', 'c'])), ['a', 'c'], 'removed on one side');
    assert.deepEqual(value(m(['a', 'b', 'c'], ['a', 'c'], ['a', 'b', 'c', 'x'])), ['a', 'c', 'x'], 'removed on one side, added on the other');
    assert.deepEqual(value(m(['a'], ['a', 'n'], ['n'])), ['n'], 'both added n, one removed a');
    assert.deepEqual(value(m(['a'], ['x'], ['y'])), ['x', 'y']);
    assert.deepEqual(value(m(undefined, ['b', 'a', 'b'], ['c', 'a'])), ['a', 'b', 'c'], 'no base: union');
  });
  test('a key that does not capture the element keeps the changed element, deterministically', () => {
    type Tag = { id: string; color: string };
    const tags = set<Tag>((t) => t.id);
    const red = { id: 't', color: 'red' };
    const blue = { id: 't', color: 'blue' };
    const green = { id: 't', color: 'green' };
    assert.deepEqual(value(tags([red], [red], [blue])), [blue]);
    assert.deepEqual(value(tags([red], [blue], [red])), [blue]);
    assert.deepEqual(value(tags([red], [green], [blue])), value(tags([red], [blue], [green])));
  });
  const arb = fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { maxLength: 8 });
  algebraProperties('set', m, arb, { normalize: (x) => normalizeSet(x, (s) => s) });
  test('set: the result is exactly (ours ∩ theirs) ∪ (ours − base) ∪ (theirs − base)', () => {
    fc.assert(fc.property(arb, arb, arb, (b, x, y) => {
      const expected = [...new Set([...x, ...y])].filter((e) => (x.includes(e) && y.includes(e)) || !b.includes(e)).sort();
      assert.deepEqual(value(m(b, x, y)), expected);
    }), RUNS);
  });
  test('the default key is canonical JSON, so it works for any JSON elements', () => {
    const any = set<JsonValue>();
    assert.deepEqual(value(any([{ a: 1 }], [{ a: 1 }, 1], [{ a: 1 }, '1'])), [1, '1', { a: 1 }].sort((p, q) => (stableKey(p) < stableKey(q) ? -1 : 1)));
  });
  test('setType stores a sorted, deduplicated JSON array', () => {
    assert.equal(fromUtf8(setType.encode(['b', 'a', 'b'])), '[\n  "a",\n  "b"\n]\n');
    assert.equal(fromUtf8(setType.encode([])), '[]\n');
    assert.deepEqual(setType.decode(utf8('["x","y"]')), ['x', 'y']);
    assert.throws(() => setType.decode(utf8('{"a":1}')), /set: expected a JSON array of strings, got object/);
    assert.throws(() => setType.decode(utf8('["a", 2]')), /set: element 1 is a number, not a string/);
  });
});

describe('map and record', () => {
  const counters = map(counter);
  test('merges key by key with option rules', () => {
    assert.deepEqual(value(counters({ a: 1, b: 1, c: 1 }, { a: 2, b: 1, c: 1, d: 1 }, { a: 3, b: 1 })), { a: 4, b: 1, d: 1 });
    assert.deepEqual(value(counters(undefined, { a: 1 }, { a: 2, b: 5 })), { a: 3, b: 5 }, 'added on both sides: counter(undefined, 1, 2)');
  });
  test('conflicts carry the key in the path, first key in sorted order', () => {
    const c = conflictOf(counters({ z: 1, y: 1 }, { z: 2, y: 2 }, {}));
    assert.deepEqual(c, { message: 'deleted on one side, changed on the other', path: ['y'] });
    const nested = map(map(atomic<number>()));
    assert.deepEqual(conflictOf(nested({ u: { v: 1 } }, { u: { v: 2 } }, { u: { v: 3 } })).path, ['u', 'v']);
  });
  test('a "__proto__" key is kept as data', () => {
    const r = value(counters({}, JSON.parse('{"__proto__": 1}') as Record<string, number>, {}));
    assert.equal(Object.getPrototypeOf(r), Object.prototype);
    assert.deepEqual(Object.keys(r), ['__proto__']);
  });
  const arb = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: -50, max: 50 }), { maxKeys: 4 });
  algebraProperties('map of counters', counters, arb, { idempotent: false });
  algebraProperties('map of lww', map(lww<number>()), fc.dictionary(fc.constantFrom('a', 'b', 'c'),
    fc.record({ value: fc.integer({ min: 0, max: 2 }), time: fc.integer({ min: 0, max: 2 }) }), { maxKeys: 3 }));

  type Contact = { name: string; email: string; phone?: string; visits: number; tags: string[] };
  const contact = record<Contact>({ name: text, email: text, phone: text, visits: counter, tags: set((s: string) => s) });
  const alice: Contact = { name: 'Alice', email: 'a@old', phone: '1', visits: 3, tags: ['friend'] };
  test('record merges each field with its own merge', () => {
    const r = value(contact(alice, { ...alice, email: 'a@new', visits: 4, tags: ['friend', 'work'] }, { ...alice, phone: '2', visits: 5 }));
    assert.deepEqual(r, { name: 'Alice', email: 'a@new', phone: '2', visits: 6, tags: ['friend', 'work'] });
  });
  test('record handles absent optional fields with option rules and keeps unknown fields', () => {
    const { phone: _, ...noPhone } = alice;
    assert.deepEqual(value(contact(alice, noPhone, alice)), noPhone);
    assert.deepEqual(conflictOf(contact(alice, noPhone, { ...alice, phone: '9' })), { message: 'deleted on one side, changed on the other', path: ['phone'] });
    assert.deepEqual(conflictOf(contact(alice, { ...alice, name: 'Al' }, { ...alice, name: 'Ali' })).path, ['name']);
    const extra = { ...alice, note: 'x' } as Contact;
    assert.deepEqual(value(contact(alice, extra, { ...alice, visits: 4 })), { ...alice, visits: 4, note: 'x' });
  });
});

describe('json', () => {
  const contact = { name: 'Alice', email: 'a@old', phone: '1', address: { city: 'Paris', zip: '75001' } };
  test('edits to different fields of a contact are both kept', () => {
    assert.deepEqual(value(json(contact, { ...contact, email: 'a@new' }, { ...contact, phone: '2' })), { ...contact, email: 'a@new', phone: '2' });
    assert.deepEqual(
      value(json(contact, { ...contact, address: { city: 'Lyon', zip: '75001' } }, { ...contact, address: { city: 'Paris', zip: '69001' }, nick: 'Al' })),
      { ...contact, address: { city: 'Lyon', zip: '69001' }, nick: 'Al' }, 'nested objects merge recursively');
    const { phone: _, ...noPhone } = contact;
    assert.deepEqual(value(json(contact, noPhone, { ...contact, email: 'a@new' })), { ...noPhone, email: 'a@new' }, 'removed field');
  });
  test('conflicts name the field and carry its path', () => {
    assert.deepEqual(conflictOf(json(contact, { ...contact, email: 'x' }, { ...contact, email: 'y' })),
      { message: "both sides changed field 'email' differently", path: ['email'] });
    assert.deepEqual(conflictOf(json(contact, { ...contact, address: { city: 'A', zip: '75001' } }, { ...contact, address: { city: 'B', zip: '75001' } })),
      { message: "both sides changed field 'address.city' differently", path: ['address', 'city'] });
    const { email: _, ...noEmail } = contact;
    assert.deepEqual(conflictOf(json(contact, noEmail, { ...contact, email: 'y' })),
      { message: "field 'email' deleted on one side, changed on the other", path: ['email'] });
    assert.deepEqual(conflictOf(json(1, 2, 3)), { message: 'both sides changed the value differently', path: [] });
  });
  test('arrays are atomic', () => {
    assert.deepEqual(value(json({ l: [1, 2] }, { l: [1, 2, 3] }, { l: [1, 2] })), { l: [1, 2, 3] });
    assert.deepEqual(conflictOf(json({ l: [1, 2] }, { l: [1, 2, 3] }, { l: [0, 1, 2] })).path, ['l']);
  });
  test('object to scalar on one side and edited on the other conflicts; one-sided type change wins', () => {
    const base = { a: { x: 1 } };
    const c = conflictOf(json(base, { a: 5 }, { a: { x: 2 } }));
    assert.deepEqual(c, { message: "conflicting types for field 'a': number on one side, object on the other", path: ['a'] });
    assert.deepEqual(conflictOf(json(base, { a: { x: 2 } }, { a: 5 })), c, 'same conflict from the other side');
    assert.deepEqual(value(json(base, { a: 5 }, base)), { a: 5 });
    assert.deepEqual(value(json({ a: 1 }, { a: { x: 1 } }, { a: { y: 2 } })), { a: { x: 1, y: 2 } }, 'both turned a scalar into objects');
  });

  // Small domains so sides often touch the same fields with the same or different values.
  const leaf = fc.constantFrom<JsonValue>(1, 2, 'x', null, true, [1], [2]);
  const { node } = fc.letrec<{ node: JsonValue }>((tie) => ({
    node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('node'), { maxKeys: 3 })),
  }));
  const doc = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), node, { maxKeys: 4 }) as fc.Arbitrary<JsonValue>;
  const bytesEqual = (a: JsonValue, b: JsonValue) => canonicalJson(a) === canonicalJson(b);
  algebraProperties('json', json, doc, { same: bytesEqual });
  test('json: disjoint top-level edits always merge and keep both', () => {
    fc.assert(fc.property(doc, node, node, (b, v1, v2) => {
      const base = { ...(b as Record<string, JsonValue>), p: 0, q: 0 };
      assert.deepEqual(value(json(base, { ...base, p: v1 }, { ...base, q: v2 })), { ...base, p: v1, q: v2 });
    }), RUNS);
  });

  test('canonical encoding: sorted keys, 2-space indent, trailing newline', () => {
    assert.equal(fromUtf8(jsonType.encode({ b: [1, { d: null, c: 'é' }], a: {}, '10': [], '9': true })),
      '{\n  "10": [],\n  "9": true,\n  "a": {},\n  "b": [\n    1,\n    {\n      "c": "é",\n      "d": null\n    }\n  ]\n}\n');
    assert.equal(fromUtf8(jsonType.encode('s')), '"s"\n');
  });
  test('canonical encoding is byte-identical regardless of key order, and round-trips', () => {
    const shuffle = (v: JsonValue, seed: number): JsonValue => {
      if (Array.isArray(v)) return v.map((x, i) => shuffle(x, seed + i));
      if (v === null || typeof v !== 'object') return v;
      const entries = Object.entries(v);
      const rotated = entries.slice(seed % (entries.length || 1)).concat(entries.slice(0, seed % (entries.length || 1))).reverse();
      return Object.fromEntries(rotated.map(([k, x]) => [k, shuffle(x, seed + 1)]));
    };
    fc.assert(fc.property(fc.jsonValue() as fc.Arbitrary<JsonValue>, fc.nat(), (v, seed) => {
      const enc = jsonType.encode(v);
      assert.deepEqual(jsonType.encode(shuffle(v, seed)), enc);
      assert.deepEqual(jsonType.encode(jsonType.decode(enc)), enc);
      assert.ok(deepEqual(jsonType.decode(enc), v));
    }), RUNS);
  });
  test('encode refuses what JSON cannot represent', () => {
    assert.throws(() => jsonType.encode({ a: NaN }), /json: field 'a' is NaN/);
    assert.throws(() => jsonType.encode([1, undefined] as unknown as JsonValue), /json: field '1' is undefined/);
    assert.throws(() => jsonType.encode({ d: new Date(0) } as unknown as JsonValue), /not a plain object/);
  });
  test('decode errors are clear', () => {
    assert.throws(() => jsonType.decode(utf8('{"a": 1,}')), (e: unknown) =>
      isStoreError(e, 'invalid-object') && /^json: invalid JSON: /.test(e.message) && e.data['contentType'] === 'json');
    assert.throws(() => jsonType.decode(utf8('')), /json: invalid JSON/);
    assert.throws(() => jsonType.decode(new Uint8Array([0x7b, 0xff, 0x7d])), /json: not valid UTF-8/);
  });
});

describe('text and lines', () => {
  test('text: one-sided edits win, concurrent different edits conflict', () => {
    assert.deepEqual(text('a', 'a', 'b'), ok('b'));
    assert.deepEqual(text('a', 'b', 'b'), ok('b'));
    assert.match(conflictOf(text('a', 'b', 'c')).message, /concurrent edits/);
  });
  algebraProperties('text', text, fc.constantFrom('', 'a', 'b', 'c'));

  const L = (...xs: string[]) => xs.map((x) => `${x}\n`).join('');
  test('lines: non-overlapping edits merge', () => {
    const base = L('1', '2', '3', '4', '5', '6', '7');
    assert.equal(value(lines(base, L('1', 'two', '3', '4', '5', '6', '7'), L('1', '2', '3', '4', '5', 'six', '7'))), L('1', 'two', '3', '4', '5', 'six', '7'));
    assert.equal(value(lines(base, L('0', '1', '2', '3', '4', '5', '6', '7'), L('1', '2', '3', '4', '5', '6', '7', '8'))), L('0', '1', '2', '3', '4', '5', '6', '7', '8'), 'insertions at both ends');
    assert.equal(value(lines(base, L('1', '3', '4', '5', '6', '7'), L('1', '2', '3', '4', '5', '6', 'x', 'y', '7'))), L('1', '3', '4', '5', '6', 'x', 'y', '7'), 'a deletion and an insertion');
    assert.equal(value(lines(base, L('1', 'X', '3', '4', '5', '6', '7'), L('1', 'X', '3', '4', '5', '6'))), L('1', 'X', '3', '4', '5', '6'), 'the same edit on both sides');
    assert.equal(value(lines('a\nb\nc\nd', 'A\nb\nc\nd', 'a\nb\nc\nd\n')), 'A\nb\nc\nd\n', 'a final newline added on one side');
  });
  test('lines: overlapping different edits conflict with the base line range', () => {
    const base = L('1', '2', '3', '4', '5', '6', '7');
    const c = conflictOf(lines(base, L('1', 'a', 'b', '4', '5', '6', '7'), L('1', '2', 'c', 'd', '5', '6', '7')));
    assert.deepEqual(c, { message: 'concurrent edits to the same lines of the base: lines 2-4', path: [] });
    assert.equal(conflictOf(lines(base, L('1', '2', 'x', '4', '5', '6', 'p'), L('1', '2', 'y', '4', '5', '6', 'q'))).message,
      'concurrent edits to the same lines of the base: line 3, line 7');
    assert.equal(conflictOf(lines(base, L('1', '2', 'x', '3', '4', '5', '6', '7'), L('1', '2', 'y', '3', '4', '5', '6', '7'))).message,
      'concurrent edits to the same lines of the base: insertions after line 2');
    assert.match(conflictOf(lines(undefined, 'a\n', 'b\n')).message, /insertions at the start/, 'added on both sides with different text');
    assert.equal(conflictOf(lines(base, L('1', 'X', '3', '4', '5', '6', '7'), L('1', '2', 'Y', '4', '5', '6', '7'))).message,
      'concurrent edits to the same lines of the base: lines 2-3', 'adjacent edits conflict, as in git');
  });
  const lineArb = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 8 }).map((xs) => xs.map((x) => `${x}\n`).join(''));
  algebraProperties('lines', lines, lineArb);
  test('lines: edits on either side of an untouched line always merge, each taken from its side', () => {
    const part = (alphabet: string[]) => fc.array(fc.constantFrom(...alphabet), { maxLength: 6 });
    const A = ['a1', 'a2', 'a3', 'a4'];
    const B = ['b1', 'b2', 'b3', 'b4'];
    fc.assert(fc.property(part([...A, 'x1', 'x2']), part([...B, 'y1', 'y2']), (ourA, theirB) => {
      const base = L(...A, 'SEP', ...B);
      assert.equal(value(lines(base, L(...ourA, 'SEP', ...B), L(...A, 'SEP', ...theirB))), L(...ourA, 'SEP', ...theirB));
    }), RUNS);
  });
  test('the LCS matcher finds a longest common subsequence', () => {
    const lcsLength = (a: number[], b: number[]): number => {
      const dp = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
      for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
          dp[i]![j] = a[i - 1] === b[j - 1] ? dp[i - 1]![j - 1]! + 1 : Math.max(dp[i - 1]![j]!, dp[i]![j - 1]!);
        }
      }
      return dp[a.length]![b.length]!;
    };
    const seq = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 25 });
    fc.assert(fc.property(seq, seq, (a, b) => {
      const m = matchSequences(a, b);
      let last = -1;
      let count = 0;
      m.forEach((j, i) => {
        if (j < 0) return;
        assert.ok(j > last, 'pairs increase');
        assert.equal(a[i], b[j], 'paired elements are equal');
        last = j;
        count++;
      });
      assert.equal(count, lcsLength(a, b));
    }), { numRuns: 1000 });
  });
  test('lines handles large inputs quickly', () => {
    const base = Array.from({ length: 20000 }, (_, i) => `line ${i}\n`);
    const ours = [...base];
    const theirs = [...base];
    for (let i = 0; i < 20000; i += 100) ours[i] = `ours ${i}\n`;
    for (let i = 50; i < 20000; i += 100) theirs[i] = `theirs ${i}\n`;
    const started = Date.now();
    const merged = value(lines(base.join(''), ours.join(''), theirs.join(''))).split('\n');
    assert.ok(Date.now() - started < 5000);
    assert.equal(merged[100], 'ours 100');
    assert.equal(merged[150], 'theirs 150');
  });
  test('textType and linesType are UTF-8 and reject invalid bytes', () => {
    assert.equal(textType.decode(textType.encode('héllo')), 'héllo');
    assert.equal(linesType.name, 'lines');
    assert.equal(linesType.merge, lines);
    assert.throws(() => textType.decode(new Uint8Array([0xc3])), (e: unknown) => isStoreError(e, 'invalid-object') && /^text: not valid UTF-8/.test(e.message));
  });
});

describe('bytes', () => {
  test('bytesType copies and merges atomically', () => {
    const b = new Uint8Array([1, 2]);
    const enc = bytesType.encode(b);
    assert.deepEqual(enc, b);
    assert.notEqual(enc, b);
    const x = new Uint8Array([3]);
    const y = new Uint8Array([4]);
    assert.deepEqual(bytesType.merge(b, new Uint8Array([1, 2]), x), ok(x));
    assert.deepEqual(bytesType.merge(b, x, new Uint8Array([3])), ok(x));
    assert.match(conflictOf(bytesType.merge(b, x, y)).message, /both sides changed the bytes/);
  });
  algebraProperties<Uint8Array>('bytes', (b, x, y) => bytesType.merge(b, x, y), fc.uint8Array({ maxLength: 3, max: 2 }));
});
