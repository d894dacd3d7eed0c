// `nymote mail log` and `nymote mail undo`: the history of a user's mail.
import { MAIL_ROOT, MailError, Mailstore, canonicalName, mailboxKey } from '@nymote/mail';
import { defineCommand } from '../command.js';
import { maxCount, ownCommit, printHistory, userBranch, type DataContext } from '../data-context.js';
import { Failure } from '../report.js';

export const log = defineCommand({
  name: 'log',
  summary: "list the changes to a user's mail, newest first",
  usage: 'USER [MAILBOX] [-n N]',
  help: `Prints the commits of the branch users/USER that changed mail, newest first,
one a line: the short commit id (what "nymote mail undo" takes), the date (UTC)
and what happened. With MAILBOX, only the changes to that mailbox.

options:
  -n, --max-count N   at most N commits

example:
  $ nymote mail log alice INBOX -n 1
  3f1c2a9b0d1e  2026-11-26T10:30:00Z  Deliver “Lunch?” from ann@example.org to INBOX`,
  options: { 'max-count': { type: 'string', short: 'n' } },
  args: ['USER', '[MAILBOX]'],
  async run([user, mailbox], options, context: DataContext) {
    const limit = maxCount(options['max-count']);
    const { store } = await context.open();
    const branch = await userBranch(context, user!);
    const key = mailbox === undefined ? MAIL_ROOT : mailboxKey(canonicalName(mailbox));
    if (mailbox !== undefined && (await store.kind(key, branch)) === undefined && (await store.log({ at: branch, key, limit: 1 })).entries.length === 0) {
      throw new Failure(`${user} has no mailbox ${mailbox}, and never had`);
    }
    await printHistory(context, branch, key, limit);
    return 0;
  },
});

export const undo = defineCommand({
  name: 'undo',
  summary: "undo one change to a user's mail",
  usage: 'USER COMMIT',
  help: `Undoes the change COMMIT (an id from "nymote mail log", 4 or more digits) on
the branch users/USER, as a new commit. An expunged or moved message comes back
with its flags (under a new UID, as IMAP requires); a delivered one goes; flag
changes are reversed; a deleted mailbox returns. Works while "nymote mail serve"
runs: connected clients see the change at once.

example:
  nymote mail undo alice 3f1c2a9b`,
  options: {},
  args: ['USER', 'COMMIT'],
  async run([user, commit], _options, context: DataContext) {
    const { store } = await context.open();
    const branch = await userBranch(context, user!);
    const id = await ownCommit(context, user!, branch, commit!, 'nymote mail log');
    try {
      const r = await new Mailstore(store, user!).undo(id);
      context.io.stdout.write(`undid "${r.subject}" (${(r.commit ?? (await store.head(branch))!).slice(0, 12)} on ${branch})\n`);
      return 0;
    } catch (e) {
      if (e instanceof MailError) throw new Failure(`cannot undo ${commit}: ${e.message}`);
      throw e;
    }
  },
});
