/**
 * Structural equality and a stable textual key for merge inputs. The merges compare values that were
 * decoded from separate blobs, so identity says nothing; these look at content instead.
 */
import { equalBytes, toHex } from '../git/bytes.js';

/** Objects whose state is their own enumerable keys (object literals, JSON.parse results). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** An own property, or undefined: `o[k]` would read inherited ones, e.g. `o['__proto__']`. */
export function own(o: Record<string, unknown>, k: string): unknown {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}

/** Own keys whose value is not undefined: an undefined field means "absent", as in JSON. */
export function definedKeys(o: Record<string, unknown>): string[] {
  return Object.keys(o).filter((k) => o[k] !== undefined);
}

/**
 * Deep equality for JSON-like data: primitives (NaN equals NaN, 0 equals -0, which JSON cannot tell
 * apart), arrays, Uint8Arrays and plain objects (an undefined field equals a missing one). Any other
 * object (Date, Map, class instances) is equal only to itself, because its state is not in its keys.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && equalBytes(a, b);
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const ka = definedKeys(a);
  if (ka.length !== definedKeys(b).length) return false;
  for (const k of ka) if (!deepEqual(a[k], own(b, k))) return false;
  return true;
}

/**
 * A compact canonical text for any value, used to order and deduplicate values deterministically
 * (set elements, last-writer-wins ties). Object keys are sorted, so values that are deepEqual get the
 * same key and distinct JSON values get distinct keys. It never throws: values JSON cannot represent
 * get a readable stand-in (NaN, undefined, 12n, bytes:0a0b) instead of an error.
 */
export function stableKey(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      // JSON.stringify(-0) is "0", which keeps stableKey consistent with deepEqual.
      return Number.isFinite(v) ? JSON.stringify(v) : String(v);
    case 'boolean':
    case 'undefined':
      return String(v);
    case 'bigint':
      return `${v}n`;
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) {
        const items: string[] = [];
        for (let i = 0; i < v.length; i++) items.push(stableKey(v[i]));
        return `[${items.join(',')}]`;
      }
      if (v instanceof Uint8Array) return `bytes:${toHex(v)}`;
      const o = v as Record<string, unknown>;
      const keys = definedKeys(o).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${stableKey(o[k])}`).join(',')}}`;
    }
    default:
      return String(v);
  }
}

/** Orders strings by UTF-16 code units, like Array.prototype.sort and unlike localeCompare (which varies). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
