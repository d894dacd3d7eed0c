/** Counters: concurrent increments and decrements add up instead of conflicting. */
import { conflict, ok, type ContentType, type Merge } from './types.js';
import { decodeText, invalidValue, preview } from './codec.js';
import { utf8 } from '../git/bytes.js';

/**
 * result = ours + theirs − base (base undefined counts as 0), i.e. both sides' deltas are applied.
 * Commutative. merge(b, b, x) = merge(b, x, b) = x exactly (also for non-integers, where the sum could
 * round). Deliberately NOT idempotent: two replicas that each added 1 give base + 2, not base + 1.
 * Integer results beyond ±(2^53 − 1) are a conflict rather than a silently rounded number.
 */
export const counter: Merge<number> = (base, ours, theirs) => {
  const b = base ?? 0;
  if (ours === b) return ok(theirs);
  if (theirs === b) return ok(ours);
  if (Number.isSafeInteger(ours) && Number.isSafeInteger(theirs) && Number.isSafeInteger(b)) {
    // BigInt keeps the intermediate sum exact so the range check below is honest.
    const exact = BigInt(ours) + BigInt(theirs) - BigInt(b);
    if (exact > BigInt(Number.MAX_SAFE_INTEGER) || exact < BigInt(Number.MIN_SAFE_INTEGER)) {
      return conflict(`counter overflow: ${ours} + ${theirs} - ${b} is not a safe integer`);
    }
    return ok(Number(exact));
  }
  const sum = ours + theirs - b;
  if (!Number.isFinite(sum)) return conflict(`counter overflow: ${ours} + ${theirs} - ${b} is ${sum}`);
  return ok(sum);
};

const DECIMAL = /^-?[0-9]+\n?$/;

/**
 * A counter stored as decimal text: written as "42\n", read from "42\n" or "42". Only safe integers
 * are values; encode throws a TypeError for anything else, decode an 'invalid-object' StoreError.
 */
export const counterType: ContentType<number> = {
  name: 'counter',
  encode(value) {
    if (!Number.isSafeInteger(value)) throw new TypeError(`counter: ${value} is not a safe integer`);
    return utf8(`${value}\n`);
  },
  decode(bytes) {
    const s = decodeText('counter', bytes);
    if (!DECIMAL.test(s)) throw invalidValue('counter', `expected a decimal integer, got ${preview(s)}`);
    const n = Number(s.trimEnd());
    if (!Number.isSafeInteger(n)) throw invalidValue('counter', `${s.trimEnd()} is out of range (beyond ±2^53)`);
    return n === 0 ? 0 : n; // "-0" reads as 0
  },
  merge: counter,
};
