// Text in a named charset, through the WHATWG Encoding Standard decoders Node ships (full ICU in
// Node 20: utf-8, iso-8859-*, windows-125x, koi8-r/u, gb18030/gbk, big5, shift_jis, euc-jp,
// iso-2022-jp, euc-kr, ...). Mail names charsets more loosely than the WHATWG labels, so a few
// aliases are mapped first; an unknown charset never fails: UTF-8 if the bytes are valid UTF-8,
// else windows-1252, which maps every byte to something visible.
import { Buffer, isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';

const decoders = new Map<string, TextDecoder | null>();

/** Names seen in mail that the WHATWG labels lack, mapped to an equivalent they have. */
const ALIASES: Record<string, string> = {
  'utf8': 'utf-8',
  'unicode-1-1-utf-8': 'utf-8',
  'us-ascii': 'windows-1252',
  'ascii': 'windows-1252',
  'ansi_x3.4-1968': 'windows-1252',
  'cp1250': 'windows-1250', 'cp1251': 'windows-1251', 'cp1252': 'windows-1252', 'cp1253': 'windows-1253',
  'cp1254': 'windows-1254', 'cp1255': 'windows-1255', 'cp1256': 'windows-1256', 'cp1257': 'windows-1257',
  'cp1258': 'windows-1258',
  'cp932': 'shift_jis', 'windows-31j': 'shift_jis', 'sjis': 'shift_jis',
  'cp936': 'gbk', 'gb_2312-80': 'gbk',
  'cp949': 'euc-kr', 'ks_c_5601': 'euc-kr',
  'cp866': 'ibm866',
  'iso8859-1': 'iso-8859-1', 'iso8859-2': 'iso-8859-2', 'iso8859-15': 'iso-8859-15',
};

function decoderFor(charset: string): TextDecoder | null {
  let label = charset.trim().toLowerCase();
  // RFC 2231 section 5 lets an encoded word name a language after the charset: "utf-8*en".
  const star = label.indexOf('*');
  if (star >= 0) label = label.slice(0, star);
  label = ALIASES[label] ?? label;
  let d = decoders.get(label);
  if (d === undefined) {
    try { d = new TextDecoder(label); } catch { d = null; }
    if (decoders.size < 256) decoders.set(label, d);
  }
  return d;
}

/** Whether Node can decode this charset (else decodeCharset falls back). */
export function knownCharset(charset: string): boolean {
  return decoderFor(charset) !== null;
}

/** Bytes in `charset` as text; an unknown charset falls back to UTF-8 or windows-1252. */
export function decodeCharset(bytes: Uint8Array, charset: string | null | undefined): string {
  const d = charset ? decoderFor(charset) : null;
  if (d) return d.encoding === 'windows-1252' ? decodeWindows1252(bytes) : d.decode(bytes);
  return isUtf8(bytes) ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') : decodeWindows1252(bytes);
}

/** What windows-1252 has at 0x80..0x9f (0 where it has nothing; those bytes stay C1 controls). */
const CP1252 = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
  0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];

/**
 * windows-1252, which WHATWG also uses for the us-ascii and iso-8859-1 labels (mail so labelled
 * often holds "smart quotes"). Decoded here because Node 20's TextDecoder decodes it as latin1,
 * leaving 0x80..0x9f as control characters.
 */
export function decodeWindows1252(bytes: Uint8Array): string {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return s.replace(/[\x80-\x9f]/g, (c) => {
    const u = CP1252[c.charCodeAt(0) - 0x80]!;
    return u ? String.fromCharCode(u) : c;
  });
}
