// Zlib streams made of stored (uncompressed) deflate blocks, for small objects: loose files and the
// entries of write-path packs.
//
// Why: each node:zlib call sets up and tears down a deflate stream (a few hundred KiB of state, Huffman
// tables built per block). For objects of a few hundred bytes that costs more than it saves: zlib was
// about a tenth of the CPU of a one-key commit (five loose objects), and of an IMAP STORE group (sixty
// small pack entries). A loose object takes at least one block of the file system (4 KiB on ext4, xfs,
// APFS by default), so compressing one that fits in a block saves no space at all. A stored stream is
// what zlib itself writes at level 0, the value of git's core.looseCompression = 0 and
// pack.compression = 0: every zlib reader (git, isomorphic-git, pako) inflates it, and reading it back
// here is a copy and a checksum instead of a call into zlib.

import { concat } from './bytes.js';

/** zlib's CMF/FLG bytes for a deflate stream with a 32 KiB window at "fastest" level, as level 0 writes. */
const CMF = 0x78;
const FLG = 0x01;
/** A stored block holds at most this many bytes (its LEN field is 16 bits). */
const MAX_BLOCK = 0xffff;
/** Adler-32's modulus, and how many bytes its sums can take before they need reducing (zlib's NMAX). */
const BASE = 65521;
const NMAX = 5552;

export function adler32(data: Uint8Array, start = 0, end = data.length): number {
  let a = 1;
  let b = 0;
  for (let i = start; i < end; ) {
    const stop = Math.min(end, i + NMAX);
    for (; i < stop; i++) {
      a += data[i]!;
      b += a;
    }
    a %= BASE;
    b %= BASE;
  }
  return ((b << 16) | a) >>> 0;
}

/** Bytes of the stored stream of `n` bytes of content. */
export function storedZlibLength(n: number): number {
  return 2 + 5 * Math.max(1, Math.ceil(n / MAX_BLOCK)) + n + 4;
}

/**
 * The zlib stream (stored blocks) of `header` (ASCII, such as "blob 12\0") followed by `body`, written
 * straight into one buffer: the framed object is never assembled on its own.
 */
export function storedZlib(header: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(storedZlibLength(header.length + body.length));
  storedZlibInto(out, 0, header, body);
  return out;
}

/**
 * storedZlib written into `out` at `at`, which must have storedZlibLength(header.length + body.length)
 * bytes from there; returns where the stream ends. A pack writer puts its entries one after another
 * this way, with no array of its own for each.
 */
export function storedZlibInto(out: Uint8Array, at: number, header: string, body: Uint8Array): number {
  const n = header.length + body.length;
  const length = storedZlibLength(n);
  // The content first, after the room for the zlib header and the first block header; moved into
  // blocks below only when it needs more than one (objects this is used for never do).
  const content = out.subarray(at + 7, at + 7 + n);
  for (let i = 0; i < header.length; i++) content[i] = header.charCodeAt(i);
  content.set(body, header.length);
  const sum = adler32(content);
  const blocks = Math.max(1, Math.ceil(n / MAX_BLOCK));
  if (blocks > 1) {
    const copy = content.slice();
    let o = at + 2;
    for (let k = 0, i = 0; k < blocks; k++) {
      const len = Math.min(MAX_BLOCK, n - i);
      o = blockHeader(out, o, k === blocks - 1, len);
      out.set(copy.subarray(i, i + len), o);
      o += len;
      i += len;
    }
  } else {
    blockHeader(out, at + 2, true, n);
  }
  out[at] = CMF;
  out[at + 1] = FLG;
  const t = at + length - 4;
  out[t] = sum >>> 24;
  out[t + 1] = (sum >>> 16) & 0xff;
  out[t + 2] = (sum >>> 8) & 0xff;
  out[t + 3] = sum & 0xff;
  return at + length;
}

function blockHeader(out: Uint8Array, o: number, final: boolean, len: number): number {
  out[o] = final ? 1 : 0; // BFINAL, BTYPE 00 (stored), then padding to the byte boundary
  out[o + 1] = len & 0xff;
  out[o + 2] = len >>> 8;
  out[o + 3] = ~len & 0xff;
  out[o + 4] = (~len >>> 8) & 0xff;
  return o + 5;
}

/**
 * The content of `data` when it is a well-formed zlib stream of stored blocks only (what storedZlib
 * writes, or zlib at level 0), with its checksum verified; undefined for anything else, compressed
 * streams and damaged ones alike, which the caller hands to zlib (whose error then says what is wrong).
 * A single block comes back as a view into `data`.
 */
export function unstoredZlib(data: Uint8Array): Uint8Array | undefined {
  const r = unstoredZlibPrefix(data);
  return r && r.consumed === data.length ? r.content : undefined;
}

/**
 * unstoredZlib for a stream that starts at data[0] and may be followed by other bytes (a pack entry
 * read through a window of the pack): the content and the length of the stream.
 */
export function unstoredZlibPrefix(data: Uint8Array): { content: Uint8Array; consumed: number } | undefined {
  if (data.length < 11 || (data[0]! & 0x0f) !== 8 || (data[0]! >>> 4) > 7) return undefined;
  if ((data[1]! & 0x20) !== 0 || ((data[0]! << 8) | data[1]!) % 31 !== 0) return undefined; // preset dictionary, bad check
  const parts: Uint8Array[] = [];
  let p = 2;
  for (;;) {
    if (p + 5 > data.length) return undefined;
    const head = data[p]!;
    if ((head & ~1) !== 0) return undefined; // not a stored block (or stray padding bits)
    const len = data[p + 1]! | (data[p + 2]! << 8);
    const nlen = data[p + 3]! | (data[p + 4]! << 8);
    if ((len ^ 0xffff) !== nlen || p + 5 + len > data.length) return undefined;
    parts.push(data.subarray(p + 5, p + 5 + len));
    p += 5 + len;
    if (head === 1) break;
  }
  if (p + 4 > data.length) return undefined;
  const content = parts.length === 1 ? parts[0]! : concat(parts);
  const sum = ((data[p]! << 24) | (data[p + 1]! << 16) | (data[p + 2]! << 8) | data[p + 3]!) >>> 0;
  return adler32(content) === sum ? { content, consumed: p + 4 } : undefined;
}
