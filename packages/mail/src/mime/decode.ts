// Content-Transfer-Encoding (RFC 2045 section 6) decoded to bytes, for BINARY (RFC 3516) and for
// searching text. Both decoders are lenient the way mail needs: base64 skips characters outside
// its alphabet, and quoted-printable keeps a malformed "=" as it is.
import { CR, HT, LF, SP } from './bytes.js';

/** The encodings that are the identity on the bytes. */
const IDENTITY = new Set(['', '7bit', '8bit', 'binary']);

/** Whether we can decode `encoding` (lower case, or null for the default 7bit). */
export function knownEncoding(encoding: string | null): boolean {
  const e = (encoding ?? '').toLowerCase();
  return IDENTITY.has(e) || e === 'base64' || e === 'quoted-printable';
}

/** Decoded bytes, or null when the encoding is one we do not know (IMAP's [UNKNOWN-CTE]). */
export function decodeTransfer(body: Uint8Array, encoding: string | null): Uint8Array | null {
  const e = (encoding ?? '').toLowerCase();
  if (IDENTITY.has(e)) return body;
  if (e === 'base64') return decodeBase64(body);
  if (e === 'quoted-printable') return decodeQuotedPrintable(body);
  return null;
}

/** The decoded length without building the bytes where that is cheap (identity, base64). */
export function decodedSize(body: Uint8Array, encoding: string | null): number | null {
  const e = (encoding ?? '').toLowerCase();
  if (IDENTITY.has(e)) return body.length;
  if (e === 'base64') return base64Walk(body, null);
  if (e === 'quoted-printable') return decodeQuotedPrintable(body).length;
  return null;
}

const B64 = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) B64['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;
B64['-'.charCodeAt(0)] = 62; // base64url, which some mailers emit
B64['_'.charCodeAt(0)] = 63;
const PAD = 61; // '='

/**
 * One walk serves both decoding and sizing, so BINARY.SIZE always equals BINARY's length. A "="
 * ends the current quantum (its leftover bits are padding), which also decodes bodies made of
 * several padded base64 blobs one after another.
 */
function base64Walk(src: Uint8Array, out: Uint8Array | null): number {
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    const v = B64[c]!;
    if (v < 0) {
      if (c === PAD) { acc = 0; bits = 0; }
      continue;
    }
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (out) out[n] = (acc >> bits) & 0xff;
      n++;
    }
  }
  return n;
}

export function decodeBase64(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil((src.length * 3) / 4));
  return out.subarray(0, base64Walk(src, out));
}

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * RFC 2045 section 6.7: "=XX" is a byte, "=" at the end of a line (after optional blanks) is a soft
 * line break, and blanks at the end of a line were added in transport and are dropped.
 */
export function decodeQuotedPrintable(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length);
  let n = 0;
  let i = 0;
  const len = src.length;
  while (i < len) {
    const c = src[i]!;
    if (c === 61) {
      const h1 = i + 1 < len ? hex(src[i + 1]!) : -1;
      const h2 = i + 2 < len ? hex(src[i + 2]!) : -1;
      if (h1 >= 0 && h2 >= 0) { out[n++] = (h1 << 4) | h2; i += 3; continue; }
      // Soft line break: "=" then blanks then CRLF, LF, or the end of the body.
      let j = i + 1;
      while (j < len && (src[j] === SP || src[j] === HT)) j++;
      if (j >= len) { i = j; continue; }
      if (src[j] === LF) { i = j + 1; continue; }
      if (src[j] === CR && src[j + 1] === LF) { i = j + 2; continue; }
      out[n++] = c;
      i++;
      continue;
    }
    if (c === SP || c === HT) {
      // Trailing blanks before a line break are transport padding.
      let j = i;
      while (j < len && (src[j] === SP || src[j] === HT)) j++;
      if (j >= len || src[j] === LF || (src[j] === CR && src[j + 1] === LF)) { i = j; continue; }
      while (i < j) out[n++] = src[i++]!;
      continue;
    }
    out[n++] = c;
    i++;
  }
  return out.subarray(0, n);
}
