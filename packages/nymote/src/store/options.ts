// Options and arguments that several store verbs share, and their checks.
import { parseAuthor, type At, type Store, type WriteOptions } from '@nymote/store';
import { Failure } from '../report.js';
import { UsageError } from '../usage.js';

/** Where a reading verb reads: --branch B or --at COMMIT (default: the default branch). */
export const readOptions = {
  branch: { type: 'string' },
  at: { type: 'string' },
} as const;

/** What a writing verb records: -m MESSAGE, --branch B, --author "Name <mail>". */
export const writeOptions = {
  message: { type: 'string', short: 'm' },
  branch: { type: 'string' },
  author: { type: 'string' },
} as const;

export interface ReadPoint {
  at: At;
  /** For messages: "branch main" or "commit 1234…". */
  where: string;
}

/**
 * Checks --branch/--at as soon as options are parsed (a usage error must not wait for the repository),
 * and gives what to read once the store is open (its default branch fills in).
 */
export function readPoint(values: { branch?: string; at?: string }): (store: Store) => ReadPoint {
  if (values.branch !== undefined && values.at !== undefined) throw new UsageError('give --branch or --at, not both');
  if (values.at !== undefined) {
    const commit = commitId(values.at, '--at');
    return () => ({ at: { commit }, where: `commit ${commit}` });
  }
  const chosen = values.branch;
  return (store) => {
    const branch = chosen ?? store.defaultBranch;
    return { at: { branch }, where: `branch ${branch}` };
  };
}

/** A commit id, full or abbreviated to 4 or more hex digits as git prints them; the store expands it. */
export function commitId(s: string, what: string): string {
  if (!/^[0-9a-fA-F]{4,40}$/.test(s)) throw new UsageError(`${what} needs a commit id (4 to 40 hex digits), not "${s}"`);
  return s.toLowerCase();
}

export function writeInfo(values: { message?: string; branch?: string; author?: string }): WriteOptions {
  const info: WriteOptions = {};
  if (values.message !== undefined) info.message = values.message;
  if (values.branch !== undefined) info.branch = values.branch;
  if (values.author !== undefined) info.author = author(values.author, '--author');
  return info;
}

export function author(s: string, what: string): { name: string; email: string } {
  try {
    return parseAuthor(s);
  } catch {
    throw new UsageError(`${what} "${s}" must look like "Name <mail@example.org>"`);
  }
}

/** A key prefix as people type it: "contacts/" means "contacts"; "" or "/" the whole store. */
export function prefixArg(s: string | undefined): string {
  return (s ?? '').replace(/\/+$/, '');
}

/**
 * Writes go to branches that exist, or to the default branch (which has no commit before the first
 * write): a typo in --branch must not quietly start a new, unrelated history.
 */
export async function requireBranch(store: Store, branch: string | undefined, option = '--branch'): Promise<void> {
  if (branch === undefined || branch === store.defaultBranch) return;
  if ((await store.head(branch)) !== undefined) return;
  throw new Failure(`no branch ${branch} (${option}); "nymote store branch create ${branch}" makes it`);
}
