// `nymote mail log` and `nymote mail undo`: the history of a user's mail.
import { MAIL_ROOT, MailError, Mailstore, canonicalName, mailboxKey } from '@nymote/mail';
import { defineCommand } from '../command.js';
import { isoSeconds, userBranch, type DataContext } from '../data-context.js';
import { Failure } from '../report.js';
import { UsageError } from '../usage.js';

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
    const n = options['max-count'];
    if (n !== undefined && (!/^\d+$/.test(n) || Number(n) < 1)) throw new UsageError(`-n needs a whole number of commits, 1 or more, not "${n}"`);
    const { store } = await context.open();
    const branch = await userBranch(context, user!);
    const key = mailbox === undefined ? MAIL_ROOT : mailboxKey(canonicalName(mailbox));
    if (mailbox !== undefined && (await store.kind(key, branch)) === undefined && (await store.log({ at: branch, key, limit: 1 })).entries.length === 0) {
      throw new Failure(`${user} has no mailbox ${mailbox}, and never had`);
    }
    const page = await store.log({ at: branch, key, ...(n ? { limit: Number(n) } : {}) });
    let out = '';
    for (const e of page.entries) out += `${e.id.slice(0, 12)}  ${isoSeconds(e.author.time)}  ${e.message.split('\n')[0]}\n`;
    context.io.stdout.write(out);
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
    const id = await store.resolve({ commit: commit! }).catch(() => undefined);
    const head = (await store.head(branch))!;
    if (!id || !(await store.isAncestor(id, head))) throw new Failure(`${commit} is not a change of ${user}'s (see "nymote mail log ${user}")`);
    try {
      const r = await new Mailstore(store, user!).undo(id);
      context.io.stdout.write(`undid "${r.subject}" (${(r.commit ?? head).slice(0, 12)} on ${branch})\n`);
      return 0;
    } catch (e) {
      if (e instanceof MailError) throw new Failure(`cannot undo ${commit}: ${e.message}`);
      throw e;
    }
  },
});
