// The MIME tree of a message (RFC 2045, RFC 2046) as byte ranges into the raw message, read in one
// pass: every part ends at the next boundary line of any enclosing multipart (RFC 2046 section
// 5.1.1), so each byte is looked at once however deep the nesting, and no body is copied.
import { Buffer } from 'node:buffer';
import { CR, DASH, HT, LF, SP, countLines, view } from './bytes.js';
import { type BoundaryHit, type HeaderField, findField, fieldValue, parseHeader } from './headers.js';
import { type MimeParam, paramValue, parseLanguages, parseParameterised, stripComments } from './params.js';

export interface Disposition {
  /** As written ("attachment", "INLINE"). */
  type: string;
  params: MimeParam[];
}

export interface MimePart {
  /** raw[start, bodyStart) is the part's header (with its blank line, when it has one). */
  start: number;
  bodyStart: number;
  /** raw[bodyStart, end) is the body; for a multipart it includes preamble and epilogue. */
  end: number;
  /** Whether the header ended with a blank line (else it ran into a boundary or the end). */
  blankLine: boolean;
  headers: HeaderField[];
  /** Media type and subtype as written ("text", "plain"), or the RFC 2045 default. */
  type: string;
  subtype: string;
  /** Content-Type parameters, RFC 2231 continuations merged (see params.ts). */
  params: MimeParam[];
  /** Content-Transfer-Encoding as written, null when absent (7bit). */
  encoding: string | null;
  id: string | null;
  description: string | null;
  md5: string | null;
  disposition: Disposition | null;
  language: string[] | null;
  location: string | null;
  /** LF count of the body (IMAP's line count for text/* and message/rfc822). */
  lines: number;
  /** Children of a multipart, in order (never empty for a multipart). */
  parts: MimePart[];
  /** The encapsulated message of message/rfc822 or message/global. */
  message: MimePart | null;
  /** Nesting depth: 0 for the message itself. */
  depth: number;
}

/** Past this depth multiparts and encapsulated messages are opaque application/octet-stream. */
export const MAX_DEPTH = 100;

/** Lower-cased "type/subtype". */
export function mediaType(p: MimePart): string {
  return `${p.type}/${p.subtype}`.toLowerCase();
}

export function isMultipart(p: MimePart): boolean {
  return p.parts.length > 0;
}

/** Reads the MIME structure of `raw`. Never throws; malformed input degrades to text/plain. */
export function parseStructure(raw: Uint8Array): MimePart {
  return new Parser(raw).part(0, 0, false);
}

class Parser {
  private readonly buf: Buffer;
  /** Boundaries of the enclosing multiparts, outermost first, as "--boundary" bytes. */
  private readonly bounds: Buffer[] = [];
  private readonly matcher = (p: number): BoundaryHit | null => this.match(p);

  constructor(private readonly raw: Uint8Array) {
    this.buf = view(raw);
  }

  /** Parses the part whose header starts at `start`; `hit` is the boundary that ended it, if any. */
  part(start: number, depth: number, digest: boolean): MimePart {
    return this.parse(start, depth, digest).part;
  }

  private parse(start: number, depth: number, digest: boolean): { part: MimePart; hit: BoundaryHit | null } {
    const raw = this.raw;
    const h = parseHeader(raw, start, this.bounds.length ? this.matcher : undefined);
    const part = describe(raw, start, h.bodyStart, h.blankLine, h.fields, depth, digest);
    const kind = mediaType(part);
    if (part.type.toLowerCase() === 'multipart') {
      const boundary = paramValue(part.params, 'boundary');
      if (depth >= MAX_DEPTH) return this.leaf(opaque(part));
      const level = this.bounds.length;
      let hit: BoundaryHit | null = null;
      if (boundary) {
        this.bounds.push(Buffer.from('--' + boundary, 'latin1'));
        hit = this.find(part.bodyStart);
        const childDigest = part.subtype.toLowerCase() === 'digest';
        while (hit && hit.level === level && !hit.close) {
          const child = this.parse(hit.next, depth + 1, childDigest);
          part.parts.push(child.part);
          hit = child.hit;
        }
        this.bounds.pop();
        // After the close delimiter comes the epilogue, up to a boundary of an enclosing multipart.
        if (hit && hit.level === level) hit = this.find(hit.next);
      } else {
        hit = this.find(part.bodyStart);
      }
      part.end = this.endBefore(hit, part.bodyStart);
      const last = part.parts[part.parts.length - 1];
      if (last && last.end > part.end) part.end = last.end;
      // IMAP needs at least one body in a multipart; like Dovecot, a multipart in which no part
      // was found gets one empty text/plain part.
      if (part.parts.length === 0) part.parts.push(emptyPart(part.end, depth + 1));
      return { part, hit };
    }
    if (kind === 'message/rfc822' || kind === 'message/global') {
      if (depth >= MAX_DEPTH) return this.leaf(opaque(part));
      const inner = this.parse(part.bodyStart, depth + 1, false);
      part.message = inner.part;
      part.end = inner.part.end;
      part.lines = countLines(raw, part.bodyStart, part.end);
      return { part, hit: inner.hit };
    }
    return this.leaf(part);
  }

  private leaf(part: MimePart): { part: MimePart; hit: BoundaryHit | null } {
    const hit = this.find(part.bodyStart);
    part.end = this.endBefore(hit, part.bodyStart);
    if (part.type.toLowerCase() === 'text') part.lines = countLines(this.raw, part.bodyStart, part.end);
    return { part, hit };
  }

