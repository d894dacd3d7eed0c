// Which ref names may exist on disk: the rules of `git check-ref-format`, so that every ref we write is
// one git accepts, and a name can never reach outside the repository directory ("refs/../../x").
import { StoreError } from '../../errors.js';

/** Top-level refs git keeps outside refs/: HEAD and its kin (ORIG_HEAD, FETCH_HEAD, MERGE_HEAD…). */
const ROOT_REF_RE = /^(?:[A-Z][A-Z_]*_)?HEAD$/;

function validComponent(c: string): boolean {
  return c !== '' && !c.startsWith('.') && !c.endsWith('.lock');
}

/** Whether `name` is a full ref name git would accept ("refs/heads/main", "HEAD"). */
export function isValidRefName(name: string): boolean {
  if (ROOT_REF_RE.test(name)) return true;
  if (!name.startsWith('refs/') || name.endsWith('/') || name.endsWith('.')) return false;
  if (name.includes('..') || name.includes('@{') || name === '@') return false;
  // Control characters, space, ~ ^ : ? * [ and backslash.
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  const parts = name.split('/');
  return parts.length >= 2 && parts.every(validComponent);
}

export function checkRefName(name: string): void {
  if (!isValidRefName(name)) {
    throw new StoreError('invalid-ref', `"${name}" is not a valid ref name (git check-ref-format refuses it)`, { ref: name });
  }
}

/** Git's order for ref names: by UTF-8 bytes (what "sorted" in packed-refs means), not UTF-16 units. */
export function compareRefNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
