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

const OBJECT_TYPES: readonly ObjectType[] = ['blob', 'tree', 'commit', 'tag'];
const TYPES: ReadonlySet<string> = new Set(OBJECT_TYPES);

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
  // Read in place (every loose object read comes here): "<type> <decimal size>", ASCII.
  const sp = bytes.indexOf(0x20);
  const type = sp > 0 && sp < nul ? headerType(bytes, sp) : undefined;
  let size = 0;
  let digits = 0;
  for (let i = sp + 1; i < nul; i++, digits++) {
    const d = bytes[i]! - 0x30;
    if (d < 0 || d > 9) {
      digits = 0;
      break;
    }
    size = size * 10 + d;
  }
  if (type === undefined || digits === 0) {
    const header = new TextDecoder().decode(bytes.subarray(0, nul));
    throw new StoreError('corrupt-object', `${where}: bad object header "${header}"`, { where });
  }
  const body = bytes.subarray(nul + 1);
  if (body.length !== size) {
    throw new StoreError('corrupt-object', `${where}: object declares ${size} bytes but has ${body.length}`, { where });
  }
  return { type, body };
}

/** The object type spelled by bytes[0, length), or undefined. */
function headerType(bytes: Uint8Array, length: number): ObjectType | undefined {
  for (const t of OBJECT_TYPES) {
    if (t.length !== length) continue;
    let same = true;
    for (let i = 0; i < length && same; i++) same = bytes[i] === t.charCodeAt(i);
    if (same) return t;
  }
  return undefined;
}

export function hashObject(sha1: Sha1, type: ObjectType, body: Uint8Array): ObjectId {
  return sha1(frame(type, body));
}

/**
 * Object ids through a one-shot Sha1, framing each object in one reused buffer: a fresh
 * "<type> <size>\0<body>" array per object is most of the garbage that hashing many small objects
 * makes. Not reentrant across awaits (ids are computed synchronously).
 */
export class FramingHasher {
  private scratch = new Uint8Array(4096);
  constructor(private readonly sha1: Sha1) {}

  id(type: ObjectType, body: Uint8Array): ObjectId {
    // The header is ASCII: written byte by byte, it costs no TextEncoder call and no array.
    const size = String(body.length);
    const n = type.length + size.length + 2 + body.length;
    if (n > this.scratch.length) this.scratch = new Uint8Array(Math.max(n, this.scratch.length * 2));
    const out = this.scratch;
    let p = 0;
    for (let i = 0; i < type.length; i++) out[p++] = type.charCodeAt(i);
    out[p++] = 0x20;
    for (let i = 0; i < size.length; i++) out[p++] = size.charCodeAt(i);
    out[p++] = 0;
    out.set(body, p);
    return this.sha1(out.subarray(0, n));
  }
}
