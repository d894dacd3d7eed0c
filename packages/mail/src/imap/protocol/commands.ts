/**
 * Commands as typed values, one variant per command, and the parser from a framed command (see
 * RawCommand) to them. Grammar: RFC 3501 and RFC 9051 section 9, with the extensions the server
 * offers: UIDPLUS (UID EXPUNGE), MOVE, CONDSTORE/QRESYNC (RFC 7162), SPECIAL-USE (RFC 6154),
 * LIST-EXTENDED (RFC 5258) and LIST-STATUS (RFC 5819), ENABLE, NAMESPACE, ID (RFC 2971), UNSELECT,
 * SASL-IR (RFC 4959), IDLE, BINARY (RFC 3516), ESEARCH/SEARCHRES, MULTIAPPEND (RFC 3502).
 */
import { ParseError } from './errors.js';
import { Cursor, defaultParseOptions, isAstringChar } from './lexer.js';
import type { ImapDateTime, ParseOptions, RawCommand } from './lexer.js';
import type { FetchItem } from './fetch-items.js';
import { parseFetchItems } from './fetch-items.js';
import type { SearchArguments } from './search.js';
import { parseSearch } from './search.js';
import type { SeqRange, SequenceSet } from './sequence.js';

export type StatusItem = 'MESSAGES' | 'RECENT' | 'UIDNEXT' | 'UIDVALIDITY' | 'UNSEEN' | 'DELETED' | 'SIZE' | 'HIGHESTMODSEQ' | 'APPENDLIMIT';
const STATUS_ITEMS = new Set<string>(['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'DELETED', 'SIZE', 'HIGHESTMODSEQ', 'APPENDLIMIT']);

/** SPECIAL-USE attributes (RFC 6154, \Important from RFC 8457), canonical spelling by upper-case name. */
export const SPECIAL_USE = new Map(['\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash', '\\Important'].map((a) => [a.toUpperCase(), a]));

/** QRESYNC parameter of SELECT/EXAMINE (RFC 7162 section 3.2.5). */
export interface QresyncParams {
  uidValidity: number;
  modseq: bigint;
  knownUids?: SeqRange[];
  /** Known message sequence numbers and the UIDs they had, pairwise. */
  seqMatch?: { seqs: SeqRange[]; uids: SeqRange[] };
}

/** LIST selection options (RFC 5258 section 3.1, SPECIAL-USE RFC 6154). */
export interface ListSelection { subscribed: boolean; remote: boolean; recursiveMatch: boolean; specialUse: boolean }
/** LIST return options (RFC 5258 section 3.2, LIST-STATUS RFC 5819). */
export interface ListReturn { subscribed: boolean; children: boolean; specialUse: boolean; status?: StatusItem[] }

export interface AppendMessage {
  flags: string[];
  date?: ImapDateTime;
  data: Uint8Array;
  /** Sent as literal8 (`~{n}`, BINARY): may hold NUL bytes. */
  binary: boolean;
}

export type StoreAction = 'set' | 'add' | 'remove';

interface Tagged { tag: string }

export type Command = Tagged & (
  | { name: 'CAPABILITY' | 'NOOP' | 'LOGOUT' | 'STARTTLS' | 'NAMESPACE' | 'IDLE' | 'CHECK' | 'CLOSE' | 'UNSELECT' }
  | { name: 'LOGIN'; userid: string; password: string }
  /** initialResponse: SASL-IR, decoded from base64 (`=` is an empty response). */
  | { name: 'AUTHENTICATE'; mechanism: string; initialResponse?: Uint8Array }
  /** Capability names upper-cased. */
  | { name: 'ENABLE'; capabilities: string[] }
  | { name: 'SELECT' | 'EXAMINE'; mailbox: string; condstore: boolean; qresync?: QresyncParams }
  /** specialUse: the USE create-parameter (RFC 6154 section 3), canonical spelling. */
  | { name: 'CREATE'; mailbox: string; specialUse: string[] }
  | { name: 'DELETE' | 'SUBSCRIBE' | 'UNSUBSCRIBE'; mailbox: string }
  | { name: 'RENAME'; mailbox: string; newName: string }
  /** extended: LIST-EXTENDED syntax was used (options or several patterns), which changes the replies. */
  | { name: 'LIST'; reference: string; patterns: string[]; selection: ListSelection; returns: ListReturn; extended: boolean }
  | { name: 'LSUB'; reference: string; pattern: string }
  | { name: 'STATUS'; mailbox: string; items: StatusItem[] }
  /** One message, or several with MULTIAPPEND. */
  | { name: 'APPEND'; mailbox: string; messages: AppendMessage[] }
  /** uid: UID EXPUNGE (UIDPLUS) with its UID set. */
  | { name: 'EXPUNGE'; uid: false } | { name: 'EXPUNGE'; uid: true; set: SequenceSet }
  | ({ name: 'SEARCH'; uid: boolean } & SearchArguments)
  /** macro: the client wrote ALL, FAST or FULL (items holds the expansion). */
  | { name: 'FETCH'; uid: boolean; set: SequenceSet; items: FetchItem[]; macro?: 'ALL' | 'FAST' | 'FULL'; changedSince?: bigint; vanished: boolean }
  | { name: 'STORE'; uid: boolean; set: SequenceSet; action: StoreAction; silent: boolean; flags: string[]; unchangedSince?: bigint }
  | { name: 'COPY' | 'MOVE'; uid: boolean; set: SequenceSet; mailbox: string }
  /** params: field/value pairs in order, or null for `ID NIL`. */
  | { name: 'ID'; params: Array<[string, string | null]> | null }
);

export type CommandName = Command['name'];

/** Commands that may follow `UID`. */
const UID_COMMANDS = new Set(['COPY', 'MOVE', 'FETCH', 'SEARCH', 'STORE', 'EXPUNGE']);

/**
 * Reads `tag SP name [SP "UID" name]` from the first line, cheaply, for the reader (limits depend
 * on the command, errors carry the tag) and the parser. Undefined fields when they are not there.
 */
export function commandPrefix(line: Uint8Array): { tag?: string; name?: string } {
  let p = 0;
  while (p < line.length && isAstringChar(line[p]!) && line[p] !== 0x2b) p++;
  if (p === 0 || line[p] !== 0x20) return {};
  const tag = Buffer.from(line.subarray(0, p)).toString('latin1');
  const word = () => {
    const s = ++p;
    while (p < line.length && /[A-Za-z0-9.\-=_]/.test(String.fromCharCode(line[p]!))) p++;
    return Buffer.from(line.subarray(s, p)).toString('latin1').toUpperCase();
  };
  let name = word();
  if (!name) return { tag };
  if (name === 'UID' && line[p] === 0x20) name += ' ' + word();
  return { tag, name };
}

/** Parses one framed command; throws ParseError (with the tag when it could be read). */
export function parseCommand(raw: RawCommand, options: ParseOptions = defaultParseOptions): Command {
  const c = new Cursor(raw, options);
  const tag = readTag(c);
  c.tag = tag;
  c.sp('a space and a command name after the tag');
  let name = c.word('a command name');
  let uid = false;
  if (name === 'UID') {
    uid = true;
    c.sp('a space and COPY, MOVE, FETCH, SEARCH, STORE or EXPUNGE after UID');
    name = c.word('COPY, MOVE, FETCH, SEARCH, STORE or EXPUNGE after UID');
    if (!UID_COMMANDS.has(name)) throw c.error(`UID ${name.slice(0, 20)} is not a command (expected UID COPY, MOVE, FETCH, SEARCH, STORE or EXPUNGE)`);
  }
  c.context = uid ? `UID ${name}` : name;
  const command = parseArguments(c, tag, name, uid);
  c.end();
  return command;
}

/** tag = 1*<any ASTRING-CHAR except "+">; without one the session answers `* BAD`. */
function readTag(c: Cursor): string {
  const tag = c.take((b) => b !== 0x2b && isAstringChar(b));
  if (!tag) c.fail('a tag (letters and digits, no "+")');
  return tag;
}

function parseArguments(c: Cursor, tag: string, name: string, uid: boolean): Command {
  switch (name) {
    case 'CAPABILITY':
    case 'NOOP':
    case 'LOGOUT':
    case 'STARTTLS':
    case 'NAMESPACE':
    case 'IDLE':
    case 'CHECK':
    case 'CLOSE':
    case 'UNSELECT':
      return { tag, name };
    case 'LOGIN': {
      c.sp('a space and the user name');
      const userid = c.astring('the user name');
      c.sp('a space and the password');
      const password = c.astring('the password');
      return { tag, name, userid, password };
    }
    case 'AUTHENTICATE': {
      c.sp('a space and a SASL mechanism name');
      const mechanism = c.word('a SASL mechanism name');
      if (!c.trySp()) return { tag, name, mechanism };
      return { tag, name, mechanism, initialResponse: base64(c, c.atom('a base64 initial response or "="')) };
    }
    case 'ENABLE': {
      const capabilities: string[] = [];
      c.sp('a space and a capability name');
      do capabilities.push(c.atom('a capability name').toUpperCase());
      while (c.trySp());
      return { tag, name, capabilities };
    }
    case 'SELECT':
    case 'EXAMINE':
      return parseSelect(c, tag, name);
    case 'CREATE': {
      c.sp('a space and a mailbox name');
      const mailbox = c.mailbox();
      const specialUse: string[] = [];
      if (c.trySp()) {
        c.open('"(" starting the create parameters');
        do {
          const p = c.word('a create parameter (USE)');
          if (p !== 'USE') throw c.error(`unknown create parameter ${p.slice(0, 40)} (expected USE)`);
          c.sp('a space and a list of special-use attributes after USE');
          c.open('"(" starting the special-use attributes');
          if (!c.tryChar(')')) {
            do {
              c.char('\\', 'a special-use attribute such as \\Sent');
              const a = c.atom('a special-use attribute such as \\Sent');
              const canonical = SPECIAL_USE.get('\\' + a.toUpperCase());
              if (!canonical) throw c.error(`\\${a.slice(0, 40)} is not a special-use attribute`, { status: 'NO', code: 'USEATTR' });
              specialUse.push(canonical);
            } while (c.trySp());
            c.close('")" or a space and another special-use attribute');
          } else c.leave();
        } while (c.trySp());
        c.close('")" closing the create parameters');
      }
      return { tag, name, mailbox, specialUse };
    }
    case 'DELETE':
    case 'SUBSCRIBE':
    case 'UNSUBSCRIBE':
      c.sp('a space and a mailbox name');
      return { tag, name, mailbox: c.mailbox() };
    case 'RENAME': {
      c.sp('a space and a mailbox name');
      const mailbox = c.mailbox();
      c.sp('a space and the new mailbox name');
      return { tag, name, mailbox, newName: c.mailbox('the new mailbox name') };
    }
    case 'LIST':
      return parseList(c, tag);
    case 'LSUB': {
      c.sp('a space and a reference name');
      const reference = c.mailbox('a reference name');
      c.sp('a space and a mailbox pattern');
      return { tag, name, reference, pattern: c.listMailbox() };
    }
    case 'STATUS': {
      c.sp('a space and a mailbox name');
      const mailbox = c.mailbox();
      c.sp('a space and a list of status items');
      return { tag, name, mailbox, items: statusItems(c) };
    }
    case 'APPEND':
      return parseAppend(c, tag);
    case 'EXPUNGE':
      if (!uid) return { tag, name, uid };
      c.sp('a space and a UID set');
      return { tag, name, uid, set: c.sequenceSet('a UID set') };
    case 'SEARCH':
      return { tag, name, uid, ...parseSearch(c) };
    case 'FETCH':
      return parseFetch(c, tag, uid);
    case 'STORE':
      return parseStore(c, tag, uid);
    case 'COPY':
    case 'MOVE': {
      c.sp(uid ? 'a space and a UID set' : 'a space and a sequence set');
      const set = c.sequenceSet();
      c.sp('a space and the destination mailbox');
      return { tag, name, uid, set, mailbox: c.mailbox('the destination mailbox') };
    }
    case 'ID':
      return parseId(c, tag);
    default:
      throw new ParseError(`unknown command ${name.slice(0, 40)}`, { tag, command: name });
  }
}

function base64(c: Cursor, text: string): Uint8Array {
  if (text === '=') return new Uint8Array(0);
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) throw c.error('the initial response is not base64');
  return Buffer.from(text, 'base64');
}

function parseSelect(c: Cursor, tag: string, name: 'SELECT' | 'EXAMINE'): Command {
  c.sp('a space and a mailbox name');
  const mailbox = c.mailbox();
  let condstore = false;
  let qresync: QresyncParams | undefined;
  if (c.trySp()) {
    c.open('"(" starting the select parameters');
    do {
      const p = c.word('a select parameter (CONDSTORE or QRESYNC)');
      if (p === 'CONDSTORE') condstore = true;
      else if (p === 'QRESYNC') {
        c.sp('a space and "(" after QRESYNC');
        c.open('"(" starting the QRESYNC parameters');
        const uidValidity = c.nzNumber('the UIDVALIDITY');
        c.sp('a space and the last known mod-sequence');
        const modseq = c.number64('the last known mod-sequence');
        qresync = { uidValidity, modseq };
        if (c.trySp()) {
          if (c.peek() !== 0x28) {
            qresync.knownUids = c.plainSequenceSet('the known UIDs');
            if (c.trySp()) qresync.seqMatch = seqMatch(c);
          } else qresync.seqMatch = seqMatch(c);
        }
        c.close('")" closing the QRESYNC parameters');
      } else throw c.error(`unknown select parameter ${p.slice(0, 40)} (expected CONDSTORE or QRESYNC)`);
    } while (c.trySp());
    c.close('")" closing the select parameters');
  }
  return qresync ? { tag, name, mailbox, condstore, qresync } : { tag, name, mailbox, condstore };
}

/** seq-match-data = "(" known-sequence-set SP known-uid-set ")". */
function seqMatch(c: Cursor): { seqs: SeqRange[]; uids: SeqRange[] } {
  c.open('"(" starting the sequence match data');
  const seqs = c.plainSequenceSet('the known sequence numbers');
  c.sp('a space and the matching UIDs');
  const uids = c.plainSequenceSet('the matching UIDs');
  c.close('")" closing the sequence match data');
  return { seqs, uids };
}

function statusItems(c: Cursor): StatusItem[] {
  c.open('"(" starting the status items');
  const items: StatusItem[] = [];
  do {
    const it = c.word('a status item (MESSAGES, UIDNEXT, UIDVALIDITY, UNSEEN, ...)');
    if (!STATUS_ITEMS.has(it)) throw c.error(`unknown status item ${it.slice(0, 40)}`);
    if (!items.includes(it as StatusItem)) items.push(it as StatusItem);
  } while (c.trySp());
  c.close('")" or a space and another status item');
  return items;
}

function parseList(c: Cursor, tag: string): Command {
  const selection: ListSelection = { subscribed: false, remote: false, recursiveMatch: false, specialUse: false };
  const returns: ListReturn = { subscribed: false, children: false, specialUse: false };
  let extended = false;
  c.sp('a space and a reference name');
  if (c.peek() === 0x28) {
    extended = true;
    c.open();
    if (!c.tryChar(')')) {
      do {
        const o = c.word('a selection option (SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE)');
        if (o === 'SUBSCRIBED') selection.subscribed = true;
        else if (o === 'REMOTE') selection.remote = true;
        else if (o === 'RECURSIVEMATCH') selection.recursiveMatch = true;
        else if (o === 'SPECIAL-USE') selection.specialUse = true;
        else throw c.error(`unknown LIST selection option ${o.slice(0, 40)}`);
      } while (c.trySp());
      c.close('")" or a space and another selection option');
    } else c.leave();
    // RFC 5258 section 3.1: RECURSIVEMATCH only qualifies another selection option.
    if (selection.recursiveMatch && !selection.subscribed && !selection.specialUse) throw c.error('RECURSIVEMATCH needs another selection option such as SUBSCRIBED');
    c.sp('a space and a reference name after the selection options');
  }
  const reference = c.mailbox('a reference name');
  c.sp('a space and a mailbox pattern');
  const patterns: string[] = [];
  if (c.peek() === 0x28) {
    extended = true;
    c.open();
    do patterns.push(c.listMailbox());
    while (c.trySp());
    c.close('")" or a space and another mailbox pattern');
  } else patterns.push(c.listMailbox());
  if (c.trySp()) {
    if (!c.tryWord('RETURN')) c.fail('RETURN and return options');
    extended = true;
    c.sp('a space and "(" after RETURN');
    c.open('"(" starting the return options');
    if (!c.tryChar(')')) {
      do {
        const o = c.word('a return option (SUBSCRIBED, CHILDREN, SPECIAL-USE, STATUS)');
        if (o === 'SUBSCRIBED') returns.subscribed = true;
        else if (o === 'CHILDREN') returns.children = true;
        else if (o === 'SPECIAL-USE') returns.specialUse = true;
        else if (o === 'STATUS') {
          c.sp('a space and a list of status items after STATUS');
          returns.status = statusItems(c);
        } else throw c.error(`unknown LIST return option ${o.slice(0, 40)}`);
      } while (c.trySp());
      c.close('")" or a space and another return option');
    } else c.leave();
  }
  return { tag, name: 'LIST', reference, patterns, selection, returns, extended };
}

function parseAppend(c: Cursor, tag: string): Command {
  c.sp('a space and a mailbox name');
  const mailbox = c.mailbox();
  const messages: AppendMessage[] = [];
  // append-message = SP [flag-list SP] [date-time SP] (literal / literal8), repeated for MULTIAPPEND.
  while (c.trySp()) {
    let flags: string[] = [];
    let date: ImapDateTime | undefined;
    if (c.peek() === 0x28) {
      flags = c.flagList();
      if (flags.includes('\\Recent')) throw c.error('\\Recent cannot be set by APPEND');
      c.sp('a space and the message literal after the flags');
    }
    if (c.peek() === 0x22) {
      date = c.dateTime();
      c.sp('a space and the message literal after the date-time');
    }
    const { data, binary } = c.appendData('the message as a literal {n} or ~{n}');
    messages.push(date ? { flags, date, data, binary } : { flags, data, binary });
  }
  if (messages.length === 0) c.fail('a space and the message');
  return { tag, name: 'APPEND', mailbox, messages };
}

function parseFetch(c: Cursor, tag: string, uid: boolean): Command {
  c.sp(uid ? 'a space and a UID set' : 'a space and a sequence set');
  const set = c.sequenceSet();
  c.sp('a space and fetch items');
  const { items, macro } = parseFetchItems(c);
  let changedSince: bigint | undefined;
  let vanished = false;
  if (c.trySp()) {
    c.open('"(" starting the fetch modifiers');
    do {
      const m = c.word('a fetch modifier (CHANGEDSINCE or VANISHED)');
      if (m === 'CHANGEDSINCE') {
        c.sp('a space and a mod-sequence after CHANGEDSINCE');
        changedSince = c.number64('a mod-sequence');
      } else if (m === 'VANISHED') vanished = true;
      else throw c.error(`unknown fetch modifier ${m.slice(0, 40)}`);
    } while (c.trySp());
    c.close('")" or a space and another fetch modifier');
    // RFC 7162 section 3.2.6: VANISHED only with UID FETCH and CHANGEDSINCE.
    if (vanished && (!uid || changedSince === undefined)) throw c.error('VANISHED needs UID FETCH with CHANGEDSINCE');
  }
  return { tag, name: 'FETCH', uid, set, items, ...(macro ? { macro } : {}), ...(changedSince !== undefined ? { changedSince } : {}), vanished };
}

function parseStore(c: Cursor, tag: string, uid: boolean): Command {
  c.sp(uid ? 'a space and a UID set' : 'a space and a sequence set');
  const set = c.sequenceSet();
  c.sp('a space and FLAGS, +FLAGS or -FLAGS');
  let unchangedSince: bigint | undefined;
  if (c.peek() === 0x28) {
    c.open();
    do {
      const m = c.word('a store modifier (UNCHANGEDSINCE)');
      if (m !== 'UNCHANGEDSINCE') throw c.error(`unknown store modifier ${m.slice(0, 40)}`);
      c.sp('a space and a mod-sequence after UNCHANGEDSINCE');
      unchangedSince = c.number64('a mod-sequence');
    } while (c.trySp());
    c.close('")" closing the store modifiers');
    c.sp('a space and FLAGS, +FLAGS or -FLAGS');
  }
  const action: StoreAction = c.tryChar('+') ? 'add' : c.tryChar('-') ? 'remove' : 'set';
  const what = c.word('FLAGS, +FLAGS or -FLAGS (optionally .SILENT)');
  if (what !== 'FLAGS' && what !== 'FLAGS.SILENT') throw c.error(`expected FLAGS or FLAGS.SILENT, found ${what.slice(0, 40)}`);
  c.sp('a space and flags');
  let flags: string[];
  if (c.peek() === 0x28) flags = c.flagList();
  else {
    flags = [];
    do flags.push(c.flag());
    while (c.trySp());
  }
  if (flags.includes('\\Recent')) throw c.error('\\Recent cannot be changed by STORE');
  return { tag, name: 'STORE', uid, set, action, silent: what === 'FLAGS.SILENT', flags, ...(unchangedSince !== undefined ? { unchangedSince } : {}) };
}

function parseId(c: Cursor, tag: string): Command {
  c.sp('a space and a parameter list or NIL');
  if (c.tryWord('NIL')) return { tag, name: 'ID', params: null };
  c.open('"(" or NIL');
  const params: Array<[string, string | null]> = [];
  if (!c.tryChar(')')) {
    do {
      const field = c.utf8(c.string('an ID field name as a string'), 'the ID field name');
      c.sp('a space and a value after the ID field name');
      params.push([field, c.nstring('an ID value (a string or NIL)')]);
    } while (c.trySp());
    c.close('")" or a space and another ID field');
  } else c.leave();
  return { tag, name: 'ID', params };
}
