// ENVELOPE (RFC 3501 section 7.4.2, RFC 9051 section 7.5.2): the message's own header fields,
// undecoded (IMAP hands out encoded words as they are), unfolded, as ImapValues.
import type { ImapValue } from '../imap/value.js';
import { type Address, parseAddressList } from './addresses.js';
import { imapText } from './bytes.js';
import { type HeaderField, findField, fieldValue } from './headers.js';

/** The ENVELOPE of the message whose header fields are `fields` (a MimePart's `headers`). */
export function envelope(raw: Uint8Array, fields: HeaderField[]): ImapValue {
  const text = (key: string): ImapValue => {
    const f = findField(fields, key);
    return f ? imapText(fieldValue(raw, f)) : null;
  };
  const addresses = (key: string): Address[] | null => {
    const f = findField(fields, key);
    if (!f) return null;
    const list = parseAddressList(fieldValue(raw, f));
    return list.length ? list : null;
  };
  const from = addresses('from');
  // RFC 3501: an absent or empty Sender or Reply-To is the same as From.
  const sender = addresses('sender') ?? from;
  const replyTo = addresses('reply-to') ?? from;
  return [
    text('date'),
    text('subject'),
    addressList(from),
    addressList(sender),
    addressList(replyTo),
    addressList(addresses('to')),
    addressList(addresses('cc')),
    addressList(addresses('bcc')),
    text('in-reply-to'),
    text('message-id'),
  ];
}

/** An address list as IMAP writes it: a group is (NIL NIL name NIL) ... (NIL NIL NIL NIL). */
export function addressList(list: Address[] | null): ImapValue {
  if (!list || list.length === 0) return null;
  return list.map((a): ImapValue => {
    if (a.group !== undefined) return [null, null, imapText(a.group), null];
    const s = (v: string | null): ImapValue => (v === null ? null : imapText(v));
    return [s(a.name), s(a.route), s(a.mailbox), s(a.host)];
  });
}
