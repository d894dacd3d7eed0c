/**
 * SEARCH criteria (RFC 3501 section 6.4.4, RFC 9051 section 6.4.4, CONDSTORE MODSEQ RFC 7162
 * section 3.1.5, WITHIN RFC 5032) as a tree, and the ESEARCH return options (RFC 4731, part of
 * IMAP4rev2) with SAVE (SEARCHRES, RFC 5182).
 */
import { TextDecoder } from 'node:util';
import type { Cursor, ImapDate } from './lexer.js';
import type { SequenceSet } from './sequence.js';

export type SearchFlagKey =
  | 'ALL' | 'ANSWERED' | 'DELETED' | 'DRAFT' | 'FLAGGED' | 'NEW' | 'OLD' | 'RECENT' | 'SEEN'
  | 'UNANSWERED' | 'UNDELETED' | 'UNDRAFT' | 'UNFLAGGED' | 'UNSEEN';
export type SearchTextKey = 'BCC' | 'BODY' | 'CC' | 'FROM' | 'SUBJECT' | 'TEXT' | 'TO';
export type SearchDateKey = 'BEFORE' | 'ON' | 'SINCE' | 'SENTBEFORE' | 'SENTON' | 'SENTSINCE';

export type SearchKey =
  | { key: SearchFlagKey }
  | { key: 'KEYWORD' | 'UNKEYWORD'; flag: string }
  /** Substring match, case-insensitive (RFC 3501), value decoded from the command's CHARSET. */
  | { key: SearchTextKey; value: string }
  | { key: 'HEADER'; field: string; value: string }
  | { key: SearchDateKey; date: ImapDate }
  | { key: 'LARGER' | 'SMALLER'; size: number }
  /** OLDER / YOUNGER n (WITHIN, RFC 5032): internal date more / less than n seconds ago. */
  | { key: 'OLDER' | 'YOUNGER'; seconds: number }
  | { key: 'UID'; set: SequenceSet }
  /** A bare sequence set: message sequence numbers. */
  | { key: 'SEQUENCE'; set: SequenceSet }
  /** MODSEQ [entry-name entry-type] n (RFC 7162): the metadata item is kept for completeness. */
  | { key: 'MODSEQ'; modseq: bigint; entry?: { name: string; type: 'priv' | 'shared' | 'all' } }
  | { key: 'NOT'; operand: SearchKey }
  | { key: 'OR'; left: SearchKey; right: SearchKey }
  /** A parenthesised group, and the top level: all must match. */
  | { key: 'AND'; keys: SearchKey[] };

/** ESEARCH result options; an empty `RETURN ()` means ALL (RFC 4731 section 3.1). */
export type SearchReturnOption = 'MIN' | 'MAX' | 'ALL' | 'COUNT' | 'SAVE';

const FLAG_KEYS = new Set<string>(['ALL', 'ANSWERED', 'DELETED', 'DRAFT', 'FLAGGED', 'NEW', 'OLD', 'RECENT', 'SEEN', 'UNANSWERED', 'UNDELETED', 'UNDRAFT', 'UNFLAGGED', 'UNSEEN']);
const TEXT_KEYS = new Set<string>(['BCC', 'BODY', 'CC', 'FROM', 'SUBJECT', 'TEXT', 'TO']);
const DATE_KEYS = new Set<string>(['BEFORE', 'ON', 'SINCE', 'SENTBEFORE', 'SENTON', 'SENTSINCE']);
const RETURN_OPTIONS = new Set<string>(['MIN', 'MAX', 'ALL', 'COUNT', 'SAVE']);

export interface SearchArguments {
  return?: SearchReturnOption[];
  charset?: string;
  /** The criteria: all must match. */
  criteria: SearchKey[];
}

