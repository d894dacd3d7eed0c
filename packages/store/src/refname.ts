// Which ref names may exist: the rules of `git check-ref-format`, so that every ref we write is one git
// accepts, and a name can never reach outside the repository directory ("refs/../../x").
import { StoreError } from './errors.js';

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

/** Whether git would accept `name` as a branch name (git check-ref-format --branch). */
export function isValidBranchName(name: string): boolean {
  return name !== '' && !name.startsWith('-') && name !== 'HEAD' && isValidRefName(`refs/heads/${name}`);
}

/** The full ref of a branch ("main" -> "refs/heads/main"), refusing names git would refuse. */
export function branchRef(name: string): string {
  if (!isValidBranchName(name)) throw new StoreError('invalid-ref', `"${name}" is not a valid branch name`, { branch: name });
  return `refs/heads/${name}`;
}
