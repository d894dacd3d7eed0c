// FETCH BODY[section]<partial> (RFC 3501 section 6.4.5, RFC 9051 section 6.4.5) and BINARY
// (RFC 3516) as bytes of the stored message. Every section but HEADER.FIELDS(.NOT) and a decoded
// BINARY is a subarray of the message: no copy.
import { CR, LF, concat, fromLatin1 } from './bytes.js';
import { decodeTransfer, decodedSize } from './decode.js';
import { headerLines } from './headers.js';
import { type MimePart, mediaType } from './structure.js';

export type SectionText = 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';

export interface SectionSpec {
  /** Part numbers, 1-based; empty for the message itself. */
  part: number[];
  text?: SectionText;
  /** Field names for HEADER.FIELDS and HEADER.FIELDS.NOT (any case). */
  fields?: string[];
}

const EMPTY = new Uint8Array(0);

function isMessage(p: MimePart): boolean {
  const k = mediaType(p);
  return p.message !== null && (k === 'message/rfc822' || k === 'message/global');
}

/**
 * The part a part number names, or null. The rules of RFC 3501 6.4.5: numbers index the parts of
 * a multipart; in a message/rfc822 part they index the parts of the encapsulated message; part 1
 * of a message that is not multipart is its body (so the part itself), and so is part 1 of a
 * non-multipart part, as Dovecot and others answer.
 */
export function findPart(root: MimePart, part: readonly number[]): MimePart | null {
  let cur = root;
  // The top level behaves like the inside of a message/rfc822 part whose message is `root`.
  let inMessage = true;
  for (const n of part) {
    if (!inMessage && isMessage(cur)) { cur = cur.message!; inMessage = true; }
    if (cur.parts.length > 0) {
      const next = cur.parts[n - 1];
      if (!next) return null;
      cur = next;
    } else if (n !== 1) {
      return null;
    }
    inMessage = false;
  }
  return cur;
}

/**
 * The bytes of BODY[section] (before any <partial>). A missing part, or HEADER/TEXT of a part
 * that is not message/rfc822, is empty, which is what servers answer.
 */
export function sectionBytes(raw: Uint8Array, root: MimePart, spec: SectionSpec): Uint8Array {
  const p = spec.part.length ? findPart(root, spec.part) : root;
  if (!p) return EMPTY;
  const text = spec.text;
  if (!text) return spec.part.length ? raw.subarray(p.bodyStart, p.end) : raw;
  if (text === 'MIME') return spec.part.length ? raw.subarray(p.start, p.bodyStart) : EMPTY;
  // HEADER and TEXT with a part number are about the message inside a message/rfc822 part.
  let m: MimePart | null = p;
  if (spec.part.length) m = isMessage(p) ? p.message : null;
  if (!m) return EMPTY;
  if (text === 'HEADER') return raw.subarray(m.start, m.bodyStart);
  if (text === 'TEXT') return raw.subarray(m.bodyStart, m.end);
  return headerFields(raw, m, spec.fields ?? [], text === 'HEADER.FIELDS.NOT');
}

/**
 * HEADER.FIELDS (or .NOT): the matching fields, folded lines and all, in message order, then a
 * blank line: the header's own, or CRLF when it has none, so the answer is always a complete
 * header block. A field that lacks a line end (the last one of a message without body) gets a CRLF.
 */
export function headerFields(raw: Uint8Array, m: MimePart, names: readonly string[], not: boolean): Uint8Array {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  let headerEnd = m.bodyStart;
  let blank: Uint8Array = CRLF;
  if (m.blankLine) {
    headerEnd -= raw[headerEnd - 2] === CR && raw[headerEnd - 1] === LF ? 2 : 1;
    blank = raw.subarray(headerEnd, m.bodyStart);
  }
  const chunks: Uint8Array[] = [];
  for (const f of headerLines(raw, m.start, headerEnd)) {
    const hit = f.key !== null && wanted.has(f.key);
    if (hit === not) continue;
    chunks.push(raw.subarray(f.start, f.end));
    if (raw[f.end - 1] !== LF) chunks.push(CRLF);
  }
  chunks.push(blank);
  return chunks.length === 1 ? blank : concat(chunks);
}

const CRLF = fromLatin1('\r\n');

/** Applies FETCH's <offset.length>: bytes from offset, at most length of them (RFC 3501 6.4.5). */
export function partial(bytes: Uint8Array, offset: number, length?: number): Uint8Array {
  if (offset >= bytes.length) return EMPTY;
  return bytes.subarray(offset, length === undefined ? bytes.length : Math.min(bytes.length, offset + length));
}

/** BINARY's answer: the decoded bytes, or the error RFC 3516 answers with NO [UNKNOWN-CTE]. */
export type BinaryResult = { bytes: Uint8Array } | { error: 'UNKNOWN-CTE'; encoding: string };

/**
 * BINARY[part]: the part's content with its Content-Transfer-Encoding undone. BINARY[] (no part)
 * is the whole message: as it is when its top-level encoding is the identity, else the header
 * with Content-Transfer-Encoding rewritten to binary and the body decoded (as Dovecot does).
 * A missing part is empty.
 */
export function binarySection(raw: Uint8Array, root: MimePart, part: readonly number[]): BinaryResult {
  const p = part.length ? findPart(root, part) : root;
  if (!p) return { bytes: EMPTY };
  const body = raw.subarray(p.bodyStart, p.end);
  const decoded = decodeTransfer(body, p.encoding);
  if (!decoded) return { error: 'UNKNOWN-CTE', encoding: p.encoding ?? '' };
  if (part.length) return { bytes: decoded };
  if (decoded === body) return { bytes: raw };
  const header: Uint8Array[] = [];
  let headerEnd = p.bodyStart;
  if (p.blankLine) headerEnd -= raw[headerEnd - 2] === CR ? 2 : 1;
  for (const f of headerLines(raw, p.start, headerEnd)) {
    if (f.key !== 'content-transfer-encoding') header.push(raw.subarray(f.start, f.end));
  }
  header.push(fromLatin1('Content-Transfer-Encoding: binary\r\n\r\n'), decoded);
  return { bytes: concat(header) };
}

/** BINARY.SIZE[part]: the length BINARY[part] has, without decoding base64 to find out. */
export function binarySize(raw: Uint8Array, root: MimePart, part: readonly number[]): number | { error: 'UNKNOWN-CTE'; encoding: string } {
  if (!part.length) {
    const r = binarySection(raw, root, part);
    return 'error' in r ? r : r.bytes.length;
  }
  const p = findPart(root, part);
  if (!p) return 0;
  const n = decodedSize(raw.subarray(p.bodyStart, p.end), p.encoding);
  return n === null ? { error: 'UNKNOWN-CTE', encoding: p.encoding ?? '' } : n;
}
