import { concat, utf8 } from './bytes.js';
import type { ObjectId } from './id.js';
import { StoreError } from '../errors.js';

export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag';

export interface RawObject {
  type: ObjectType;
  body: Uint8Array;
}

/** A SHA-1 over bytes, as lowercase hex. Injected so Node can use its native hash and browsers a portable one. */
export type Sha1 = (data: Uint8Array) => ObjectId;

const TYPES: ReadonlySet<string> = new Set(['blob', 'tree', 'commit', 'tag']);

export function isObjectType(s: string): s is ObjectType {
  return TYPES.has(s);
}

/** The bytes git hashes and stores (loose, before zlib): "<type> <size>\0<body>". */
export function frame(type: ObjectType, body: Uint8Array): Uint8Array {
  return concat([utf8(`${type} ${body.length}\0`), body]);
}

/** Splits framed bytes back into type and body, checking the declared size. */
export function unframe(bytes: Uint8Array, where: string): RawObject {
  const nul = bytes.indexOf(0);
  if (nul < 0 || nul > 32) throw new StoreError('corrupt-object', `${where}: object has no header`, { where });
  const header = new TextDecoder().decode(bytes.subarray(0, nul));
  const sp = header.indexOf(' ');
  const type = header.slice(0, sp);
  const size = Number(header.slice(sp + 1));
  if (sp < 0 || !isObjectType(type) || !/^\d+$/.test(header.slice(sp + 1))) {
    throw new StoreError('corrupt-object', `${where}: bad object header "${header}"`, { where });
  }
  const body = bytes.subarray(nul + 1);
  if (body.length !== size) {
    throw new StoreError('corrupt-object', `${where}: object declares ${size} bytes but has ${body.length}`, { where });
  }
  return { type, body };
}

export function hashObject(sha1: Sha1, type: ObjectType, body: Uint8Array): ObjectId {
  return sha1(frame(type, body));
}
