/**
 * Account names: what people type to log in ("alice", or "alice@example.org" where the domain is the
 * server's), and part of a branch name (users/alice). Lowercase ASCII letters, digits, '.', '_' and
 * '-', starting with a letter or digit, at most 64 characters: safe in mail addresses, URLs, branch
 * names (no "..", no ".lock" ending) and file names on every system.
 */
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function isValidAccountName(name: string): boolean {
  return NAME.test(name) && !name.includes('..') && !name.endsWith('.lock') && !name.endsWith('.');
}

/** Why `name` is not a valid account name, for an error message. */
export function accountNameProblem(name: string): string | undefined {
  if (isValidAccountName(name)) return undefined;
  if (name === '') return 'an account name cannot be empty';
  if (name.length > 64) return `account name "${name.slice(0, 20)}…" is longer than 64 characters`;
  if (/[A-Z]/.test(name)) return `account name "${name}" has capital letters (names are lowercase)`;
  return `account name "${name}" must be lowercase letters, digits, ".", "_" or "-", starting with a letter or digit`;
}
