/** Byte helpers shared by the codecs; the core must not depend on node:buffer so it runs in a browser. */
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

export function fromUtf8(b: Uint8Array): string {
  return decoder.decode(b);
}

/** Decodes UTF-8, returning undefined for invalid sequences (so callers can fall back to raw bytes). */
export function fromUtf8Strict(b: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(b);
  } catch {
    return undefined;
  }
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The two ASCII hex digits of each byte value, at 2*b and 2*b+1. */
const HEX_DIGITS = new Uint8Array(512);
for (let i = 0; i < 256; i++) {
  const h = i.toString(16).padStart(2, '0');
  HEX_DIGITS[2 * i] = h.charCodeAt(0);
  HEX_DIGITS[2 * i + 1] = h.charCodeAt(1);
}
const latin1 = new TextDecoder('latin1');
/** Scratch for the common case, a 20-byte object id. */
const ID_HEX = new Uint8Array(40);

/**
 * One flat string per call: concatenating two digits at a time builds a rope of 20 pieces per id,
 * which costs memory for as long as the id is cached and a flattening when it is first compared.
 */
export function toHex(b: Uint8Array, start = 0, end = b.length): string {
  const n = end - start;
  const out = n === 20 ? ID_HEX : new Uint8Array(2 * n);
  hexDigitsInto(b, start, n, out, 0);
  return latin1.decode(out);
}

/** Writes the 2n hex digits of b[start, start+n) as ASCII bytes into `out` at `at`. */
export function hexDigitsInto(b: Uint8Array, start: number, n: number, out: Uint8Array, at: number): void {
  for (let i = 0; i < n; i++) {
    const v = b[start + i]! << 1;
    out[at + 2 * i] = HEX_DIGITS[v]!;
    out[at + 2 * i + 1] = HEX_DIGITS[v + 1]!;
  }
}

/** Value of each hex digit by char code, -1 for anything else. */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

/** Writes the bytes of a hex string into `out` at `offset` (object ids go straight into encoded trees). */
export function hexInto(hex: string, out: Uint8Array, offset: number): void {
  const n = hex.length >> 1;
  for (let i = 0; i < n; i++) {
    const hi = HEX_VALUE[hex.charCodeAt(2 * i)] ?? -1;
    const lo = HEX_VALUE[hex.charCodeAt(2 * i + 1)] ?? -1;
    if (hi < 0 || lo < 0) throw new TypeError(`not a hex string: ${hex}`);
    out[offset + i] = (hi << 4) | lo;
  }
}

export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  hexInto(hex, out, 0);
  return out;
}
