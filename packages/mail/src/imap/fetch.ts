import type { MessageEntry } from '../mailstore/mailbox-view.js';
import { binarySection, binarySize, bodyStructure, envelope, partial, sectionBytes } from '../mime/index.js';
import type { LoadedMessage } from './message-cache.js';
import { flagListToken, type BodySection, type FetchItem, type WireValue } from './protocol/index.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** INTERNALDATE as IMAP writes it: "26-Nov-2026 12:00:00 +0100", in the zone it was given. */
export function imapDateTime(iso: string): string {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|[+-]\d\d:?\d\d)$/.exec(iso);
  if (!m) return imapDateTime(new Date(Date.parse(iso) || 0).toISOString());
  const zone = m[7] === 'Z' ? '+0000' : m[7]!.replace(':', '');
  return `${m[3]}-${MONTHS[Number(m[2]) - 1]}-${m[1]} ${m[4]}:${m[5]}:${m[6]} ${zone}`;
}

/** Whether any item needs the message itself (not just its record). */
export function needsMessage(items: readonly FetchItem[]): boolean {
  return items.some((i) => i.type !== 'attribute' || !['UID', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'MODSEQ'].includes(i.name));
}

/** Whether fetching `items` sets \Seen (RFC 3501: BODY[...] and RFC822(.TEXT), not .PEEK). */
export function setsSeen(items: readonly FetchItem[]): boolean {
  return items.some((i) => ((i.type === 'body' || i.type === 'binary') && !i.peek) || (i.type === 'attribute' && (i.name === 'RFC822' || i.name === 'RFC822.TEXT')));
}

/** Header sections kept per cached message, keyed by section text: what mail clients poll for. */
const HEADER_SECTIONS = new Set(['HEADER', 'HEADER.FIELDS', 'HEADER.FIELDS.NOT']);

/** The cache key of each parsed section: a FETCH of many messages asks for the same section of each. */
const sectionKeys = new WeakMap<BodySection, string>();

/**
 * HEADER and HEADER.FIELDS(.NOT) of a message, computed once and kept with the cached message:
 * clients ask for the same few header fields of the same messages at every poll.
 */
function headerSection(msg: LoadedMessage, section: BodySection): Uint8Array | undefined {
  if (!section.text || !HEADER_SECTIONS.has(section.text)) return undefined;
  let key = sectionKeys.get(section);
  if (key === undefined) {
    key = `${section.part.join('.')}|${section.text}|${(section.fields ?? []).map((f) => f.toLowerCase()).join(' ')}`;
    sectionKeys.set(section, key);
  }
  const cache = (msg.sections ??= new Map<string, Uint8Array>());
  let bytes = cache.get(key);
  if (!bytes) {
    bytes = sectionBytes(msg.raw, msg.root, section);
    if (cache.size < 32) cache.set(key, bytes);
  }
  return bytes;
}

/** A fetch item that cannot be answered for this message: BINARY of an unknown encoding. */
export class UnknownCte extends Error {}

/**
 * The value of each item for one message, in the order asked; `msg` is given when needsMessage.
 * `flags`: the message's flags as the session shows them (with \Recent), by default its stored ones.
 */
export function fetchValues(items: readonly FetchItem[], m: MessageEntry, msg: LoadedMessage | undefined, flags: readonly string[] = m.flags): Array<[FetchItem | string, WireValue]> {
  const out: Array<[FetchItem | string, WireValue]> = [];
  for (const item of items) {
    if (item.type === 'attribute') {
      switch (item.name) {
        case 'UID': out.push(['UID', m.uid]); break;
        case 'FLAGS': out.push(['FLAGS', flagListToken(flags)]); break;
        case 'INTERNALDATE': out.push(['INTERNALDATE', imapDateTime(m.internalDate)]); break;
        case 'RFC822.SIZE': out.push(['RFC822.SIZE', m.size]); break;
        case 'MODSEQ': out.push(['MODSEQ', [BigInt(m.modseq)]]); break;
        case 'ENVELOPE': out.push(['ENVELOPE', envelope(msg!.raw, msg!.root.headers)]); break;
        case 'BODYSTRUCTURE': out.push(['BODYSTRUCTURE', bodyStructure(msg!.raw, msg!.root, true)]); break;
        case 'BODY': out.push(['BODY', bodyStructure(msg!.raw, msg!.root, false)]); break;
        case 'RFC822': out.push(['RFC822', msg!.raw]); break;
        case 'RFC822.HEADER': out.push(['RFC822.HEADER', sectionBytes(msg!.raw, msg!.root, { part: [], text: 'HEADER' })]); break;
        case 'RFC822.TEXT': out.push(['RFC822.TEXT', sectionBytes(msg!.raw, msg!.root, { part: [], text: 'TEXT' })]); break;
      }
      continue;
    }
    if (item.type === 'body') {
      const bytes = headerSection(msg!, item.section) ?? sectionBytes(msg!.raw, msg!.root, item.section);
      out.push([item, item.partial ? partial(bytes, item.partial.offset, item.partial.length) : bytes]);
      continue;
    }
    if (item.type === 'binary') {
      const r = binarySection(msg!.raw, msg!.root, item.part);
      if ('error' in r) throw new UnknownCte(`part ${item.part.join('.') || 'of the message'} has an unknown Content-Transfer-Encoding (${r.encoding})`);
      const bytes = item.partial ? partial(r.bytes, item.partial.offset, item.partial.length) : r.bytes;
      // BINARY content may hold NUL: literal8 (RFC 3516); text without it goes as an ordinary literal.
      out.push([item, bytes.includes(0) ? { literal8: bytes } : bytes]);
      continue;
    }
    const size = binarySize(msg!.raw, msg!.root, item.part);
    if (typeof size !== 'number') throw new UnknownCte(`part ${item.part.join('.')} has an unknown Content-Transfer-Encoding (${size.encoding})`);
    out.push([item, size]);
  }
  return out;
}
