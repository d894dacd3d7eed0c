/**
 * FETCH data items (RFC 3501 section 6.4.5, RFC 9051 section 6.4.5, BINARY RFC 3516, CONDSTORE
 * RFC 7162): parsing into typed items, the macros expanded, and the names they take in the FETCH
 * response.
 */
import type { Cursor } from './lexer.js';

/** Items that are just a name. `BODY` alone is the non-extensible BODYSTRUCTURE. */
export type FetchAttribute =
  | 'UID' | 'FLAGS' | 'INTERNALDATE' | 'RFC822.SIZE' | 'ENVELOPE' | 'BODY' | 'BODYSTRUCTURE'
  | 'RFC822' | 'RFC822.HEADER' | 'RFC822.TEXT' | 'MODSEQ';

/** `BODY[<part>.<text>]`: part numbers (empty for the whole message) and which text of it. */
export interface BodySection {
  /** MIME part numbers, `[1, 2]` for `1.2`; empty for the top-level message. */
  part: number[];
  /** Undefined for the whole part (`BODY[]`, `BODY[1.2]`). MIME needs a non-empty part. */
  text?: 'HEADER' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT' | 'TEXT' | 'MIME';
  /** Field names for HEADER.FIELDS(.NOT), as the client wrote them. */
  fields?: string[];
}

/** `<offset.length>` of a partial fetch. */
export interface FetchPartial { offset: number; length: number }

export type FetchItem =
  | { type: 'attribute'; name: FetchAttribute }
  /** BODY[section]<partial> and BODY.PEEK[...] (peek: do not set \Seen). */
  | { type: 'body'; peek: boolean; section: BodySection; partial?: FetchPartial }
  /** BINARY[part]<partial> and BINARY.PEEK[...] (RFC 3516): content-transfer-decoded part. */
  | { type: 'binary'; peek: boolean; part: number[]; partial?: FetchPartial }
  /** BINARY.SIZE[part]: the decoded size. */
  | { type: 'binary.size'; part: number[] };

const ATTRIBUTES = new Set<string>(['UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY', 'BODYSTRUCTURE', 'RFC822', 'RFC822.HEADER', 'RFC822.TEXT', 'MODSEQ']);

