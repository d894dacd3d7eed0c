import { Failure } from '../report.js';
import type { DavContext } from '../dav/context.js';

/** Opens the data directory and checks that `user` is one of its users. */
export async function openForUser(context: DavContext, user: string) {
  const opened = await context.open();
  if (!(await opened.accounts.get(user))) throw new Failure(`no user ${user} in ${context.dataDir} (see "nymote user list")`);
  return opened;
}
