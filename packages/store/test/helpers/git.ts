// Test helpers that drive the real git binary and make throwaway directories.
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.org',
  GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.org',
  GIT_CONFIG_NOSYSTEM: '1', HOME: tmpdir(), GIT_TERMINAL_PROMPT: '0',
};

/** Runs git and returns its stdout as a string; throws with git's stderr when it fails. */
export function git(args: string[], options: { cwd?: string; input?: string | Uint8Array } = {}): string {
  return gitBytes(args, options).toString('utf8');
}

export function gitBytes(args: string[], options: { cwd?: string; input?: string | Uint8Array } = {}): Buffer {
  const opts: ExecFileSyncOptions = { cwd: options.cwd, env: GIT_ENV, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 30 };
  if (options.input !== undefined) opts.input = options.input;
  try {
    return execFileSync('git', args, opts) as Buffer;
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`git ${args.join(' ')} failed: ${err.stderr?.toString() ?? err.message}`);
  }
}

/** A fresh temporary directory, removed by the returned cleanup function. */
export function tempDir(prefix = 'nymote-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
