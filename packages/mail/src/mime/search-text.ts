// Text for SEARCH (RFC 3501 section 6.4.4, RFC 9051 section 6.4.4): header values with their
// encoded words decoded, and the text of a message's text/* parts with transfer encoding and
// charset undone. Matching is a case-insensitive substring test.
import { decodeCharset } from './charsets.js';
import { decodeEncodedWords } from './encoded-words.js';
import { decodeTransfer } from './decode.js';
import { fieldValue } from './headers.js';
import { paramValue } from './params.js';
import { type MimePart, mediaType } from './structure.js';

/**
 * Case folding for matching: NFKC (so composed and decomposed forms, and compatibility forms such
 * as full-width letters, compare equal), then upper and lower case (so "ß" matches "ss", as in
 * i;unicode-casemap, RFC 5051), and blanks collapsed, since folding moved line breaks around.
 */
export function foldForSearch(s: string): string {
  return s.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC').replace(/\s+/g, ' ');
}

/** Whether `haystack` contains `needle`, as IMAP SEARCH compares strings. */
export function matchesSearch(haystack: string, needle: string): boolean {
  return foldForSearch(haystack).includes(foldForSearch(needle));
}

/** Decoded values of every field named `name` (any case) in a part's header. */
export function headerTexts(raw: Uint8Array, part: MimePart, name: string): string[] {
  const key = name.toLowerCase();
  return part.headers.filter((f) => f.key === key).map((f) => decodeEncodedWords(fieldValue(raw, f)));
}

/** All header fields as "Name: decoded value" lines: the header half of SEARCH TEXT. */
export function headerText(raw: Uint8Array, part: MimePart): string {
  return part.headers.map((f) => `${f.name}: ${decodeEncodedWords(fieldValue(raw, f))}`).join('\n');
}

/** The text of one text/* part: transfer encoding and charset undone, HTML reduced to its text. */
export function partText(raw: Uint8Array, part: MimePart): string {
  const bytes = decodeTransfer(raw.subarray(part.bodyStart, part.end), part.encoding) ?? raw.subarray(part.bodyStart, part.end);
  const text = decodeCharset(bytes, paramValue(part.params, 'charset'));
  return part.subtype.toLowerCase() === 'html' ? htmlToText(text) : text;
}

/**
 * The body text SEARCH BODY looks in: every text/* part, and the headers and text parts of
 * encapsulated messages (a forwarded message's subject is part of the forwarding one's body).
 */
export function bodyText(raw: Uint8Array, root: MimePart): string {
  const out: string[] = [];
  const walk = (p: MimePart): void => {
    if (p.parts.length) { for (const c of p.parts) walk(c); return; }
    if (p.message) {
      const k = mediaType(p);
      if (k === 'message/rfc822' || k === 'message/global') {
        out.push(headerText(raw, p.message));
        walk(p.message);
        return;
      }
    }
    if (p.type.toLowerCase() === 'text') out.push(partText(raw, p));
  };
  walk(root);
  return out.join('\n');
}

/** SEARCH TEXT: the header and the body. */
export function messageText(raw: Uint8Array, root: MimePart): string {
  return headerText(raw, root) + '\n\n' + bodyText(raw, root);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Enough of HTML to text for searching: no tags, scripts or styles, common entities decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    });
}
