// One zlib inflate stream reused for every small object whose size is known, instead of a new one per
// call.
//
// Why: zlib.inflateSync builds a Transform stream, a native handle and zlib's state for each call, and
// frees them after: 2 to 3 µs, more than inflating a 200-byte commit takes. Reading a log of 10,000
// packed commits or indexing a clone of 50,000 objects spent about half of its inflating in that setup.
// Node has no public API to reuse a stream for a new zlib input, so this drives the native handle
// behind a zlib.Inflate the way zlib.inflateSync itself does (writeSync with Z_FINISH, then the two
// counters it leaves in _writeState), and resets it between inputs (zlib's inflateReset). The shape of
// those internals is checked once; where it differs (another Node version), `reusedInflater` is
// undefined and callers use inflateSync.
import * as zlib from 'node:zlib';

/** The native handle's methods used here (lib/zlib.js calls them with these arguments). */
interface NativeZlib {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset(): void;
  onerror: (message: string, errno: number) => void;
}

export interface Inflated {
  out: Uint8Array;
  /** Bytes of `data` the zlib stream took (a pack entry's stream may be followed by other bytes). */
  consumed: number;
}

export type ReusedInflater = (data: Uint8Array, expectedSize: number) => Inflated;

function create(): ReusedInflater | undefined {
  const stream = new zlib.Inflate() as unknown as { _handle?: Partial<NativeZlib>; _writeState?: unknown };
  const handle = stream._handle;
  const state = stream._writeState;
  if (!handle || typeof handle.writeSync !== 'function' || typeof handle.reset !== 'function') return undefined;
  if (!(state instanceof Uint32Array) || state.length !== 2) return undefined;
  const native = handle as NativeZlib;
  let failure: string | undefined;
  // Called synchronously from writeSync when zlib reports an error (bad data, a truncated stream, a
  // wrong checksum). Replacing the stream's own handler keeps the handle open: the stream would close
  // it, and it is reset before the next input anyway.
  native.onerror = (message) => {
    failure = message;
  };
  const inflater: ReusedInflater = (data, expectedSize) => {
    // One byte of room beyond the declared size tells a stream that inflates to more from one that ends.
    const out = new Uint8Array(expectedSize + 1);
    failure = undefined;
    try {
      native.writeSync(zlib.constants.Z_FINISH, data, 0, data.length, out, 0, out.length);
    } finally {
      native.reset();
    }
    if (failure !== undefined) throw new Error(failure);
    const produced = out.length - state[0]!;
    const consumed = data.length - state[1]!;
    if (produced > expectedSize) throw new Error(`inflates to more than the declared ${expectedSize} bytes`);
    return { out: out.subarray(0, produced), consumed };
  };
  // Checked on a stream whose result is known, so that a handle that behaves otherwise is never used.
  try {
    const sample = new TextEncoder().encode('reused inflater check '.repeat(8));
    const packed = zlib.deflateSync(sample);
    const trailing = new Uint8Array(packed.length + 3);
    trailing.set(packed);
    const r = inflater(trailing, sample.length);
    if (r.consumed !== packed.length || Buffer.compare(Buffer.from(r.out), Buffer.from(sample)) !== 0) return undefined;
    let refused = false;
    try {
      inflater(packed.subarray(0, packed.length - 6), sample.length);
    } catch {
      refused = true;
    }
    if (!refused) return undefined;
    if (inflater(packed, sample.length).out.length !== sample.length) return undefined;
  } catch {
    return undefined;
  }
  return inflater;
}

let cached: ReusedInflater | undefined | null = null;

/** The reused inflater of this thread, or undefined when this Node's zlib internals are not as expected. */
export function reusedInflater(): ReusedInflater | undefined {
  if (cached === null) cached = process.env.NYMOTE_NO_REUSED_INFLATE ? undefined : create();
  return cached;
}
