import type { MessageEntry } from '../mailstore/mailbox-view.js';
import { bodyText, foldForSearch, headerTexts, messageText, parseDate } from '../mime/index.js';
import type { LoadedMessage } from './message-cache.js';
import { sequenceSetHas, type ImapDate, type SearchKey } from './protocol/index.js';
import type { Selected } from './selected.js';

/** What evaluating a key may need beyond the record: the message, read only when a key asks for it. */
export interface SearchContext {
  selected: Selected;
  load(m: MessageEntry): Promise<LoadedMessage>;
  now: number;
}

const day8 = (d: ImapDate) => d.year * 10000 + d.month * 100 + d.day;
/** INTERNALDATE's calendar date in its own zone, as RFC 3501 compares BEFORE/ON/SINCE. */
function internalDay8(m: MessageEntry): number {
  const match = /^(\d{4})-(\d\d)-(\d\d)/.exec(m.internalDate);
  return match ? Number(match[1]) * 10000 + Number(match[2]) * 100 + Number(match[3]) : 0;
}

const FLAG_OF: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true], DELETED: ['\\Deleted', true], DRAFT: ['\\Draft', true], FLAGGED: ['\\Flagged', true], SEEN: ['\\Seen', true],
  UNANSWERED: ['\\Answered', false], UNDELETED: ['\\Deleted', false], UNDRAFT: ['\\Draft', false], UNFLAGGED: ['\\Flagged', false], UNSEEN: ['\\Seen', false],
};

const hasFlag = (m: MessageEntry, flag: string) => m.flags.some((f) => f.toLowerCase() === flag.toLowerCase());

/** Whether evaluating `key` reads the message itself (its header or body), not just its record. */
function needsMessage(key: SearchKey): boolean {
  switch (key.key) {
    case 'AND': return key.keys.some(needsMessage);
    case 'OR': return needsMessage(key.left) || needsMessage(key.right);
    case 'NOT': return needsMessage(key.operand);
    case 'SENTBEFORE': case 'SENTON': case 'SENTSINCE': case 'FROM': case 'TO': case 'CC': case 'BCC': case 'SUBJECT':
    case 'HEADER': case 'BODY': case 'TEXT':
      return true;
    default: return false;
  }
}

/**
 * The search strings folded once per SEARCH, not once per message: folding (NFKC, case) is most of
 * the cost of a substring test. The messages' side is folded once per message (foldedText).
 */
class Needles {
  private readonly folded = new Map<string, string>();
  inFolded(folded: string, needle: string): boolean {
    let n = this.folded.get(needle);
    if (n === undefined) this.folded.set(needle, (n = foldForSearch(needle)));
    return folded.includes(n);
  }
}

/** Largest text kept folded with a cached message: headers always, bodies when small. */
const MAX_FOLDED_CHARS = 64 * 1024;

/**
 * A message's text for SEARCH, decoded and folded once and kept with the cached message, so that
 * repeated searches of a mailbox (every client polling, a SEARCH per key) compare strings only.
 * `what` is a header name (lower case), "\body" or "\text".
 */
function foldedText(msg: LoadedMessage, what: string): string[] {
  const cache = (msg.folded ??= new Map<string, string[]>());
  let values = cache.get(what);
  if (values === undefined) {
    const raw = what === '\\body' ? [bodyText(msg.raw, msg.root)] : what === '\\text' ? [messageText(msg.raw, msg.root)] : headerTexts(msg.raw, msg.root, what);
    values = raw.map((v) => foldForSearch(v));
    if (values.reduce((n: number, v: string) => n + v.length, 0) <= MAX_FOLDED_CHARS) cache.set(what, values);
  }
  return values;
}

/**
 * Whether message `m` (sequence number `seq`) matches `key` (RFC 3501 6.4.4, RFC 9051 6.4.4);
 * `msg` is the loaded message when the key needs it. Synchronous: one message is loaded at most
 * once per SEARCH, before its keys are evaluated.
 */
