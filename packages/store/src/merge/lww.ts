/** Last-writer-wins registers: concurrent writes never conflict, the later timestamp wins. */
import { ok, type ContentType, type Merge } from './types.js';
import { threeWay } from './option.js';
import { compareStrings, deepEqual, isPlainObject, own, stableKey } from './equal.js';
import { canonicalJson, parseJson, type JsonValue } from './json.js';
import { invalidValue } from './codec.js';
import { utf8 } from '../git/bytes.js';

/** A value with the time it was written (any monotone clock, e.g. ms since epoch) and the writer's id. */
export interface LwwValue<T> {
  value: T;
  time: number;
  /** Breaks ties between writers with equal clocks; without it, ties fall to the value itself. */
  node?: string;
}

function compareTimes(a: number, b: number): number {
  // NaN sorts lowest, so a broken clock never beats a working one and the order stays total.
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The total order last-writer-wins uses: time, then node (no node sorts lowest), then the stableKey of
 * the value. Only values with equal stableKeys compare equal, and those are the same write.
 */
export function compareLww<T>(a: LwwValue<T>, b: LwwValue<T>): number {
  return compareTimes(a.time, b.time)
    || (a.node === b.node ? 0 : a.node === undefined ? -1 : b.node === undefined ? 1 : compareStrings(a.node, b.node))
    || compareStrings(stableKey(a.value), stableKey(b.value));
}

/**
 * Last writer wins: when both sides wrote, the greater by compareLww (later time, then node, then value)
 * is kept, so the merge never conflicts. It is base-aware: a side that did not write since base loses
 * even if its timestamp is later (a write made with a slow clock is still the newer write in history).
 * Commutative, idempotent, and merge(b, b, x) = merge(b, x, b) = x.
 */
export function lww<T>(): Merge<LwwValue<T>> {
  return threeWay<LwwValue<T>>(deepEqual, (_base, ours, theirs) => ok(compareLww(ours, theirs) >= 0 ? ours : theirs));
}

/**
 * A last-writer-wins register stored as canonical JSON: {"node": ..., "time": ..., "value": ...}.
 * `validate` checks (and may convert) the stored value; without it the JSON value is trusted to be a T.
 */
export function lwwType<T = JsonValue>(validate?: (value: JsonValue) => T): ContentType<LwwValue<T>> {
  return {
    name: 'lww',
    encode(v) {
      const o: Record<string, unknown> = { time: v.time, value: v.value };
      if (v.node !== undefined) o['node'] = v.node;
      return utf8(canonicalJson(o as JsonValue));
    },
    decode(bytes) {
      const o = parseJson('lww', bytes);
      if (!isPlainObject(o)) throw invalidValue('lww', 'expected a JSON object with "time" and "value"');
      const time = own(o, 'time');
      const node = own(o, 'node');
      if (typeof time !== 'number') throw invalidValue('lww', '"time" must be a number');
      if (node !== undefined && typeof node !== 'string') throw invalidValue('lww', '"node" must be a string when present');
      if (!Object.hasOwn(o, 'value')) throw invalidValue('lww', 'missing "value"');
      const raw = own(o, 'value') as JsonValue;
      const value = validate ? validate(raw) : (raw as T);
      return node === undefined ? { value, time } : { value, time, node };
    },
    merge: lww<T>(),
  };
}
