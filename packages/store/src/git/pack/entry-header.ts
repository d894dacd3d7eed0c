/**
 * The header of a pack entry (gitformat-pack): type code and inflated size (4 bits in the first
 * byte, then 7 bits per continuation byte, least significant first), then for OFS_DELTA the distance
 * back to the base (big-endian base-128, each continuation adding 1 so that no distance has two
 * encodings) or for REF_DELTA the base's 20-byte id.
 */
import { hexInto, toHex } from '../bytes.js';
import type { ObjectId } from '../id.js';
import type { ObjectType } from '../object.js';

/** Where entries may start: after "PACK", the version and the object count. */
export const HEADER_BYTES = 12;
export const OFS_DELTA = 6;
export const REF_DELTA = 7;
export const TYPE_BY_CODE: readonly (ObjectType | undefined)[] = [undefined, 'commit', 'tree', 'blob', 'tag'];
export const CODE_BY_TYPE: Readonly<Record<ObjectType, number>> = { commit: 1, tree: 2, blob: 3, tag: 4 };

export interface EntryHeader {
  code: number;
  /** The inflated size: of the object, or of the delta for OFS_DELTA / REF_DELTA. */
  size: number;
  /** Bytes of the header itself: the zlib stream starts this far into the entry. */
  length: number;
  /** The base's pack offset for OFS_DELTA, else -1. */
  baseOffset: number;
  /** The base's id for REF_DELTA. */
  baseId: ObjectId | undefined;
}

/**
 * Decodes the header of the entry at pack offset `offset`, found at `buf[start]`; undefined when
 * `buf` ends inside it (read more and try again). Damage is thrown as `fail(why)`.
 */
export function parseEntryHeader(buf: Uint8Array, start: number, offset: number, fail: (why: string) => Error): EntryHeader | undefined {
  let p = start;
  if (p >= buf.length) return undefined;
  let c = buf[p++]!;
  const code = (c >> 4) & 7;
  let size = c & 15;
  let scale = 16;
  while (c & 0x80) {
    if (p >= buf.length) return undefined;
    c = buf[p++]!;
    size += (c & 0x7f) * scale;
    scale *= 128;
    if (scale > Number.MAX_SAFE_INTEGER) throw fail(`entry at offset ${offset} has an overlong size`);
  }
  let baseOffset = -1;
  let baseId: ObjectId | undefined;
  if (code === OFS_DELTA) {
    if (p >= buf.length) return undefined;
    c = buf[p++]!;
    let distance = c & 0x7f;
    while (c & 0x80) {
      if (p >= buf.length) return undefined;
      c = buf[p++]!;
      distance = (distance + 1) * 128 + (c & 0x7f);
      if (distance > offset) break;
    }
    baseOffset = offset - distance;
    if (distance === 0 || baseOffset < HEADER_BYTES) throw fail(`entry at offset ${offset} refers to a base before the start of the pack`);
  } else if (code === REF_DELTA) {
    if (p + 20 > buf.length) return undefined;
    baseId = toHex(buf, p, p + 20);
    p += 20;
  } else if (TYPE_BY_CODE[code] === undefined) {
    throw fail(`entry at offset ${offset} has unknown type ${code}`);
  }
  return { code, size, length: p - start, baseOffset, baseId };
}

/** The most bytes an entry header takes: type and size, then an OFS_DELTA's distance or a REF_DELTA's id. */
export const MAX_ENTRY_HEADER_BYTES = 10 + 10 + 20;

/** Encodes an entry header; `distance` is an OFS_DELTA's, `baseId` a REF_DELTA's. */
export function encodeEntryHeader(code: number, size: number, distance = 0, baseId?: ObjectId): Uint8Array {
  const out = new Uint8Array(MAX_ENTRY_HEADER_BYTES);
  return out.subarray(0, encodeEntryHeaderInto(out, 0, code, size, distance, baseId));
}

/** encodeEntryHeader written into `out` at `p` (MAX_ENTRY_HEADER_BYTES of room); returns where it ends. */
export function encodeEntryHeaderInto(out: Uint8Array, p: number, code: number, size: number, distance = 0, baseId?: ObjectId): number {
  let rest = Math.floor(size / 16);
  out[p++] = (code << 4) | (size % 16) | (rest > 0 ? 0x80 : 0);
  while (rest > 0) {
    const low = rest % 128;
    rest = Math.floor(rest / 128);
    out[p++] = low | (rest > 0 ? 0x80 : 0);
  }
  if (code === OFS_DELTA) {
    if (!(distance > 0)) throw new RangeError(`OFS_DELTA distance ${distance}: the base must come first`);
    // The groups come out last first: count them, then fill them in from the end.
    let groups = 1;
    for (let d = Math.floor(distance / 128); d > 0; d = Math.floor((d - 1) / 128)) groups++;
    let q = p + groups - 1;
    out[q--] = distance % 128;
    for (let d = Math.floor(distance / 128); d > 0; d = Math.floor(d / 128)) {
      d -= 1;
      out[q--] = 0x80 | (d % 128);
    }
    p += groups;
  } else if (code === REF_DELTA) {
    if (baseId === undefined) throw new RangeError('REF_DELTA needs its base id');
    hexInto(baseId, out, p);
    p += 20;
  }
  return p;
}
