// Progress of a transfer as git words it, for a terminal: "Receiving objects:  45% (450/1000)".
import type { SyncProgress } from './transport.js';

const TITLES: Record<Exclude<SyncProgress['phase'], 'remote'>, string> = {
  counting: 'Counting objects',
  compressing: 'Compressing objects',
  writing: 'Writing objects',
  receiving: 'Receiving objects',
  resolving: 'Resolving deltas',
};

/** One progress line, without line ending; "remote: ..." for what the remote said. */
export function formatProgress(p: SyncProgress): string {
  if (p.phase === 'remote') return `remote: ${p.message}`;
  const title = TITLES[p.phase];
  if (p.total === undefined) return `${title}: ${p.done}`;
  const percent = p.total === 0 ? 100 : Math.floor((p.done * 100) / p.total);
  return `${title}: ${String(percent).padStart(3)}% (${p.done}/${p.total})`;
}
