import { StoreError } from './errors.js';

/** Whether git would accept `name` as a branch name (the rules of git check-ref-format --branch). */
export function isValidBranchName(name: string): boolean {
  if (name === '' || name === '@' || name.startsWith('-') || name.startsWith('/') || name.endsWith('/')) return false;
  if (name.endsWith('.') || name.includes('..') || name.includes('@{') || name.includes('//')) return false;
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  return name.split('/').every((c) => c !== '' && !c.startsWith('.') && !c.endsWith('.lock'));
}

/** The full ref of a branch ("main" -> "refs/heads/main"), refusing names git would refuse. */
export function branchRef(name: string): string {
  if (!isValidBranchName(name)) throw new StoreError('invalid-ref', `"${name}" is not a valid branch name`, { branch: name });
  return `refs/heads/${name}`;
}
