import type { Change } from '@nymote/store';
import { defineCommand } from '../../command.js';
import type { StoreContext } from '../context.js';
import { prefixArg } from '../options.js';

/** Git's name for "no commit", printed when the watched branch is deleted. */
const NO_COMMIT = '0'.repeat(40);

export const watch = defineCommand({
  name: 'watch',
  summary: 'print changes as they happen, until interrupted',
  usage: '[PREFIX] [--branch B]',
  help: `Prints one line per changed key under PREFIX (default: the whole store) on the
branch, as commits arrive, until interrupted (Ctrl-C or SIGTERM; exit status 0):

  <commit> <added|changed|removed> <key>

Sees writes by any process, including git itself (git update-ref, git fetch).
Says on stderr when it has started watching.

options:
  --branch B     watch branch B (default: the default branch)

example:
  $ nymote store watch contacts
  3f1c...e2 changed contacts/alice.json`,
  options: { branch: { type: 'string' } },
  args: ['[PREFIX]'],
  async run([prefixWord], options, context: StoreContext) {
    const { io } = context;
    const { store } = await context.open();
    const branch = options.branch ?? store.defaultBranch;
    const prefix = prefixArg(prefixWord);
    const interrupted = io.interrupted();
    const stop = store.watch((c) => io.stdout.write(`${c.commit ?? NO_COMMIT} ${changeKind(c)} ${c.key}\n`), {
      branch,
      prefix,
      // One unreadable commit must not end a long-running watch: say so and keep going.
      onError: (e) => io.stderr.write(`nymote: watch ${branch}: ${e instanceof Error ? e.message : String(e)}\n`),
    });
    io.stderr.write(`watching ${prefix === '' ? 'all keys' : prefix} on branch ${branch}; Ctrl-C stops\n`);
    await interrupted;
    stop();
    return 0;
  },
});

function changeKind(c: Change): 'added' | 'changed' | 'removed' {
  if (c.old === undefined) return 'added';
  return c.new === undefined ? 'removed' : 'changed';
}
