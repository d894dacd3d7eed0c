// Where mail lives on a user's branch users/NAME:
//
//   mail/.state.json                        { "lastUidValidity": n }: UIDVALIDITY never repeats
//   mail/boxes/<box>/.mailbox.json          the mailbox: UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, SPECIAL-USE, subscribed
//   mail/boxes/<box>/<bucket>/<uid>.eml     the message as it arrived, byte for byte
//   mail/boxes/<box>/<bucket>/<uid>.json    its flags, MODSEQ and INTERNALDATE
//
// A message copied to another mailbox is a second tree entry naming the same git blob, so its bytes
// are stored once (git addresses content by hash). Flags live apart from the bytes so that a flag
// change rewrites a small record and never touches the message. Buckets of 256 UIDs keep each
// directory small, so a change rewrites a few small trees whatever the size of the mailbox.

export const MAIL_ROOT = 'mail';
export const STATE_KEY = `${MAIL_ROOT}/.state.json`;
export const BOXES = `${MAIL_ROOT}/boxes`;
export const MAILBOX_FILE = '.mailbox.json';
export const BUCKET_SIZE = 256;

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

export const boxKey = (name: string) => `${BOXES}/${boxSegment(name)}`;
export const metaKey = (name: string) => `${boxKey(name)}/${MAILBOX_FILE}`;
const bucketOf = (uid: number) => String(Math.floor(uid / BUCKET_SIZE));
/** The message bytes and record of a UID, relative to its mailbox's key. */
export const rawPath = (uid: number) => `${bucketOf(uid)}/${uid}.eml`;
export const recordPath = (uid: number) => `${bucketOf(uid)}/${uid}.json`;

/** A key relative to a mailbox ("3/812.json") as the UID and file kind it names, or undefined. */
export function parseMessagePath(rel: string): { uid: number; kind: 'raw' | 'record' } | undefined {
  const m = /^(\d+)\/([1-9]\d*)\.(eml|json)$/.exec(rel);
  if (!m) return undefined;
  const uid = Number(m[2]);
  if (bucketOf(uid) !== m[1]) return undefined;
  return { uid, kind: m[3] === 'eml' ? 'raw' : 'record' };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(`${JSON.stringify(value)}\n`);
}

export function decodeJson<T>(bytes: Uint8Array, what: string): T {
  try {
    return JSON.parse(decoder.decode(bytes)) as T;
  } catch (e) {
    throw new Error(`${what} is not JSON: ${(e as Error).message}`);
  }
}