const attr = (name: FetchAttribute): FetchItem => ({ type: 'attribute', name });
/** The macros of RFC 3501: they are only valid alone, not inside a list. */
export const FETCH_MACROS: Record<'ALL' | 'FAST' | 'FULL', FetchAttribute[]> = {
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

/** `ALL` / `FAST` / `FULL` / fetch-att / "(" fetch-att *(SP fetch-att) ")". */
export function parseFetchItems(c: Cursor): { items: FetchItem[]; macro?: 'ALL' | 'FAST' | 'FULL' } {
  if (c.peek() === 0x28) {
    c.open();
    const items: FetchItem[] = [];
    do items.push(parseFetchAtt(c));
    while (c.trySp());
    c.close('")" or a space and another fetch item');
    return { items };
  }
  for (const m of ['ALL', 'FAST', 'FULL'] as const) if (c.tryWord(m)) return { items: FETCH_MACROS[m].map(attr), macro: m };
  return { items: [parseFetchAtt(c)] };
}

const WHAT = 'a fetch item (FLAGS, UID, BODY.PEEK[...], ...)';

function parseFetchAtt(c: Cursor): FetchItem {
  const name = c.word(WHAT);
  switch (name) {
    case 'BODY':
    case 'BODY.PEEK': {
      if (c.peek() !== 0x5b) {
        if (name === 'BODY.PEEK') c.fail('"[" after BODY.PEEK');
        return attr('BODY');
      }
      const section = parseSection(c);
      const partial = parsePartial(c);
      return { type: 'body', peek: name === 'BODY.PEEK', section, ...(partial ? { partial } : {}) };
    }
    case 'BINARY':
    case 'BINARY.PEEK':
    case 'BINARY.SIZE': {
      const part = parseBinarySection(c);
      if (name === 'BINARY.SIZE') return { type: 'binary.size', part };
      const partial = parsePartial(c);
      return { type: 'binary', peek: name === 'BINARY.PEEK', part, ...(partial ? { partial } : {}) };
    }
    default:
      if (ATTRIBUTES.has(name)) return attr(name as FetchAttribute);
      if (name === 'ALL' || name === 'FAST' || name === 'FULL') throw c.error(`the ${name} macro cannot be used inside a list of fetch items`);
      throw c.error(`unknown fetch item ${name.slice(0, 40)}`);
  }
}

/** section-part = nz-number *("." nz-number), up to a non-digit. */
function parsePart(c: Cursor, parts: number[]): void {
  for (;;) {
    parts.push(c.nzNumber('a part number'));
    if (c.peek() === 0x2e && c.peek(1) >= 0x30 && c.peek(1) <= 0x39) c.tryChar('.');
    else return;
  }
}

/** "[" [section-spec] "]". */
function parseSection(c: Cursor): BodySection {
  c.char('[');
  const section: BodySection = { part: [] };
  if (c.tryChar(']')) return section;
  if (c.peek() >= 0x30 && c.peek() <= 0x39) {
    parsePart(c, section.part);
    if (c.tryChar(']')) return section;
    c.char('.', '"." or "]" after the part number');
  }
  const text = c.word('HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT or MIME');
  switch (text) {
    case 'HEADER':
    case 'TEXT':
      section.text = text;
      break;
    case 'MIME':
      if (section.part.length === 0) throw c.error('MIME needs a part number, as in BODY[1.MIME]');
      section.text = 'MIME';
      break;
    case 'HEADER.FIELDS':
    case 'HEADER.FIELDS.NOT': {
      section.text = text;
      c.sp(`a space and a list of header field names after ${text}`);
      c.open(`a list of header field names "(" after ${text}`);
      const fields: string[] = [];
      do fields.push(c.astring('a header field name'));
      while (c.trySp());
      c.close('")" or a space and another header field name');
      section.fields = fields;
      break;
    }
    default:
      throw c.error(`unknown section text ${text.slice(0, 40)} (expected HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT or MIME)`);
  }
  c.char(']', '"]" closing the section');
  return section;
}

/** section-binary = "[" [section-part] "]". */
function parseBinarySection(c: Cursor): number[] {
  c.char('[', '"[" after BINARY');
  const part: number[] = [];
  if (!c.tryChar(']')) {
    parsePart(c, part);
    c.char(']', '"]" closing the binary section (only part numbers are allowed)');
  }
  return part;
}

/** partial = "<" number "." nz-number ">" (number64 in IMAP4rev2; kept to safe integers here). */
function parsePartial(c: Cursor): FetchPartial | undefined {
  if (!c.tryChar('<')) return undefined;
  const offset = c.number('the partial offset', Number.MAX_SAFE_INTEGER);
  c.char('.', '"." and the partial length');
  const length = c.nzNumber('the partial length', Number.MAX_SAFE_INTEGER);
  c.char('>', '">" closing the partial range');
  return { offset, length };
}

/** `1.2.3` for [1, 2, 3]. */
const partText = (part: number[]) => part.join('.');

/** The section text between brackets: `1.2.HEADER.FIELDS (SUBJECT FROM)`. */
export function sectionText(s: BodySection): string {
  const parts: string[] = [];
  if (s.part.length) parts.push(partText(s.part));
  if (s.text) parts.push(s.text);
  let text = parts.join('.');
  // Field names go back as atoms when they can (they came from astrings); others quoted.
  if (s.fields) text += ` (${s.fields.map((f) => (/^[!#-'*+\-.0-9;-Z^-~]+$/.test(f) ? f : JSON.stringify(f))).join(' ')})`;
  return text;
}

/**
 * The name an item takes in the FETCH response (RFC 3501 section 7.4.2): PEEK dropped, a partial
 * shown by its origin only (`BODY[]<0>`), and macros already expanded into attributes.
 */
export function fetchItemName(item: FetchItem): string {
  if (item.type === 'attribute') return item.name;
  // A FETCH of many messages names the same parsed items in every response.
  let name = itemNames.get(item);
  if (name === undefined) {
    name = nameOf(item);
    itemNames.set(item, name);
  }
  return name;
}

const itemNames = new WeakMap<FetchItem, string>();

function nameOf(item: Exclude<FetchItem, { type: 'attribute' }>): string {
  switch (item.type) {
    case 'body':
      return `BODY[${sectionText(item.section)}]${item.partial ? `<${item.partial.offset}>` : ''}`;
    case 'binary':
      return `BINARY[${partText(item.part)}]${item.partial ? `<${item.partial.offset}>` : ''}`;
    case 'binary.size':
      return `BINARY.SIZE[${partText(item.part)}]`;
  }
}
