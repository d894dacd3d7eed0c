/** JSON documents: merged field by field, stored in a canonical text form. */
import { conflict, ok, type ContentType, type Merge, type MergeResult } from './types.js';
import { decodeText, invalidValue } from './codec.js';
import { deepEqual, definedKeys, isPlainObject, own } from './equal.js';
import { utf8 } from '../git/bytes.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

function isObject(v: JsonValue | undefined): v is JsonObject {
  return isPlainObject(v);
}

function kind(v: JsonValue): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function where(path: readonly string[]): string {
  return path.length ? `field '${path.join('.')}'` : 'the value';
}

/** A field that may be absent on any side: the `option` rules, with messages that name the field. */
function mergeField(
  base: JsonValue | undefined, ours: JsonValue | undefined, theirs: JsonValue | undefined, path: string[],
): MergeResult<JsonValue | undefined> {
  if (ours !== undefined && theirs !== undefined) return mergeValue(base, ours, theirs, path);
  const present = ours !== undefined ? ours : theirs; // not ??, which would skip a null value
  if (present === undefined) return ok(undefined);
  if (base === undefined) return ok(present);
  if (deepEqual(base, present)) return ok(undefined);
  return conflict(`${where(path)} deleted on one side, changed on the other`, path);
}

function mergeValue(base: JsonValue | undefined, ours: JsonValue, theirs: JsonValue, path: string[]): MergeResult<JsonValue> {
  if (deepEqual(ours, theirs)) return ok(ours);
  if (base !== undefined) {
    if (deepEqual(base, ours)) return ok(theirs);
    if (deepEqual(base, theirs)) return ok(ours);
  }
  if (isObject(ours) && isObject(theirs)) {
    // A base that was not an object means both sides turned it into one: merge as if both added fields.
    return mergeObject(isObject(base) ? base : undefined, ours, theirs, path);
  }
  if (isObject(ours) || isObject(theirs)) {
    // Sorted so the message does not depend on which side is "ours".
    const kinds = [kind(ours), kind(theirs)].sort();
    return conflict(`conflicting types for ${where(path)}: ${kinds[0]} on one side, ${kinds[1]} on the other`, path);
  }
  return conflict(`both sides changed ${where(path)} differently`, path);
}

function mergeObject(base: JsonObject | undefined, ours: JsonObject, theirs: JsonObject, path: string[]): MergeResult<JsonValue> {
  const keys = [...new Set([...definedKeys(ours), ...definedKeys(theirs)])].sort();
  const out: [string, JsonValue][] = [];
  for (const k of keys) {
    const b = base === undefined ? undefined : (own(base, k) as JsonValue | undefined);
    const r = mergeField(b, own(ours, k) as JsonValue | undefined, own(theirs, k) as JsonValue | undefined, [...path, k]);
    if (!r.ok) return r; // the first conflict in key order, so both replicas report the same one
    if (r.value !== undefined) out.push([k, r.value]);
  }
  // fromEntries defines own properties, so a "__proto__" field stays data instead of a prototype.
  return ok(Object.fromEntries(out));
}

/**
 * JSON merged structurally: objects field by field, recursively (fields added, removed or changed on
 * one side are applied; a field deleted on one side and changed on the other conflicts); arrays and
 * scalars are atomic (one-sided change wins, different concurrent changes conflict); an object that
 * became a scalar or array on one side and was edited on the other conflicts. Conflicts carry the
 * field path, and the first conflict in sorted key order is reported.
 * Commutative (results are deepEqual, conflicts have the same path and message), idempotent, and
 * merge(b, b, x) = merge(b, x, b) = x.
 */
export const json: Merge<JsonValue> = (base, ours, theirs) => mergeValue(base, ours, theirs, []);

function write(v: unknown, indent: string, path: string[]): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return String(v);
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError(`json: ${where(path)} is ${v}, which JSON cannot represent`);
      return JSON.stringify(v);
    case 'object': {
      if (v === null) return 'null';
      const inner = `${indent}  `;
      if (Array.isArray(v)) {
        if (v.length === 0) return '[]';
        const items: string[] = [];
        for (let i = 0; i < v.length; i++) {
          if (v[i] === undefined) throw new TypeError(`json: ${where([...path, String(i)])} is undefined`);
          items.push(inner + write(v[i], inner, [...path, String(i)]));
        }
        return `[\n${items.join(',\n')}\n${indent}]`;
      }
      if (!isPlainObject(v)) throw new TypeError(`json: ${where(path)} is a ${v.constructor?.name ?? 'object'}, not a plain object`);
      // Undefined fields are left out, as JSON.stringify does: they mean "absent".
      const keys = definedKeys(v).sort();
      if (keys.length === 0) return '{}';
      const fields = keys.map((k) => `${inner}${JSON.stringify(k)}: ${write(v[k], inner, [...path, k])}`);
      return `{\n${fields.join(',\n')}\n${indent}}`;
    }
    default:
      throw new TypeError(`json: ${where(path)} is ${v === undefined ? 'undefined' : `a ${typeof v}`}, not a JSON value`);
  }
}

/**
 * The canonical text of a JSON value, as jsonType stores it: object keys sorted by UTF-16 code units
 * at every level, 2-space indent, a trailing newline. Equal values always give identical bytes, so two
 * replicas that merge to the same value write the same blob, and line diffs of stored values are
 * readable. Throws a TypeError for values JSON cannot represent (NaN, Infinity, undefined in an array,
 * functions, class instances).
 */
export function canonicalJson(value: JsonValue): string {
  return `${write(value, '', [])}\n`;
}

/** Parses JSON bytes, throwing an 'invalid-object' StoreError that names the content type. */
export function parseJson(type: string, bytes: Uint8Array): JsonValue {
  const text = decodeText(type, bytes);
  try {
    const value: JsonValue = JSON.parse(text);
    return value;
  } catch (e) {
    throw invalidValue(type, `invalid JSON: ${(e as Error).message}`, e);
  }
}

/** Any JSON value; encoded canonically (see canonicalJson), merged with `json`. */
export const jsonType: ContentType<JsonValue> = {
  name: 'json',
  encode: (value) => utf8(canonicalJson(value)),
  decode: (bytes) => parseJson('json', bytes),
  merge: json,
};
