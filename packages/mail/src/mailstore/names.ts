import { DELIMITER } from './layout.js';

/**
 * A mailbox name as the store keeps it: "INBOX" in any case is INBOX (RFC 3501 5.1), also as the
 * first level of a hierarchy ("inbox/x" is "INBOX/x"); other names are case-sensitive.
 */
export function canonicalName(name: string): string {
  const [first = '', ...rest] = name.split(DELIMITER);
  return first.toUpperCase() === 'INBOX' ? ['INBOX', ...rest].join(DELIMITER) : name;
}

/** Why a name cannot be a mailbox, or undefined if it can. */
export function mailboxNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a mailbox name cannot be empty';
  if (name.length > 512) return 'a mailbox name is at most 512 characters';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'a mailbox name cannot hold control characters';
  if (name.split(DELIMITER).some((s) => s === '')) return `a mailbox name has no empty level ("${name}")`;
  if (/[*%]/.test(name)) return 'a mailbox name cannot hold the LIST wildcards * and %';
  return undefined;
}
