// Where mail lives on a user's branch users/NAME:
//
//   mail/.state.json                        { "lastUidValidity": n }: UIDVALIDITY never repeats
//   mail/boxes/<box>/.mailbox.json          the mailbox: UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, SPECIAL-USE, subscribed
//   mail/boxes/<box>/<dir>/<uid>.eml        the message as it arrived, byte for byte
//   mail/boxes/<box>/<dir>/<uid>.json       its flags, MODSEQ and INTERNALDATE
//
// A message copied to another mailbox is a second tree entry naming the same git blob, so its bytes
// are stored once (git addresses content by hash). Flags live apart from the bytes so that a flag
// change rewrites a small record and never touches the message. <dir> spreads the UIDs over small
// directories, so that a change rewrites a few small trees whatever the size of the mailbox; how is
// the mailbox's layout (see Layout).

import { MailError } from './errors.js';

export const MAIL_ROOT = 'mail';
export const STATE_KEY = `${MAIL_ROOT}/.state.json`;
export const BOXES = `${MAIL_ROOT}/boxes`;
export const MAILBOX_FILE = '.mailbox.json';

/** The hierarchy delimiter of mailbox names, as LIST reports it. */
export const DELIMITER = '/';

/** What `.mailbox.json` holds. */
export interface MailboxMeta {
  /** The name as clients see it (UTF-8), e.g. "Archive/2026". */
  name: string;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  /** RFC 6154 attribute, e.g. "\\Sent". */
  specialUse?: string;
  subscribed: boolean;
  /** See Layout; absent in mailboxes made before there was a choice (layout 1). */
  layout?: number;
}

/** What `<uid>.json` holds. */
export interface MessageMeta {
  flags: string[];
  modseq: number;
  /** INTERNALDATE, ISO 8601 with the offset the message was given (RFC 3501 keeps the zone). */
  internalDate: string;
}

/**
 * A mailbox name as one key segment: readable where it can be, with "%", the delimiter and a leading
 * "." percent-encoded (keys cannot hold "/" in a segment, and dot names are ours).
 */
export function boxSegment(name: string): string {
  return name.replace(/%/g, '%25').replace(/\//g, '%2F').replace(/^\./, '%2E');
}

export function boxName(segment: string): string {
  return segment.replace(/%2E/gi, '.').replace(/%2F/gi, '/').replace(/%25/g, '%');
}

/** The keys of the mailboxes lately asked for: every command on a mailbox asks (three replacements each). */
const boxKeys = new Map<string, { box: string; meta: string }>();

function keysOf(name: string): { box: string; meta: string } {
  let k = boxKeys.get(name);
  if (k === undefined) {
    const box = `${BOXES}/${boxSegment(name)}`;
    k = { box, meta: `${box}/${MAILBOX_FILE}` };
    if (boxKeys.size >= 1024) boxKeys.clear();
    boxKeys.set(name, k);
  }
  return k;
}

export const boxKey = (name: string) => keysOf(name).box;
export const metaKey = (name: string) => keysOf(name).meta;

/**
 * Where a mailbox puts the message of a UID, below its own key:
 * - 1 (mailboxes whose record has no "layout"): `<uid/256>/<uid>.eml`, one directory per 256 UIDs.
 *   Every flag change rewrites a directory of up to 512 entries, about 19 KB.
 * - 2: `<uid/2048>/<uid/32>/<uid>.eml`, two levels of directories of at most 64 entries (about 2.4 KB).
 *   A flag change then rewrites about 5 KB of directories instead of 19.
 * New mailboxes get LAYOUT. Reading needs no layout: parseMessagePath knows the shape of both.
 */
export type Layout = 1 | 2;
export const LAYOUT: Layout = 2;

/** The layout of a mailbox; a MailError for one this version does not know (made by a newer one), so that nothing is written to it. */
export function layoutOf(meta: MailboxMeta): Layout {
  if (meta.layout === undefined || meta.layout === 1) return 1;
  if (meta.layout === 2) return 2;
  throw new MailError('CANNOT', `mailbox ${meta.name} is stored in layout ${String(meta.layout)}, which this version of nymote does not know`);
}

const dirOf = (uid: number, layout: Layout) => (layout === 1 ? String(Math.floor(uid / 256)) : `${Math.floor(uid / 2048)}/${Math.floor(uid / 32)}`);
/** The message bytes and record of a UID, relative to its mailbox's key. */
export const rawPath = (uid: number, layout: Layout) => `${dirOf(uid, layout)}/${uid}.eml`;
export const recordPath = (uid: number, layout: Layout) => `${dirOf(uid, layout)}/${uid}.json`;

/** A key relative to a mailbox ("3/812.json", "0/25/812.json") as the UID and file kind it names, or undefined. */
export function parseMessagePath(rel: string): { uid: number; kind: 'raw' | 'record' } | undefined {
  const m = /^(?:(\d+)\/)?(\d+)\/([1-9]\d*)\.(eml|json)$/.exec(rel);
  if (!m) return undefined;
  const uid = Number(m[3]);
  const layout: Layout = m[1] === undefined ? 1 : 2;
  if (dirOf(uid, layout) !== (layout === 1 ? m[2] : `${m[1]}/${m[2]}`)) return undefined;
  return { uid, kind: m[4] === 'eml' ? 'raw' : 'record' };
}

const decoder = new TextDecoder();

/**
 * A record as stored: JSON and a newline. Text, which the tree encodes itself: bytes nobody else holds
 * are kept as they are when the commit is cached, where bytes of ours would be copied first.
 */
export function recordText(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

export function decodeJson<T>(bytes: Uint8Array, what: string): T {
  try {
    return JSON.parse(decoder.decode(bytes)) as T;
  } catch (e) {
    throw new Error(`${what} is not JSON: ${(e as Error).message}`);
  }
}
