import { spawnSync } from 'node:child_process';

/**
 * Flushes dirty pages to disk (`sync`) so that a write benchmark does not pay for the previous
 * contender's writeback. Best effort: skipped where there is no `sync` command.
 */
export function settleDisk(): void {
  spawnSync('sync', { stdio: 'ignore' });
}
