/**
 * Modified UTF-7 for mailbox names (RFC 3501 section 5.1.3), the form IMAP4rev1 clients use unless
 * they enabled UTF8=ACCEPT (RFC 6855) or IMAP4rev2 (RFC 9051 section 5.1, names are UTF-8).
 * Printable ASCII stands for itself except `&`, written `&-`; every other run of characters is
 * UTF-16BE in base64 with `,` for `/` and no padding, between `&` and `-`.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

const printable = (c: number) => c >= 0x20 && c <= 0x7e;

/** Encodes a mailbox name (any Unicode string) to modified UTF-7. */
export function encodeMailboxUtf7(name: string): string {
  let out = '';
  let i = 0;
  while (i < name.length) {
    const c = name.charCodeAt(i);
    if (printable(c)) {
      out += c === 0x26 ? '&-' : name[i];
      i++;
      continue;
    }
    // A run of characters that are not printable ASCII, as UTF-16 code units (surrogates kept).
    const bytes: number[] = [];
    while (i < name.length && !printable(name.charCodeAt(i))) {
      const u = name.charCodeAt(i++);
      bytes.push(u >> 8, u & 0xff);
    }
    out += '&';
    let bits = 0;
    let acc = 0;
    for (const b of bytes) {
      acc = (acc << 8) | b;
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        out += ALPHABET[(acc >> bits) & 0x3f];
      }
      acc &= (1 << bits) - 1;
    }
    if (bits > 0) out += ALPHABET[(acc << (6 - bits)) & 0x3f];
    out += '-';
  }
  return out;
}

/**
 * Decodes a modified UTF-7 mailbox name; null when it is not valid: characters outside printable
 * ASCII, a bare `&`, base64 that does not make whole UTF-16 units, non-zero padding bits, printable
 * ASCII hidden in base64, or broken surrogate pairs. Rejecting these keeps one spelling per name.
 */
export function decodeMailboxUtf7(text: string): string | null {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (!printable(c)) return null;
    if (c !== 0x26) {
      out += text[i++];
      continue;
    }
    const end = text.indexOf('-', i + 1);
    if (end < 0) return null;
    if (end === i + 1) {
      out += '&';
      i += 2;
      continue;
    }
    let acc = 0;
    let bits = 0;
    const units: number[] = [];
    let pending = -1;
    for (let j = i + 1; j < end; j++) {
      const code = text.charCodeAt(j);
      const v = code < 128 ? VALUE[code]! : -1;
      if (v < 0) return null;
      acc = ((acc << 6) | v) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        const byte = (acc >> bits) & 0xff;
        if (pending < 0) pending = byte;
        else {
          units.push((pending << 8) | byte);
          pending = -1;
        }
      }
    }
    if (pending >= 0 || (acc & ((1 << bits) - 1)) !== 0 || bits >= 6) return null;
    for (let k = 0; k < units.length; k++) {
      const u = units[k]!;
      if (printable(u)) return null;
      if (u >= 0xd800 && u <= 0xdbff) {
        const low = units[k + 1];
        if (low === undefined || low < 0xdc00 || low > 0xdfff) return null;
        out += String.fromCharCode(u, low);
        k++;
      } else if (u >= 0xdc00 && u <= 0xdfff) return null;
      else out += String.fromCharCode(u);
    }
    i = end + 1;
  }
  return out;
}

/**
 * Response text for a client that has not enabled UTF-8 (RFC 3501 text is 7-bit): runs of other
 * characters, which are mailbox names in our messages, are written as modified UTF-7, the way the
 * client knows those names.
 */
export function asciiText(text: string): string {
  return text.replace(/[^\x00-\x7f]+/g, (run) => encodeMailboxUtf7(run));
}