function matches(key: SearchKey, m: MessageEntry, seq: number, c: SearchContext, msg: LoadedMessage | undefined, needles: Needles): boolean {
  switch (key.key) {
    case 'AND':
      for (const k of key.keys) if (!matches(k, m, seq, c, msg, needles)) return false;
      return true;
    case 'OR':
      return matches(key.left, m, seq, c, msg, needles) || matches(key.right, m, seq, c, msg, needles);
    case 'NOT':
      return !matches(key.operand, m, seq, c, msg, needles);
    case 'ALL':
      return true;
    // \Recent is the session's (none in IMAP4rev2, which dropped it).
    case 'RECENT':
      return c.selected.recent.has(m.uid);
    case 'NEW':
      return c.selected.recent.has(m.uid) && !hasFlag(m, '\\Seen');
    case 'OLD':
      return !c.selected.recent.has(m.uid);
    case 'KEYWORD':
      return hasFlag(m, key.flag);
    case 'UNKEYWORD':
      return !hasFlag(m, key.flag);
    case 'LARGER':
      return m.size > key.size;
    case 'SMALLER':
      return m.size < key.size;
    case 'UID': {
      if (key.set === '$') return c.selected.saved.includes(m.uid);
      const view = c.selected.view;
      return sequenceSetHas(key.set, m.uid, view.uids.length ? view.uids[view.uids.length - 1]! : 0);
    }
    case 'SEQUENCE':
      if (key.set === '$') return c.selected.saved.includes(m.uid);
      return sequenceSetHas(key.set, seq, c.selected.view.exists);
    case 'MODSEQ':
      return BigInt(m.modseq) >= key.modseq;
    case 'BEFORE':
      return internalDay8(m) < day8(key.date);
    case 'ON':
      return internalDay8(m) === day8(key.date);
    case 'SINCE':
      return internalDay8(m) >= day8(key.date);
    case 'OLDER':
      return c.now - Date.parse(m.internalDate) >= key.seconds * 1000;
    case 'YOUNGER':
      return c.now - Date.parse(m.internalDate) <= key.seconds * 1000;
    case 'SENTBEFORE': case 'SENTON': case 'SENTSINCE': {
      if (!msg) return false;
      const date = parseDate(headerTexts(msg.raw, msg.root, 'date')[0] ?? '');
      if (!date) return false;
      const want = day8(key.date);
      return key.key === 'SENTBEFORE' ? date.day8 < want : key.key === 'SENTON' ? date.day8 === want : date.day8 >= want;
    }
    case 'FROM': case 'TO': case 'CC': case 'BCC': case 'SUBJECT':
      return !!msg && foldedText(msg, key.key.toLowerCase()).some((v) => needles.inFolded(v, key.value));
    case 'HEADER': {
      if (!msg) return false;
      const values = foldedText(msg, key.field.toLowerCase());
      // An empty string matches every message that has the field (RFC 3501).
      return key.value === '' ? values.length > 0 : values.some((v) => needles.inFolded(v, key.value));
    }
    case 'BODY':
      return !!msg && foldedText(msg, '\\body').some((v) => needles.inFolded(v, key.value));
    case 'TEXT':
      return !!msg && foldedText(msg, '\\text').some((v) => needles.inFolded(v, key.value));
    default: {
      const flag = FLAG_OF[key.key];
      if (flag) return hasFlag(m, flag[0]) === flag[1];
      return false;
    }
  }
}

/** Every message of the selected mailbox matching all `criteria`, in sequence order. */
export async function search(criteria: SearchKey[], c: SearchContext): Promise<MessageEntry[]> {
  const key: SearchKey = criteria.length === 1 ? criteria[0]! : { key: 'AND', keys: criteria };
  const load = needsMessage(key);
  const needles = new Needles();
  const out: MessageEntry[] = [];
  const view = c.selected.view;
  for (let seq = 1; seq <= view.exists; seq++) {
    const m = view.at(seq)!;
    const msg = load && m.blob ? await c.load(m) : undefined;
    if (matches(key, m, seq, c, msg, needles)) out.push(m);
  }
  return out;
}
