// `nymote serve --sealed`: the daemon re-run under Node's permission model, reading only its own
// program files and the data directory, writing only the data directory, and unable to start
// processes or workers. This process stays as a launcher that passes signals on.
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isBundled } from '../version.js';

/** Whether this process already runs under the permission model. */
export function isSealed(): boolean {
  return (process as { permission?: unknown }).permission !== undefined;
}

/**
 * What the sealed daemon may read besides its data: a bundle is one file; an installed checkout is
 * the directory holding its node_modules (the program and its dependencies, nothing else).
 */
export function programFiles(entry: string): string {
  const real = realpathSync(entry);
  if (isBundled()) return real;
  let dir = dirname(real);
  while (dir !== dirname(dir) && !existsSync(join(dir, 'node_modules'))) dir = dirname(dir);
  return dir;
}

/** Runs `argv` (without --sealed) in a sealed child; resolves with its exit status. */
export function runSealed(entry: string, argv: readonly string[], dataDir: string): Promise<number> {
  const read = programFiles(entry);
  const child = spawn(process.execPath, [
    // Node flags given to the launcher (e.g. --max-semi-space-size) apply to the daemon.
    ...process.execArgv.filter((a) => !a.startsWith('--allow-') && a !== '--experimental-permission'),
    '--experimental-permission', '--no-warnings=ExperimentalWarning',
    `--allow-fs-read=${read}`, `--allow-fs-read=${dataDir}`, `--allow-fs-write=${dataDir}`,
    entry, ...argv,
  ], { stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  return new Promise((resolve) => child.on('exit', (code, signal) => {
    for (const [s, h] of handlers) process.off(s, h);
    resolve(code ?? (signal ? 128 : 1));
  }));
}
