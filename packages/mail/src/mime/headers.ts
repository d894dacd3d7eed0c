// The header block of a message or body part (RFC 5322 section 2.2): fields as byte ranges, so that
// sections can hand out the exact bytes and nothing is decoded until asked for.
import { COLON, CR, DASH, HT, LF, SP, latin1, view } from './bytes.js';

/** One header field: raw[start, end) is the whole field including its folded lines and line end. */
export interface HeaderField {
  /** The field name as written (trailing blanks before the colon dropped). */
  name: string;
  /** Lower-cased name, for lookups. */
  key: string;
  start: number;
  /** First byte after the colon. */
  valueStart: number;
  end: number;
}

/** A boundary line found where a header or body was being read (see structure.ts). */
export interface BoundaryHit {
  /** Start of the boundary line. */
  lineStart: number;
  /** Start of the line after it. */
  next: number;
  /** Index into the boundary stack: 0 is the outermost multipart. */
  level: number;
  close: boolean;
}

/** Checks whether the line at p is a boundary line of one of `bounds` (innermost first). */
export type BoundaryMatcher = (p: number) => BoundaryHit | null;

export interface HeaderBlock {
  fields: HeaderField[];
  /** Where the body starts: after the blank line, or where the header ran into a boundary or EOF. */
  bodyStart: number;
  /** Whether a blank line ended the header (HEADER sections include it). */
  blankLine: boolean;
}

/**
 * Past this many fields a header keeps only the fields MIME and the envelope need, so a message
 * made of millions of tiny header lines cannot make us hold millions of objects.
 */
const MAX_FIELDS = 5000;
const KEPT_FIELDS = /^(content-|mime-version$|date$|subject$|from$|sender$|reply-to$|to$|cc$|bcc$|in-reply-to$|message-id$|references$)/;

/**
 * Reads the header starting at `start`. Lines without a colon are kept in the block but are not
 * fields (as Dovecot does); a line that is a boundary of an enclosing multipart ends the header
 * with an empty body, so a part that lacks its blank line does not swallow its siblings.
 */
export function parseHeader(raw: Uint8Array, start: number, boundary?: BoundaryMatcher): HeaderBlock {
  const buf = view(raw);
  const fields: HeaderField[] = [];
  let current: HeaderField | null = null;
  let p = start;
  const n = raw.length;
  while (p < n) {
    const c = raw[p]!;
    if (c === LF || (c === CR && (p + 1 >= n || raw[p + 1] === LF))) {
      const after = Math.min(n, c === LF ? p + 1 : p + 2);
      // A blank line right before a boundary is that boundary's line break (RFC 2046 5.1.1):
      // the part has no blank line, and no body.
      if (boundary && raw[after] === DASH && raw[after + 1] === DASH && boundary(after)) {
        return { fields, bodyStart: p, blankLine: false };
      }
      return { fields, bodyStart: after, blankLine: true };
    }
    if (boundary && c === DASH && raw[p + 1] === DASH && boundary(p)) {
      // The line break before a boundary belongs to the boundary (RFC 2046 section 5.1.1).
      let e = p;
      if (e > start && raw[e - 1] === LF) e--;
      if (e > start && raw[e - 1] === CR) e--;
      if (current && current.end > e) current.end = e;
      return { fields, bodyStart: e, blankLine: false };
    }
    const lf = buf.indexOf(LF, p);
    const lineEnd = lf < 0 ? n : lf + 1;
    if (c === SP || c === HT) {
      if (current) current.end = lineEnd;
    } else {
      current = null;
      const colon = buf.indexOf(COLON, p);
      if (colon >= 0 && colon < lineEnd) {
        let nameEnd = colon;
        while (nameEnd > p && (raw[nameEnd - 1] === SP || raw[nameEnd - 1] === HT)) nameEnd--;
        if (nameEnd > p && validName(raw, p, nameEnd)) {
          const name = latin1(raw, p, nameEnd);
          const key = name.toLowerCase();
          if (fields.length < MAX_FIELDS || KEPT_FIELDS.test(key)) {
            current = { name, key, start: p, valueStart: colon + 1, end: lineEnd };
            fields.push(current);
          }
        }
      }
    }
    p = lineEnd;
  }
  return { fields, bodyStart: n, blankLine: false };
}

/** RFC 5322 field-name: printable US-ASCII except colon (so an mbox "From " line is not a field). */
function validName(raw: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = raw[i]!;
    if (c <= SP || c >= 127) return false;
  }
  return true;
}

/** The field's value as a binary string, unfolded (line breaks before blanks removed, blanks kept). */
export function fieldValue(raw: Uint8Array, f: HeaderField): string {
  return unfold(latin1(raw, f.valueStart, f.end));
}

export function unfold(s: string): string {
  return s.replace(/\r?\n$/, '').replace(/\r?\n(?=[ \t])/g, '').replace(/^[ \t]+/, '');
}

export function findField(fields: HeaderField[], key: string): HeaderField | undefined {
  for (const f of fields) if (f.key === key) return f;
  return undefined;
}

/** The first field named `key` (lower case), unfolded, as a binary string; null when absent. */
export function headerValue(raw: Uint8Array, fields: HeaderField[], key: string): string | null {
  const f = findField(fields, key);
  return f ? fieldValue(raw, f) : null;
}

/**
 * The header lines of raw[start, end) grouped into fields (a field with its continuation lines),
 * including lines that are not fields: HEADER.FIELDS(.NOT) select from these, independent of the
 * field cap above. `name` is lower-cased, or null for a line without a usable name.
 */
export function* headerLines(raw: Uint8Array, start: number, end: number): Generator<{ key: string | null; start: number; end: number }> {
  const buf = view(raw);
  let cur: { key: string | null; start: number; end: number } | null = null;
  let p = start;
  while (p < end) {
    const lf = buf.indexOf(LF, p);
    const lineEnd = lf < 0 || lf >= end ? end : lf + 1;
    const c = raw[p]!;
    if ((c === SP || c === HT) && cur) {
      cur.end = lineEnd;
    } else {
      if (cur) yield cur;
      let key: string | null = null;
      const colon = buf.indexOf(COLON, p);
      if (colon >= 0 && colon < lineEnd) {
        let nameEnd = colon;
        while (nameEnd > p && (raw[nameEnd - 1] === SP || raw[nameEnd - 1] === HT)) nameEnd--;
        if (nameEnd > p && validName(raw, p, nameEnd)) key = latin1(raw, p, nameEnd).toLowerCase();
      }
      cur = { key, start: p, end: lineEnd };
    }
    p = lineEnd;
  }
  if (cur) yield cur;
}
