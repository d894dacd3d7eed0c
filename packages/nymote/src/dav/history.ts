// `nymote dav log` and `nymote dav undo`: the history of a user's contacts and calendars.
import type { Store } from '@nymote/store';
import { maxCount, ownCommit, printHistory, userBranch } from '../data-context.js';
import { defineCommand } from '../command.js';
import { reportConflicts } from '../store/conflicts.js';
import { Failure } from '../report.js';
import { UsageError } from '../usage.js';
import type { DavContext } from './context.js';


/** COLLECTION as a key: "calendars/NAME", "addressbooks/NAME", or a NAME that only one of the two has. */
async function collectionKey(store: Store, branch: string, name: string): Promise<string> {
  if (/^(calendars|addressbooks)\/[^/]+$/.test(name)) return name;
  const found: string[] = [];
  for (const kind of ['calendars', 'addressbooks']) if ((await store.kind(`${kind}/${name}`, branch)) === 'tree') found.push(`${kind}/${name}`);
  if (found.length === 1) return found[0]!;
  if (found.length === 0) throw new Failure(`no calendar or address book ${name} (try calendars/${name} or addressbooks/${name})`);
  throw new UsageError(`both a calendar and an address book are called ${name}: say calendars/${name} or addressbooks/${name}`);
}


export const log = defineCommand({
  name: 'log',
  summary: "list the changes to a user's contacts and calendars, newest first",
  usage: 'USER [COLLECTION] [-n N]',
  help: `Prints the commits of the branch users/USER, newest first, one a line: the
short commit id (what "nymote dav undo" takes), the date (UTC) and what changed.
With COLLECTION ("calendars/NAME", "addressbooks/NAME", or just NAME when only
one of the two has it), only the commits that changed it.

options:
  -n, --max-count N   at most N commits

example:
  $ nymote dav log alice default -n 2
  3f1c2a9b0d1e  2026-11-26T10:30:00Z  Add event Stand-up to calendar Calendar`,
  options: { 'max-count': { type: 'string', short: 'n' } },
  args: ['USER', '[COLLECTION]'],
  async run([user, collection], options, context: DavContext) {
    const limit = maxCount(options['max-count']);
    const { store } = await context.open();
    const branch = await userBranch(context, user!);
    const key = collection === undefined ? undefined : await collectionKey(store, branch, collection);
    await printHistory(context, branch, key, limit);
    return 0;
  },
});

export const undo = defineCommand({
  name: 'undo',
  summary: "undo one change to a user's contacts or calendars",
  usage: 'USER COMMIT',
  help: `Undoes the change COMMIT (an id from "nymote dav log", 4 or more digits) on
the branch users/USER, as a new commit: what happened since is kept, and the
undo can itself be undone. Clients see the change at their next sync.
A change that later changes overlap is not undone (exit status 1).

example:
  nymote dav undo alice 3f1c2a9b`,
  options: {},
  args: ['USER', 'COMMIT'],
  async run([user, commit], _options, context: DavContext) {
    const { store } = await context.open();
    const branch = await userBranch(context, user!);
    const id = await ownCommit(context, user!, branch, commit!, 'nymote dav log');
    const info = await store.objects.commit(id);
    if (info.parents.length === 0) throw new Failure(`${commit} is the start of ${user}'s data: there is nothing before it to go back to`);
    const subject = info.message.split('\n')[0]!;
    const r = await store.revert(id, { branch, message: `Undo "${subject}"` });
    if (!r.ok) return reportConflicts(context.io, r.conflicts, `undoing ${commit} on ${branch}`);
    context.io.stdout.write(`undid "${subject}" (${r.commit.slice(0, 12)} on ${branch})\n`);
    return 0;
  },
});
