// The `nymote user` verbs: add, list, passwd, remove.
import { defineCommand } from '../command.js';
import { UsageError } from '../usage.js';
import type { UserContext } from './context.js';
import { readPassword } from './password.js';

const add = defineCommand({
  name: 'add',
  summary: 'add a user (password on stdin)',
  usage: 'NAME',
  help: `Adds the user NAME, whose password is the first line of stdin (at least 8
characters; only its scrypt hash is kept), and starts their data branch
users/NAME, where their mail, contacts and calendars go. Creates the data
directory's store on first use. NAME is lowercase letters, digits, ".", "_"
or "-"; people log in as NAME or NAME@DOMAIN.

example:
  printf '%s\\n' "$PASSWORD" | nymote user add alice`,
  options: {},
  args: ['NAME'],
  async run([name], _options, context: UserContext) {
    const password = await readPassword(context.io, name!);
    const accounts = await context.accounts({ create: true });
    const account = await accounts.add(name!, password);
    context.io.stdout.write(`added user ${account.name} (data on branch ${account.branch})\n`);
    return 0;
  },
});

const list = defineCommand({
  name: 'list',
  summary: 'list the users',
  usage: '',
  help: `Prints one line per user: the name, when it was added, and its data branch.

example:
  $ nymote user list
  alice  2026-11-26T10:00:00.000Z  users/alice`,
  options: {},
  args: [],
  async run(_args, _options, context: UserContext) {
    const all = await (await context.accounts()).list();
    const width = Math.max(0, ...all.map((a) => a.name.length));
    for (const a of all) context.io.stdout.write(`${a.name.padEnd(width)}  ${a.created}  ${a.branch}\n`);
    return 0;
  },
});

const passwd = defineCommand({
  name: 'passwd',
  summary: "change a user's password (new one on stdin)",
  usage: 'NAME',
  help: `Replaces the password of NAME with the first line of stdin.

example:
  printf '%s\\n' "$NEW_PASSWORD" | nymote user passwd alice`,
  options: {},
  args: ['NAME'],
  async run([name], _options, context: UserContext) {
    const password = await readPassword(context.io, name!);
    await (await context.accounts()).setPassword(name!, password);
    context.io.stdout.write(`changed the password of ${name}\n`);
    return 0;
  },
});

const remove = defineCommand({
  name: 'remove',
  summary: 'remove a user (their data is kept unless --purge)',
  usage: 'NAME --yes [--purge]',
  help: `Removes the user NAME: they can no longer log in. Their data is kept on a
branch removed/NAME/<time>, so the name can be given to someone new without
their data; with --purge the data branch is deleted instead. Asks for --yes.

options:
  --yes     really remove
  --purge   delete the data branch too (its objects remain in the repository
            until it is pruned)

example:
  nymote user remove alice --yes`,
  options: { yes: { type: 'boolean' }, purge: { type: 'boolean' } },
  args: ['NAME'],
  async run([name], options, context: UserContext) {
    if (options.yes !== true) throw new UsageError(`removing user "${name}" needs --yes`);
    const { keptAs } = await (await context.accounts()).remove(name!, { purge: options.purge === true });
    context.io.stdout.write(keptAs ? `removed user ${name}; their data is kept on branch ${keptAs}\n` : `removed user ${name} and their data branch\n`);
    return 0;
  },
});

export const userCommands = [add, list, passwd, remove] as const;
