import { resolve } from 'node:path';
import { cloneRepository } from '@nymote/store/node';
import { defineCommand } from '../../command.js';
import type { StoreContext } from '../context.js';
import { PROGRESS_HELP, PROGRESS_OPTIONS, progressReporter } from './fetch.js';

export const clone = defineCommand({
  name: 'clone',
  summary: 'copy a remote store (any Git repository) into a new directory',
  usage: 'URL DIR [--branch B] [--progress] [-q]',
  help: `Creates a new store (a bare Git repository) in DIR with everything the remote
at URL has on its branches, records the remote as "origin" (so "fetch", "pull"
and "push" need no URL, and "git remote -v" in DIR shows it), and creates the
local branch the remote's HEAD names (or B). DIR must not exist or be empty;
on failure it is removed again.

URL is an http:// or https:// URL of any Git server (git http-backend, a
forge, "nymote store serve"), or the path of a repository on this machine.

options:
  --branch B              the branch to create locally (default: the remote's)
${PROGRESS_HELP}

example:
  $ nymote store clone https://example.org/mail.git ~/mail.git
  cloned https://example.org/mail.git into /home/me/mail.git: branch main at 5d6e7f8...`,
  options: { branch: { type: 'string' }, ...PROGRESS_OPTIONS },
  args: ['URL', 'DIR'],
  async run([url, dir], options, context: StoreContext) {
    const target = resolve(dir!);
    const onProgress = progressReporter(context.io, options);
    if (onProgress) context.io.stderr.write(`Cloning into '${target}'...\n`);
    const r = await cloneRepository(url!, target, {
      ...(options.branch === undefined ? {} : { branch: options.branch }),
      ...(onProgress ? { onProgress } : {}),
      backend: { onWarning: (m) => context.io.stderr.write(`nymote: warning: ${m}\n`) },
    });
    try {
      if (r.branch === undefined) {
        context.io.stderr.write(`nymote: warning: ${url} has no branches (cloned an empty store)\n`);
        context.io.stdout.write(`cloned ${url} into ${target}\n`);
      } else {
        context.io.stdout.write(`cloned ${url} into ${target}: branch ${r.branch} at ${await r.store.head(r.branch)}\n`);
      }
    } finally {
      await r.store.close();
    }
    return 0;
  },
});
