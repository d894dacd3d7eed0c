import type { MessageEntry } from '../mailstore/mailbox-view.js';
import { bodyText, headerTexts, matchesSearch, messageText, parseDate } from '../mime/index.js';
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

/** Whether message `m` (sequence number `seq`) matches `key` (RFC 3501 6.4.4, RFC 9051 6.4.4). */
export async function matches(key: SearchKey, m: MessageEntry, seq: number, c: SearchContext): Promise<boolean> {
  switch (key.key) {
    case 'AND':
      for (const k of key.keys) if (!(await matches(k, m, seq, c))) return false;
      return true;
    case 'OR':
      return (await matches(key.left, m, seq, c)) || (await matches(key.right, m, seq, c));
    case 'NOT':
      return !(await matches(key.operand, m, seq, c));
    case 'ALL':
      return true;
    // No message is \Recent here: the flag went away in IMAP4rev2, and we do not keep it per session.
    case 'NEW': case 'RECENT':
      return false;
    case 'OLD':
      return true;
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
      const msg = await c.load(m);
      const date = parseDate(headerTexts(msg.raw, msg.root, 'date')[0] ?? '');
      if (!date) return false;
      const want = day8(key.date);
      return key.key === 'SENTBEFORE' ? date.day8 < want : key.key === 'SENTON' ? date.day8 === want : date.day8 >= want;
    }
    case 'FROM': case 'TO': case 'CC': case 'BCC': case 'SUBJECT': {
      const msg = await c.load(m);
      return headerTexts(msg.raw, msg.root, key.key.toLowerCase()).some((v) => matchesSearch(v, key.value));
    }
    case 'HEADER': {
      const msg = await c.load(m);
      const values = headerTexts(msg.raw, msg.root, key.field);
      // An empty string matches every message that has the field (RFC 3501).
      return key.value === '' ? values.length > 0 : values.some((v) => matchesSearch(v, key.value));
    }
    case 'BODY': {
      const msg = await c.load(m);
      return matchesSearch(bodyText(msg.raw, msg.root), key.value);
    }
    case 'TEXT': {
      const msg = await c.load(m);
      return matchesSearch(messageText(msg.raw, msg.root), key.value);
    }
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
  const out: MessageEntry[] = [];
  const view = c.selected.view;
  for (let seq = 1; seq <= view.exists; seq++) {
    const m = view.at(seq)!;
    if (await matches(key, m, seq, c)) out.push(m);
  }
  return out;
}