/** [SP "RETURN" SP "(" ... ")"] [SP "CHARSET" SP astring] 1*(SP search-key), after the command name. */
export function parseSearch(c: Cursor): SearchArguments {
  const args: SearchArguments = { criteria: [] };
  c.sp('a space and search criteria');
  if (c.tryWord('RETURN')) {
    c.sp('a space and a list of return options after RETURN');
    c.open('"(" starting the return options');
    const opts: SearchReturnOption[] = [];
    if (!c.tryChar(')')) {
      do {
        const o = c.word('a return option (MIN, MAX, ALL, COUNT or SAVE)');
        if (!RETURN_OPTIONS.has(o)) throw c.error(`unknown search return option ${o.slice(0, 40)} (expected MIN, MAX, ALL, COUNT or SAVE)`);
        if (!opts.includes(o as SearchReturnOption)) opts.push(o as SearchReturnOption);
      } while (c.trySp());
      c.close('")" or a space and another return option');
    } else c.leave();
    args.return = opts;
    c.sp('a space and search criteria after the return options');
  }
  let decoder: TextDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  if (c.tryWord('CHARSET')) {
    c.sp('a space and a charset name after CHARSET');
    const name = c.astring('a charset name');
    try {
      decoder = new TextDecoder(name.toUpperCase() === 'US-ASCII' ? 'utf-8' : name, { fatal: true, ignoreBOM: true });
    } catch {
      throw c.error(`charset ${JSON.stringify(name.slice(0, 40))} is not supported`, { status: 'NO', code: 'BADCHARSET (UTF-8 US-ASCII)' });
    }
    args.charset = name.toUpperCase();
    c.sp('a space and search criteria after the charset');
  }
  do args.criteria.push(parseKey(c, decoder));
  while (c.trySp());
  c.end();
  return args;
}

function text(c: Cursor, decoder: TextDecoder, what: string): string {
  const bytes = c.astringBytes(what);
  try {
    return decoder.decode(bytes);
  } catch {
    throw c.error(`${what} is not valid in charset ${decoder.encoding}`, { status: 'NO', code: 'BADCHARSET (UTF-8 US-ASCII)' });
  }
}

function parseKey(c: Cursor, d: TextDecoder): SearchKey {
  const first = c.peek();
  if (first === 0x28) {
    c.open();
    const keys: SearchKey[] = [];
    do keys.push(parseKey(c, d));
    while (c.trySp());
    c.close('")" or a space and another search key');
    return keys.length === 1 ? keys[0]! : { key: 'AND', keys };
  }
  if ((first >= 0x30 && first <= 0x39) || first === 0x2a || first === 0x24) return { key: 'SEQUENCE', set: c.sequenceSet() };
  const name = c.word('a search key (ALL, UID, FROM, OR, "(", a sequence set, ...)');
  if (FLAG_KEYS.has(name)) return { key: name as SearchFlagKey };
  const arg = (what: string) => c.sp(`a space and ${what} after ${name}`);
  if (TEXT_KEYS.has(name)) {
    arg('a string');
    return { key: name as SearchTextKey, value: text(c, d, `the ${name} string`) };
  }
  if (DATE_KEYS.has(name)) {
    arg('a date');
    return { key: name as SearchDateKey, date: c.date() };
  }
  switch (name) {
    case 'KEYWORD':
    case 'UNKEYWORD':
      arg('a keyword');
      return { key: name, flag: c.atom('a keyword') };
    case 'HEADER': {
      arg('a header field name');
      const field = c.astring('a header field name');
      c.sp('a space and a string after the HEADER field name');
      return { key: 'HEADER', field, value: text(c, d, 'the HEADER string') };
    }
    case 'LARGER':
    case 'SMALLER':
      arg('a size');
      return { key: name, size: c.number('a size in octets', Number.MAX_SAFE_INTEGER) };
    case 'OLDER':
    case 'YOUNGER':
      arg('a number of seconds');
      return { key: name, seconds: c.nzNumber('a number of seconds') };
    case 'UID':
      arg('a UID set');
      return { key: 'UID', set: c.sequenceSet('a UID set') };
    case 'NOT': {
      arg('a search key');
      c.enter();
      const operand = parseKey(c, d);
      c.leave();
      return { key: 'NOT', operand };
    }
    case 'OR': {
      arg('a search key');
      c.enter();
      const left = parseKey(c, d);
      c.sp('a space and the second search key of OR');
      const right = parseKey(c, d);
      c.leave();
      return { key: 'OR', left, right };
    }
    case 'MODSEQ': {
      arg('a mod-sequence value');
      let entry: { name: string; type: 'priv' | 'shared' | 'all' } | undefined;
      if (c.peek() === 0x22) {
        const name = c.utf8(c.string(), 'the MODSEQ entry name');
        c.sp('a space and priv, shared or all after the entry name');
        const type = c.word('priv, shared or all').toLowerCase();
        if (type !== 'priv' && type !== 'shared' && type !== 'all') throw c.error(`MODSEQ entry type must be priv, shared or all, not ${type.slice(0, 20)}`);
        c.sp('a space and a mod-sequence value');
        entry = { name, type };
      }
      const modseq = c.number64('a mod-sequence value');
      return entry ? { key: 'MODSEQ', modseq, entry } : { key: 'MODSEQ', modseq };
    }
    default:
      throw c.error(`unknown search key ${name.slice(0, 40)}`);
  }
}
