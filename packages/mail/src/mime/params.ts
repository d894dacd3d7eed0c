// MIME structured header values (RFC 2045 section 5.1, RFC 2183, RFC 3282): "type/subtype" or a
// disposition token followed by ";"-separated parameters, with RFC 822 comments anywhere, and RFC
// 2231 parameter continuations and charset/language encoding. Input and output are binary strings.
import { decodeCharset } from './charsets.js';
import { decodeEncodedWords } from './encoded-words.js';
import { binaryToText, fromLatin1 } from './bytes.js';

export interface MimeParam {
  /** As written, except that RFC 2231 continuations are merged into one "name" or "name*". */
  name: string;
  /** The value as IMAP reports it: unquoted; for "name*" still charset'language'%-encoded. */
  value: string;
}

/** Drops RFC 822 comments (nested, with quoted-pairs) outside quoted strings. */
export function stripComments(s: string): string {
  if (!s.includes('(')) return s;
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (depth > 0) {
      if (c === '\\') i++;
      else if (c === '(') depth++;
      else if (c === ')') { depth--; if (depth === 0) out += ' '; }
      continue;
    }
    if (quoted) {
      out += c;
      if (c === '\\' && i + 1 < s.length) out += s[++i]!;
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    if (c === '(') { depth = 1; continue; }
    out += c;
  }
  return out;
}

/** Splits on `sep` outside quoted strings (comments must already be gone). */
function splitUnquoted(s: string, sep: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === sep) { parts.push(s.slice(from, i)); from = i + 1; }
  }
  parts.push(s.slice(from));
  return parts;
}

/** A parameter value: a quoted string unquoted (quoted-pairs resolved), else the trimmed text. */
function unquote(v: string): string {
  v = v.trim();
  if (!v.startsWith('"')) return v;
  let out = '';
  for (let i = 1; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\' && i + 1 < v.length) out += v[++i]!;
    else if (c === '"') break;
    else out += c;
  }
  return out;
}

export interface ParsedValue {
  /** The leading token(s): "text/plain" for Content-Type, "attachment" for a disposition. */
  head: string;
  params: MimeParam[];
}

/** Parses `head *(";" name "=" value)`, tolerating missing "=", stray ";" and unquoted blanks. */
export function parseParameterised(value: string): ParsedValue {
  const parts = splitUnquoted(stripComments(value), ';');
  const head = parts[0]!.trim();
  const raw: MimeParam[] = [];
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const name = p.slice(0, eq).trim();
    if (!name || /[\s"]/.test(name)) continue;
    raw.push({ name, value: unquote(p.slice(eq + 1)) });
  }
  return { head, params: mergeContinuations(raw) };
}

const SEGMENT = /^(.+?)\*(\d+)(\*?)$/;

/**
 * RFC 2231 section 3: name*0, name*1*, ... are one value. IMAP servers SHOULD merge continuations
 * in BODYSTRUCTURE (RFC 2231 section 2), keeping the charset'lang'%xx form when any segment is
 * encoded; plain segments of such a value are %-encoded so the merged value stays well-formed.
 */
function mergeContinuations(params: MimeParam[]): MimeParam[] {
  if (!params.some((p) => SEGMENT.test(p.name))) return params;
  const out: (MimeParam | { base: string; segs: Map<number, { enc: boolean; value: string }> })[] = [];
  const groups = new Map<string, { base: string; segs: Map<number, { enc: boolean; value: string }> }>();
  for (const p of params) {
    const m = SEGMENT.exec(p.name);
    if (!m) { out.push(p); continue; }
    const key = m[1]!.toLowerCase();
    let g = groups.get(key);
    if (!g) { g = { base: m[1]!, segs: new Map() }; groups.set(key, g); out.push(g); }
    const n = Number(m[2]);
    if (!g.segs.has(n) && n < 10000) g.segs.set(n, { enc: m[3] === '*', value: p.value });
  }
  return out.map((x) => {
    if ('name' in x) return x;
    const segs: { enc: boolean; value: string }[] = [];
    for (let i = 0; x.segs.has(i); i++) segs.push(x.segs.get(i)!);
    if (!segs.some((s) => s.enc)) return { name: x.base, value: segs.map((s) => s.value).join('') };
    let value = '';
    segs.forEach((s, i) => {
      if (i === 0 && !s.enc) value += "''" + percentEncode(s.value);
      else value += s.enc ? s.value : percentEncode(s.value);
    });
    return { name: x.base + '*', value };
  });
}

/** RFC 2231 attribute-char: US-ASCII printable except SPACE, *, ', %, and tspecials. */
function percentEncode(s: string): string {
  return s.replace(/[^!#$&+\-.0-9A-Z^_`a-z{|}~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

/** Decodes an RFC 2231 extended value "charset'language'%xx..." into text. */
export function decodeExtendedValue(v: string): string {
  const m = /^([^']*)'[^']*'(.*)$/s.exec(v);
  const charset = m ? m[1]! : '';
  const data = m ? m[2]! : v;
  const bin = data.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return charset ? decodeCharset(fromLatin1(bin), charset) : binaryToText(bin);
}

/**
 * A parameter's value as text for people and programs (a filename, a charset): the RFC 2231 form
 * when present, else the plain one, whose RFC 2047 encoded words (a common misuse) are decoded.
 * Case-insensitive name; null when absent.
 */
export function paramValue(params: readonly MimeParam[], name: string): string | null {
  const key = name.toLowerCase();
  const ext = params.find((p) => p.name.toLowerCase() === key + '*');
  if (ext) return decodeExtendedValue(ext.value);
  const plain = params.find((p) => p.name.toLowerCase() === key);
  return plain ? decodeEncodedWords(plain.value) : null;
}

/** The comma-separated language tags of Content-Language (RFC 3282), comments dropped. */
export function parseLanguages(value: string): string[] {
  return stripComments(value).split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}
