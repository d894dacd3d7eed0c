import type { Person } from '@nymote/store';
import { defineCommand } from '../../command.js';
import { UsageError } from '../../usage.js';
import type { StoreContext } from '../context.js';
import { readOptions, readPoint } from '../options.js';

export const log = defineCommand({
  name: 'log',
  summary: 'list commits, newest first (of a branch, or of one key)',
  usage: '[-n N] [KEY] [--branch B | --at COMMIT]',
  help: `Prints the commits of the branch, newest first, one a line: the full commit
id, the author date in ISO 8601 with the author's offset (as git's %aI), and the
first line of the message. With KEY, only the commits that changed KEY (a value
or anything under a tree).

options:
  -n, --max-count N   at most N commits
  --branch B          the history of branch B (default: the default branch)
  --at COMMIT         the history that leads to COMMIT (a commit id, or 4+ of its first digits)

example:
  $ nymote store log -n 1 contacts/alice.json
  3f1c...e2 2024-05-01T09:30:00+02:00 Set contacts/alice.json`,
  options: { ...readOptions, 'max-count': { type: 'string', short: 'n' } },
  args: ['[KEY]'],
  async run([key], options, context: StoreContext) {
    const limit = options['max-count'] === undefined ? undefined : count(options['max-count']);
    const point = readPoint(options);
    const { store } = await context.open();
    const { at } = point(store);
    const page = await store.log({ at, ...(key === undefined ? {} : { key }), ...(limit === undefined ? {} : { limit }) });
    let out = '';
    for (const e of page.entries) out += `${e.id} ${isoDate(e.author)} ${e.message.split('\n')[0]}\n`;
    context.io.stdout.write(out);
    return 0;
  },
});

function count(s: string): number {
  if (!/^\d+$/.test(s) || Number(s) < 1) throw new UsageError(`-n needs a whole number of commits, 1 or more, not "${s}"`);
  return Number(s);
}

/** A git time as ISO 8601 in the writer's own offset ("2024-05-01T09:30:00+02:00"), like git's %aI. */
export function isoDate(p: Person): string {
  const sign = p.tz.startsWith('-') ? -1 : 1;
  const offsetMinutes = sign * (Number(p.tz.slice(1, 3)) * 60 + Number(p.tz.slice(3, 5)));
  const local = new Date((p.time + offsetMinutes * 60) * 1000).toISOString().slice(0, 19);
  return `${local}${p.tz.slice(0, 3)}:${p.tz.slice(3, 5)}`;
}
