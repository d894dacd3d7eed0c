import { StoreError } from './errors.js';
import { isValidEntryName } from './git/tree-codec.js';

/** A key names a value by its path: "contacts/alice/vcard", or the same as segments. */
export type Key = string | readonly string[];

/** Splits and checks a key; every segment must be a name git accepts in a tree. */
export function keySegments(key: Key, allowEmpty = false): string[] {
  const segs = typeof key === 'string' ? (key === '' ? [] : key.split('/')) : [...key];
  if (segs.length === 0 && !allowEmpty) throw new StoreError('invalid-key', 'the key is empty', { key: '' });
  for (const s of segs) {
    if (!isValidEntryName(s)) {
      const k = segs.join('/');
      throw new StoreError('invalid-key', `key "${k}" has an invalid segment "${s}" (empty, ".", "..", ".git" or containing NUL)`, { key: k });
    }
  }
  return segs;
}

export function keyString(key: Key): string {
  return typeof key === 'string' ? key : key.join('/');
}

/** Joins a prefix and a name into a key string. */
export function joinKey(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}/${name}`;
}
