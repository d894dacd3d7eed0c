import { pushRemote } from '@nymote/store/node';
import { defineCommand } from '../../command.js';
import type { StoreContext } from '../context.js';
import { PROGRESS_HELP, PROGRESS_OPTIONS, fsStore, progressReporter } from './fetch.js';

const abbrev = (id: string | undefined): string => (id ? id.slice(0, 7) : '');

export const push = defineCommand({
  name: 'push',
  summary: 'send a branch to a remote (refuses to lose its commits)',
  usage: '[REMOTE] [--branch B] [--force] [--delete] [--progress] [-q]',
  help: `Sends the local branch (default: the default branch, or B) to the branch of the
same name on the remote (default "origin"), with every object the remote lacks.

A push that would make the remote lose commits (its branch has commits yours
does not) is refused, exit 1: pull first to merge them, or overwrite them with
--force. Prints what happened to the remote branch, as git does.

options:
  --branch B     the branch to push (default: the default branch)
  --force        overwrite the remote branch even if that loses commits
  --delete       delete the branch on the remote instead
${PROGRESS_HELP}

example:
  $ nymote store push
     1a2b3c4..5d6e7f8  main -> main`,
  options: {
    branch: { type: 'string' },
    force: { type: 'boolean' },
    delete: { type: 'boolean' },
    ...PROGRESS_OPTIONS,
  },
  args: ['[REMOTE]'],
  async run([remote = 'origin'], options, context: StoreContext) {
    const store = fsStore(await context.open());
    const branch = options.branch ?? store.defaultBranch;
    const onProgress = progressReporter(context.io, options);
    const r = await pushRemote(store, remote, {
      branch,
      force: options.force === true,
      delete: options.delete === true,
      ...(onProgress ? { onProgress } : {}),
    });
    const what = {
      'up-to-date': ' = [up to date]     ',
      created: ' * [new branch]     ',
      deleted: ' - [deleted]        ',
      'fast-forward': `   ${abbrev(r.old)}..${abbrev(r.next)}`,
      forced: ` + ${abbrev(r.old)}...${abbrev(r.next)}`,
    }[r.kind];
    const suffix = r.kind === 'forced' ? ' (forced update)' : '';
    context.io.stdout.write(`${what.padEnd(20)} ${r.kind === 'deleted' ? '' : branch} -> ${branch}${suffix}\n`);
    return 0;
  },
});
