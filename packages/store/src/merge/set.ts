/** Sets with add-wins semantics, kept as sorted arrays so replicas produce identical bytes. */
import { ok, type ContentType, type Merge } from './types.js';
import { compareStrings, deepEqual, stableKey } from './equal.js';
import { canonicalJson, parseJson } from './json.js';
import { invalidValue } from './codec.js';
import { utf8 } from '../git/bytes.js';

function index<T>(xs: readonly T[], key: (x: T) => string): Map<string, T> {
  const m = new Map<string, T>();
  for (const x of xs) {
    const k = key(x);
    if (!m.has(k)) m.set(k, x);
  }
  return m;
}

/** The array sorted by `key` (UTF-16 code-unit order) with later duplicates (same key) dropped. */
export function normalizeSet<T>(xs: readonly T[], key: (x: T) => string = stableKey): T[] {
  return [...index(xs, key)].sort((a, b) => compareStrings(a[0], b[0])).map((e) => e[1]);
}

/**
 * A three-way set merge where additions win: an element absent from base and present on either side is
 * kept; an element of base that either side removed is removed; everything else present on both sides
 * stays. I.e. (ours ∩ theirs) ∪ (ours − base) ∪ (theirs − base); with no base, the union. Never
 * conflicts. Elements are identified by `key` (default: stableKey, i.e. canonical JSON); the result is
 * sorted by key and deduplicated so both replicas produce the same array. If two different elements
 * share a key (a key that does not capture the whole element), the one that differs from base's
 * element wins, and otherwise the smaller by stableKey.
 * Commutative, idempotent and merge(b, b, x) = merge(b, x, b) = x, all up to normalizeSet.
 */
export function set<T>(key: (x: T) => string = stableKey): Merge<T[]> {
  return (base, ours, theirs) => {
    const b = index(base ?? [], key);
    const o = index(ours, key);
    const t = index(theirs, key);
    const out: [string, T][] = [];
    for (const k of new Set([...o.keys(), ...t.keys()])) {
      const inO = o.has(k);
      const inT = t.has(k);
      if (b.has(k) && (!inO || !inT)) continue; // removed by one side
      const x = o.get(k) as T;
      const y = t.get(k) as T;
      if (!inO || !inT) {
        out.push([k, inO ? x : y]);
        continue;
      }
      out.push([k, pick(b.has(k), b.get(k), x, y)]);
    }
    return ok(out.sort((p, q) => compareStrings(p[0], q[0])).map((e) => e[1]));
  };
}

/** Chooses between two elements with the same key without depending on which side is ours. */
function pick<T>(inBase: boolean, base: T | undefined, x: T, y: T): T {
  if (deepEqual(x, y)) return x;
  if (inBase && deepEqual(base, x)) return y;
  if (inBase && deepEqual(base, y)) return x;
  return compareStrings(stableKey(x), stableKey(y)) <= 0 ? x : y;
}

function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`;
}

/** A set of strings stored as a canonical JSON array, sorted and deduplicated; merged with `set`. */
export const setType: ContentType<string[]> = {
  name: 'set',
  encode: (value) => utf8(canonicalJson(normalizeSet(value, (s) => s))),
  decode(bytes) {
    const v = parseJson('set', bytes);
    if (!Array.isArray(v)) throw invalidValue('set', `expected a JSON array of strings, got ${v === null ? 'null' : typeof v}`);
    const bad = v.findIndex((x) => typeof x !== 'string');
    if (bad >= 0) throw invalidValue('set', `element ${bad} is ${kindOf(v[bad])}, not a string`);
    return v as string[];
  },
  merge: set<string>((s) => s),
};
