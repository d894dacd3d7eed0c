// A cheap summary of a message for the mailstore's index, read from the top-level header only,
// so that the common SEARCH keys (FROM, TO, CC, BCC, SUBJECT, SENT*, LARGER/SMALLER, HEADER
// Message-ID) and threading are answered without reading bodies again.
import { type Address, parseAddressList } from './addresses.js';
import { binaryToText } from './bytes.js';
import { type MessageDate, parseDate } from './dates.js';
import { decodeEncodedWords } from './encoded-words.js';
import { findField, fieldValue, parseHeader } from './headers.js';

export interface SummaryAddress {
  /** Display name, encoded words decoded; null when there is none. */
  name: string | null;
  /** "mailbox@host" (no host part when the address has none). */
  address: string;
}

export interface MessageSummary {
  /** RFC822.SIZE: octets of the message as stored. */
  size: number;
  /** The Date header, parsed; null when absent or unreadable. */
  date: MessageDate | null;
  /** Decoded Subject, null when absent. */
  subject: string | null;
  /**
   * The address headers: decoded header text (what SEARCH FROM/TO/CC/BCC match substrings of)
   * and the mailboxes in them (groups flattened), for sorting and display.
   */
  from: SummaryField;
  to: SummaryField;
  cc: SummaryField;
  bcc: SummaryField;
  /** Message-ID, In-Reply-To and References as the message-ids in them ("<id@host>"). */
  messageId: string | null;
  inReplyTo: string[];
  references: string[];
}

export interface SummaryField {
  text: string | null;
  addresses: SummaryAddress[];
}

function addresses(list: Address[]): SummaryAddress[] {
  const out: SummaryAddress[] = [];
  for (const a of list) {
    if (a.group !== undefined || a.mailbox === null) continue;
    const name = a.name === null ? null : decodeEncodedWords(a.name);
    const host = a.host === null || a.host === 'MISSING_DOMAIN' ? '' : '@' + a.host;
    out.push({ name, address: binaryToText(a.mailbox === 'MISSING_MAILBOX' ? '' : a.mailbox) + binaryToText(host) });
  }
  return out;
}

/** The "<...>" message-ids in a header value, in order. */
export function messageIds(value: string | null): string[] {
  if (value === null) return [];
  return [...value.replace(/\([^()]*\)/g, ' ').matchAll(/<[^<>\s]*>/g)].map((m) => binaryToText(m[0]));
}

/** Summarises a message from its header (the body is not read). */
export function summarize(raw: Uint8Array): MessageSummary {
  const { fields } = parseHeader(raw, 0);
  const value = (key: string): string | null => {
    const f = findField(fields, key);
    return f ? fieldValue(raw, f) : null;
  };
  const field = (key: string): SummaryField => {
    const v = value(key);
    return v === null ? { text: null, addresses: [] } : { text: decodeEncodedWords(v), addresses: addresses(parseAddressList(v)) };
  };
  const date = value('date');
  const subject = value('subject');
  const id = messageIds(value('message-id'));
  const rawId = value('message-id');
  return {
    size: raw.length,
    date: date === null ? null : parseDate(date),
    subject: subject === null ? null : decodeEncodedWords(subject),
    from: field('from'),
    to: field('to'),
    cc: field('cc'),
    bcc: field('bcc'),
    messageId: id[0] ?? (rawId === null || rawId.trim() === '' ? null : binaryToText(rawId.trim())),
    inReplyTo: messageIds(value('in-reply-to')),
    references: messageIds(value('references')),
  };
}
