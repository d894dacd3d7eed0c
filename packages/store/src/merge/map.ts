/** String-keyed maps and fixed-shape records, merged key by key. */
import { conflict, ok, type Merge, type MergeResult } from './types.js';
import { atomic, option } from './option.js';
import { definedKeys, own } from './equal.js';

/**
 * Merges key by key with `mergeFor(key)` (which must accept absent values). Keys come out sorted and
 * the first conflict in sorted key order is reported, so every replica gets the same answer; the
 * conflict's path is the key followed by the inner path.
 */
function mergeKeys<V>(
  base: Record<string, V> | undefined, ours: Record<string, V>, theirs: Record<string, V>,
  mergeFor: (key: string) => Merge<V | undefined>,
): MergeResult<Record<string, V>> {
  // Keys only in base were deleted on both sides, so they need no visit.
  const keys = [...new Set([...definedKeys(ours), ...definedKeys(theirs)])].sort();
  const out: [string, V][] = [];
  for (const k of keys) {
    const b = base === undefined ? undefined : (own(base, k) as V | undefined);
    const r = mergeFor(k)(b, own(ours, k) as V | undefined, own(theirs, k) as V | undefined);
    if (!r.ok) return conflict(r.conflict.message, [k, ...r.conflict.path]);
    if (r.value !== undefined) out.push([k, r.value]);
  }
  // fromEntries defines own properties, so a "__proto__" key stays data instead of a prototype.
  return ok(Object.fromEntries(out));
}

/**
 * A map whose values merge with `m`, key by key under `option` rules: a key added or removed on one
 * side is added or removed; removed on one side and changed on the other conflicts; added on both
 * sides merges with `m(undefined, a, b)`. Conflicts have path [key, ...inner path].
 * Commutative whenever `m` is; identity and idempotence hold whenever they hold for `m`.
 */
export function map<V>(m: Merge<V>): Merge<Record<string, V>> {
  const perKey = option(m);
  return (base, ours, theirs) => mergeKeys(base, ours, theirs, () => perKey);
}

/** One merge per field of R; optional fields take a merge of the defined type (absence is handled). */
export type FieldMerges<R> = { [K in keyof R]-?: Merge<Exclude<R[K], undefined>> };

/**
 * A record merged field by field, each field with its own merge under `option` rules (an optional field
 * added, removed, or removed-vs-changed behaves like a map key). Fields the schema does not name are
 * not dropped: they merge atomically (one-sided change wins, concurrent different changes conflict).
 * Conflicts have path [field, ...inner path]. Commutative whenever every field merge is.
 */
export function record<R extends object>(fields: FieldMerges<R>): Merge<R> {
  const perField = new Map<string, Merge<unknown>>();
  for (const k of Object.keys(fields)) {
    perField.set(k, option(fields[k as keyof R] as unknown as Merge<unknown>));
  }
  const other = option(atomic<unknown>());
  return (base, ours, theirs) => {
    const r = mergeKeys(
      base as Record<string, unknown> | undefined, ours as Record<string, unknown>, theirs as Record<string, unknown>,
      (k) => perField.get(k) ?? other,
    );
    return r as MergeResult<unknown> as MergeResult<R>;
  };
}
