/** Merge combinators and the built-in content types. Pure TypeScript, no node:* imports. */
export * from './types.js';
export { deepEqual, stableKey, isPlainObject } from './equal.js';
export { option, threeWay, atomic } from './option.js';
export { counter, counterType } from './counter.js';
export { lww, lwwType, compareLww, type LwwValue } from './lww.js';
export { set, setType, normalizeSet } from './set.js';
export { map, record, type FieldMerges } from './map.js';
export { json, jsonType, canonicalJson, parseJson, type JsonValue, type JsonObject } from './json.js';
export { text, lines, textType, linesType } from './text.js';
export { bytesType } from './bytes.js';
