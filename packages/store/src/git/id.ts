/** A Git object id: 40 lowercase hex digits of a SHA-1. */
export type ObjectId = string;

export const ZERO_ID: ObjectId = '0'.repeat(40);

const ID_RE = /^[0-9a-f]{40}$/;

export function isObjectId(s: string): s is ObjectId {
  return ID_RE.test(s);
}