  /** A part's body ends before the line break that precedes the boundary line (RFC 2046 5.1.1). */
  private endBefore(hit: BoundaryHit | null, min: number): number {
    if (!hit) return this.raw.length;
    let e = hit.lineStart;
    if (e > min && this.raw[e - 1] === LF) {
      e--;
      if (e > min && this.raw[e - 1] === CR) e--;
    }
    return e;
  }

  /** The first boundary line of an enclosing multipart at or after the line starting at `from`. */
  private find(from: number): BoundaryHit | null {
    if (this.bounds.length === 0) return null;
    let p = from;
    const n = this.raw.length;
    while (p < n) {
      if (this.raw[p] === DASH && this.raw[p + 1] === DASH) {
        const hit = this.match(p);
        if (hit) return hit;
      }
      const i = this.buf.indexOf('\n--', p, 'latin1');
      if (i < 0) return null;
      p = i + 1;
    }
    return null;
  }

  /**
   * Whether the line at p is "--boundary" followed by blanks, or "--boundary--" (anything may
   * follow a close delimiter). The innermost multipart is tried first; an exact match is needed,
   * so "--b2" is not a boundary of "b" even though it starts with it.
   */
  private match(p: number): BoundaryHit | null {
    const raw = this.raw;
    for (let level = this.bounds.length - 1; level >= 0; level--) {
      const b = this.bounds[level]!;
      if (p + b.length > raw.length) continue;
      let same = true;
      for (let i = 2; i < b.length; i++) {
        if (raw[p + i] !== b[i]) { same = false; break; }
      }
      if (!same) continue;
      let q = p + b.length;
      const close = raw[q] === DASH && raw[q + 1] === DASH;
      if (close) q += 2;
      const lf = this.buf.indexOf(LF, q);
      const next = lf < 0 ? raw.length : lf + 1;
      if (!close) {
        let blank = true;
        for (let i = q; i < next; i++) {
          const c = raw[i]!;
          if (c !== SP && c !== HT && c !== CR && c !== LF) { blank = false; break; }
        }
        if (!blank) continue;
      }
      return { lineStart: p, next, level, close };
    }
    return null;
  }
}

function emptyPart(at: number, depth: number): MimePart {
  return {
    start: at, bodyStart: at, end: at, blankLine: false, headers: [], type: 'text', subtype: 'plain',
    params: [{ name: 'charset', value: 'us-ascii' }], encoding: null, id: null, description: null, md5: null,
    disposition: null, language: null, location: null, lines: 0, parts: [], message: null, depth,
  };
}

/** A part too deep to be parsed further is handed out as opaque bytes. */
function opaque(part: MimePart): MimePart {
  part.type = 'application';
  part.subtype = 'octet-stream';
  part.params = [];
  return part;
}

const TOKEN = /^[^\s()<>@,;:\\"/[\]?=\x00-\x1f\x7f]+$/;

/** A part's Content-* fields, with the RFC 2045 defaults (text/plain; charset=us-ascii; 7bit). */
function describe(raw: Uint8Array, start: number, bodyStart: number, blankLine: boolean, fields: HeaderField[],
  depth: number, digest: boolean): MimePart {
  const part = emptyPart(start, depth);
  part.bodyStart = bodyStart;
  part.end = bodyStart;
  part.blankLine = blankLine;
  part.headers = fields;
  const value = (key: string): string | null => {
    const f = findField(fields, key);
    return f ? fieldValue(raw, f) : null;
  };
  const ct = value('content-type');
  let typed = false;
  if (ct !== null) {
    const { head, params } = parseParameterised(ct);
    const slash = head.indexOf('/');
    const type = slash < 0 ? '' : head.slice(0, slash).trim();
    const subtype = slash < 0 ? '' : head.slice(slash + 1).trim();
    // RFC 2045 section 5.2: a syntactically invalid Content-Type means the default.
    if (TOKEN.test(type) && TOKEN.test(subtype)) {
      part.type = type;
      part.subtype = subtype;
      part.params = params;
      typed = true;
    }
  }
  if (!typed && digest) {
    // RFC 2046 section 5.1.5: in a multipart/digest the default is message/rfc822.
    part.type = 'message';
    part.subtype = 'rfc822';
    part.params = [];
  }
  // IMAP clients rely on a charset for text/*; Dovecot adds the default one the same way.
  if (part.type.toLowerCase() === 'text' && !part.params.some((p) => p.name.toLowerCase() === 'charset')) {
    part.params = [...part.params, { name: 'charset', value: 'us-ascii' }];
  }
  const cte = value('content-transfer-encoding');
  if (cte !== null) {
    const e = stripComments(cte).trim();
    part.encoding = e || null;
  }
  const trimmed = (key: string): string | null => {
    const v = value(key);
    return v === null ? null : v.trim();
  };
  part.id = trimmed('content-id');
  part.description = trimmed('content-description');
  part.md5 = trimmed('content-md5');
  part.location = trimmed('content-location');
  const disp = value('content-disposition');
  if (disp !== null) {
    const { head, params } = parseParameterised(disp);
    if (head) part.disposition = { type: head, params };
  }
  const lang = value('content-language');
  if (lang !== null) {
    const tags = parseLanguages(lang);
    if (tags.length) part.language = tags;
  }
  return part;
}
