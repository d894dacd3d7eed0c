import { formatProgress, type SyncProgress } from '@nymote/store';
import { fetchRemote, type FsBackend } from '@nymote/store/node';
import type { Store } from '@nymote/store';
import { defineCommand } from '../../command.js';
import type { Io } from '../../io.js';
import type { StoreContext } from '../context.js';

/** The options every transferring verb takes. */
export const PROGRESS_OPTIONS = {
  progress: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

export const PROGRESS_HELP = `  --progress              report progress on stderr even when it is not a terminal
  -q, --quiet             no progress (by default it is shown when stderr is a terminal)`;

/**
 * Progress on stderr as git shows it: on a terminal one line per phase, updated in place and ending
 * in ", done."; elsewhere (with --progress) only each phase's final line and the remote's messages.
 */
export function progressReporter(io: Io, options: { progress?: boolean; quiet?: boolean }): ((p: SyncProgress) => void) | undefined {
  if (options.quiet === true || (options.progress !== true && !io.stderr.isTTY)) return undefined;
  const tty = io.stderr.isTTY;
  let last = '';
  let lastAt = 0;
  let lastFinished = false;
  return (p) => {
    if (p.phase === 'remote') {
      // Updating percentages would be one line each when not on a terminal; their final line ends in "done".
      if (tty || !/\d+%/.test(p.message) || /done/.test(p.message)) io.stderr.write(`${formatProgress(p)}\n`);
      return;
    }
    const finished = p.total !== undefined && p.done >= p.total;
    // One write per percent (or per 100 ms while counting), not per object: a fetch may carry millions.
    const now = Date.now();
    const key = p.total === undefined ? `${p.phase}` : `${p.phase} ${Math.floor((p.done * 100) / Math.max(1, p.total))}`;
    if (!finished && key === last && (p.total !== undefined || now - lastAt < 100)) return;
    if (finished && key === last && lastFinished) return;
    last = key;
    lastAt = now;
    lastFinished = finished;
    const line = formatProgress(p);
    if (tty) io.stderr.write(`\r${line}${finished ? ', done.\n' : ''}`);
    else if (finished) io.stderr.write(`${line}, done.\n`);
  };
}

const abbrev = (id: string | undefined): string => (id ? id.slice(0, 7) : '');

/** The store and its on-disk backend in one object, as the sync functions take them. */
export function fsStore(opened: { store: Store; backend: FsBackend }): Store & { backend: FsBackend } {
  return opened.store as Store & { backend: FsBackend };
}

export const fetch = defineCommand({
  name: 'fetch',
  summary: 'download the branches of a remote (origin) as REMOTE/BRANCH',
  usage: '[REMOTE] [--progress] [-q]',
  help: `Downloads what the remote (default "origin"; see "nymote store remote") has on its
branches and records each as the remote-tracking ref refs/remotes/REMOTE/BRANCH.
Local branches do not change: "nymote store pull" merges. Prints one line per
ref that moved, as git does; nothing when everything was up to date.

The remote may be an http:// or https:// URL of any Git server (protocol v2
where offered, else v0) or the path of a repository on this machine. The pack
received is checked completely before anything is stored: a damaged or
truncated transfer leaves the repository as it was.

options:
${PROGRESS_HELP}

example:
  $ nymote store fetch
   * [new branch]      phone      -> origin/phone
     1a2b3c4..5d6e7f8  main       -> origin/main`,
  options: PROGRESS_OPTIONS,
  args: ['[REMOTE]'],
  async run([remote = 'origin'], options, context: StoreContext) {
    const store = fsStore(await context.open());
    const onProgress = progressReporter(context.io, options);
    const r = await fetchRemote(store, remote, { ...(onProgress ? { onProgress } : {}) });
    for (const u of r.updated) {
      if (u.name.startsWith('refs/tags/')) {
        const tag = u.name.slice('refs/tags/'.length);
        context.io.stdout.write(`${' * [new tag]'.padEnd(20)} ${tag.padEnd(10)} -> ${tag}\n`);
        continue;
      }
      const branch = u.name.slice(`refs/remotes/${remote}/`.length);
      const what = u.old === undefined ? ' * [new branch]     ' : `   ${abbrev(u.old)}..${abbrev(u.next)}`;
      context.io.stdout.write(`${what.padEnd(20)} ${branch.padEnd(10)} -> ${remote}/${branch}\n`);
    }
    return 0;
  },
});
