/** A Git object id: 40 lowercase hex digits of a SHA-1. */
export type ObjectId = string;

/** The id git gives the empty tree; git treats it as present in every repository. */
export const EMPTY_TREE_ID: ObjectId = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export const ZERO_ID: ObjectId = '0'.repeat(40);

const ID_RE = /^[0-9a-f]{40}$/;

export function isObjectId(s: string): s is ObjectId {
  return ID_RE.test(s);
}
