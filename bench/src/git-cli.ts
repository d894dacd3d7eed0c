import { spawn } from 'node:child_process';

/** An environment that keeps the user's and the system's git configuration out of the measurements. */
const GIT_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  LC_ALL: 'C',
};

export interface GitRun {
  /** Wall-clock time from spawning git to its exit, process startup included. */
  ms: number;
  stdout: Buffer;
}

/** Runs `git -c gc.auto=0 [--git-dir=gitDir] ...args`, feeding `input` on stdin; rejects on a non-zero exit. */
export function git(args: readonly string[], options: { gitDir?: string; input?: Uint8Array } = {}): Promise<GitRun> {
  const full = ['-c', 'gc.auto=0', ...(options.gitDir ? [`--git-dir=${options.gitDir}`] : []), ...args];
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn('git', full, { env: GIT_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) reject(new Error(`git ${full.join(' ')} exited with ${code}: ${Buffer.concat(err).toString().trim()}`));
      else resolve({ ms, stdout: Buffer.concat(out) });
    });
    child.stdin.on('error', () => {}); // git may exit before reading everything; 'close' reports it
    child.stdin.end(options.input ?? new Uint8Array(0));
  });
}

/** Non-empty lines of a git output. */
export function lines(stdout: Buffer): string[] {
  return stdout.toString('utf8').split('\n').filter((l) => l !== '');
}

export async function gitVersion(): Promise<string> {
  return (await git(['--version'])).stdout.toString().trim().replace(/^git version /, '');
}

/** Creates an empty bare repository whose HEAD is refs/heads/main. */
export async function gitInitBare(dir: string): Promise<void> {
  await git(['init', '--bare', '--quiet', '--initial-branch=main', dir]);
}
