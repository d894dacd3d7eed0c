/** The building blocks every other merge uses: presence/absence, the three-way shortcuts, atomic values. */
import { conflict, ok, type Merge } from './types.js';
import { deepEqual } from './equal.js';

/**
 * Lifts a merge to values that may be absent (a deleted key, a missing field), treating absence as a
 * value of its own:
 * - absent on both sides → absent;
 * - absent on one side only: if base had no value, the other side added it → take it; if the other
 *   side still equals base, this side deleted it → absent; otherwise → conflict
 *   "deleted on one side, changed on the other";
 * - present on both sides → `m(base, ours, theirs)` (base undefined when both sides added it).
 * Commutative whenever `m` is. `equal` decides "still equals base"; it defaults to deepEqual.
 */
export function option<T>(m: Merge<T>, equal: (a: T, b: T) => boolean = deepEqual): Merge<T | undefined> {
  return (base, ours, theirs) => {
    if (ours !== undefined && theirs !== undefined) return m(base, ours, theirs);
    const present = ours !== undefined ? ours : theirs; // not ??, which would skip a null value
    if (present === undefined) return ok(undefined);
    if (base === undefined) return ok(present);
    if (equal(base, present)) return ok(undefined);
    return conflict('deleted on one side, changed on the other');
  };
}

/**
 * Applies the standard three-way shortcuts before `m`: both sides agree → that value; one side still
 * equals base → the other side's value. So `m` only sees true concurrent changes. Commutative whenever
 * `m` is (up to `equal`: when both sides agree, ours is returned). Not suitable for counters, where two
 * equal increments must add up rather than collapse into one.
 */
export function threeWay<T>(equal: (a: T, b: T) => boolean, m: Merge<T>): Merge<T> {
  return (base, ours, theirs) => {
    if (equal(ours, theirs)) return ok(ours);
    if (base !== undefined) {
      if (equal(base, ours)) return ok(theirs);
      if (equal(base, theirs)) return ok(ours);
    }
    return m(base, ours, theirs);
  };
}

/**
 * A value that cannot be combined, only replaced: one-sided changes win, concurrent different changes
 * conflict with `message`. Commutative, idempotent, and merge(b, b, x) = merge(b, x, b) = x.
 */
export function atomic<T>(
  equal: (a: T, b: T) => boolean = deepEqual,
  message = 'both sides changed the value differently',
): Merge<T> {
  return threeWay(equal, () => conflict(message));
}
