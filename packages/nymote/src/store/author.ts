import { hostname, userInfo } from 'node:os';
import { parseAuthor, type Author } from '@nymote/store';

/**
 * Who commits when a command names no --author: $NYMOTE_AUTHOR ("Name <mail>"), else the login name
 * at this host, as git would guess. Also the committer of every commit this process writes.
 */
export function defaultAuthor(env: Readonly<Record<string, string | undefined>>): Author {
  const configured = env['NYMOTE_AUTHOR'];
  if (configured) {
    try {
      return parseAuthor(configured);
    } catch {
      throw new Error(`NYMOTE_AUTHOR is "${configured}"; it must look like "Name <mail@example.org>"`);
    }
  }
  const user = loginName(env);
  return { name: user, email: `${user}@${hostname()}` };
}

function loginName(env: Readonly<Record<string, string | undefined>>): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (some containers run as a bare uid).
    return env['USER'] || env['LOGNAME'] || 'nymote';
  }
}
