// RFC 2047 encoded words ("=?charset?B|Q?text?=") in header text, decoded for SEARCH and display.
// IMAP itself returns headers undecoded; this is only for matching and for the summary.
import { Buffer } from 'node:buffer';
import { binaryToText, fromLatin1 } from './bytes.js';
import { decodeCharset } from './charsets.js';

const WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

/** Decodes the "Q" encoding (RFC 2047 section 4.2) of a word to bytes (a binary string). */
function qDecode(s: string): string {
  return s.replace(/_/g, ' ').replace(/=([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/**
 * Decodes the encoded words in `s`, a binary string (header bytes, one char per byte). Blanks
 * between adjacent encoded words are dropped (RFC 2047 section 6.2), and adjacent words in the same
 * charset are decoded together, since senders split multi-byte characters across words. Text
 * outside encoded words is read as UTF-8 (RFC 6532) or, failing that, windows-1252. A malformed
 * word is left as it is.
 */
export function decodeEncodedWords(s: string): string {
  if (!s.includes('=?')) return binaryToText(s);
  let out = '';
  let last = 0;
  let pending: { charset: string; bytes: string } | null = null;
  const flush = (): void => {
    if (pending) out += decodeCharset(fromLatin1(pending.bytes), pending.charset);
    pending = null;
  };
  WORD.lastIndex = 0;
  for (let m = WORD.exec(s); m; m = WORD.exec(s)) {
    const between = s.slice(last, m.index);
    const adjacent = pending !== null && /^[ \t\r\n]*$/.test(between);
    if (!adjacent) { flush(); out += binaryToText(between); }
    // A "Q" word with a stray "=" is not an encoded word (RFC 2047 section 4.2): it stays text.
    if ((m[2] === 'q' || m[2] === 'Q') && /=(?![0-9a-fA-F]{2})/.test(m[3]!)) continue;
    const charset = m[1]!.toLowerCase();
    const bytes = m[2]!.toLowerCase() === 'b' ? Buffer.from(m[3]!, 'base64').toString('latin1') : qDecode(m[3]!);
    if (pending && pending.charset === charset) pending.bytes += bytes;
    else { flush(); pending = { charset, bytes }; }
    last = m.index + m[0].length;
  }
  flush();
  return out + binaryToText(s.slice(last));
}
