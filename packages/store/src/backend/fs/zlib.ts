import * as zlib from 'node:zlib';
import type { Zlib } from '../../git/pack/types.js';
import { unstoredZlibPrefix } from '../../git/stored-zlib.js';
import { reusedInflater } from './reused-inflater.js';

/** What inflateSync returns with `info: true`; @types/node declares only the Buffer form. */
interface InflateInfo {
  buffer: Buffer;
  engine: { bytesWritten: number };
}

/**
 * inflateSync and deflateSync hand back a view into a chunk of 16 KiB or more even for a 100-byte
 * result; callers keep results (caches, a pack being assembled), so copy small ones out rather than
 * pin a whole chunk each.
 */
function tight(buf: Buffer): Uint8Array {
  const view = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  return buf.buffer.byteLength > buf.length * 2 + 1024 ? view.slice() : view;
}

/** CRC-32 (zlib's polynomial) for Node 20 releases before 20.15, which lack zlib.crc32. */
let table: Uint32Array | undefined;
function portableCrc32(data: Uint8Array, initial = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = ~initial;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

const nativeCrc32: ((data: Uint8Array, value?: number) => number) | undefined =
  typeof zlib.crc32 === 'function' ? zlib.crc32 : undefined;

/**
 * Options sized to the input. zlib's defaults (a 16 KiB output chunk, a 32 KiB window and its hash
 * tables) are allocated and cleared on every call; for the objects of a pack, mostly a few hundred
 * bytes, that setup costs more than compressing. A window just larger than the input finds the same
 * matches, and any window size is a valid zlib stream for git.
 */
function deflateOptions(n: number, level: number | undefined): zlib.ZlibOptions {
  const options: zlib.ZlibOptions = level === undefined ? {} : { level };
  if (n < 16 << 10) {
    // Incompressible data grows by a few bytes per 16 KiB block plus the stream's header and trailer.
    options.chunkSize = Math.max(zlib.constants.Z_MIN_CHUNK, n + 64);
    options.windowBits = Math.max(9, Math.min(15, Math.ceil(Math.log2(n + 262))));
  }
  return options;
}

/**
 * Objects under this size go through the reused inflater, or else get an output chunk of their own
 * size; larger ones gain nothing from either.
 */
const SMALL_OBJECT = 256 * 1024;

/** Zlib for the pack code, backed by node:zlib. Errors (truncated or corrupt streams) are thrown as they come. */
export const nodeZlib: Zlib = {
  inflate(data, expectedSize) {
    // Stored streams (the small entries of our write-path packs) need no zlib call.
    if (data[0] === 0x78 && data[1] === 0x01 && data.length > 2 && (data[2]! & 0xfe) === 0) {
      const stored = unstoredZlibPrefix(data);
      if (stored) return { out: new Uint8Array(stored.content), consumed: stored.consumed }; // a copy, not a view
    }
    if (expectedSize !== undefined && expectedSize < SMALL_OBJECT) {
      const inflate = reusedInflater();
      if (inflate) return inflate(data, expectedSize);
    }
    // An output chunk of exactly the declared size (plus one byte, so zlib can tell the stream ended)
    // spares allocating 16 KiB and copying out for every small object.
    const options = expectedSize !== undefined && expectedSize < SMALL_OBJECT ? { info: true, chunkSize: Math.max(64, expectedSize + 1) } : { info: true };
    const { buffer, engine } = zlib.inflateSync(data, options) as unknown as InflateInfo;
    return { out: tight(buffer), consumed: engine.bytesWritten };
  },
  deflate(data, level) {
    return tight(zlib.deflateSync(data, deflateOptions(data.length, level)));
  },
  crc32(data, initial = 0) {
    return nativeCrc32 ? nativeCrc32(data, initial) >>> 0 : portableCrc32(data, initial);
  },
};
