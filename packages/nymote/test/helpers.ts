// Test helpers: run the compiled `nymote` and the real git in throwaway directories.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The built CLI: dist/test/helpers.js → dist/src/main.js. */
export const CLI = fileURLToPath(new URL('../src/main.js', import.meta.url));

export interface Result {
  status: number | null;
  stdout: Buffer;
  /** stdout as UTF-8. */
  out: string;
  err: string;
}

/** A clean environment: no user settings leak in, and HOME is a throwaway directory. */
export function cliEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, NYMOTE_AUTHOR: 'Test <test@example.org>', ...extra };
  for (const k of ['NYMOTE_DATA', 'XDG_DATA_HOME', 'NYMOTE_DEBUG']) if (!(k in extra)) delete env[k];
  return env;
}

export function start(args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs `nymote args` to completion, with `input` on stdin. */
export function nymote(args: readonly string[], options: { env: NodeJS.ProcessEnv; input?: string | Uint8Array }): Promise<Result> {
  return new Promise((resolve, reject) => {
    const p = start(args, options.env);
    const out: Buffer[] = [];
    let err = '';
    p.stdout!.on('data', (d: Buffer) => out.push(d));
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (status) => {
      const stdout = Buffer.concat(out);
      resolve({ status, stdout, out: stdout.toString('utf8'), err });
    });
    p.stdin!.on('error', () => {}); // a command that does not read stdin may exit before we finish writing
    p.stdin!.end(options.input ?? '');
  });
}

/** A server command started by a test: what its first stdout line said, and how to stop it. */
export interface Running {
  /** The match of `banner` on its stdout. */
  banner: RegExpExecArray;
  process: ChildProcess;
  stderr(): string;
  /** Sends `signal`; resolves with the exit status. */
  stop(signal: NodeJS.Signals): Promise<number | null>;
  /** SIGKILL, if it still runs (for finally blocks). */
  kill(): void;
}

/** Starts a serving command (`nymote store serve`, `nymote dav serve`) and waits for `banner` on its stdout. */
export async function startServing(args: readonly string[], env: NodeJS.ProcessEnv, banner: RegExp): Promise<Running> {
  const p = start(args, env);
  let out = '';
  let err = '';
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => p.on('close', resolve));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = banner.exec(out);
      if (m) resolve(m);
    });
    void exited.then((code) => reject(new Error(`${args.join(' ')} exited ${code} before listening: ${out}${err}`)));
  });
  return {
    banner: match,
    process: p,
    stderr: () => err,
    async stop(signal) {
      p.kill(signal);
      return exited;
    },
    kill() {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    },
  };
}

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'Git', GIT_AUTHOR_EMAIL: 'git@example.org', GIT_COMMITTER_NAME: 'Git', GIT_COMMITTER_EMAIL: 'git@example.org',
};

/** The real git in a work tree (or wherever `cwd` is); returns stdout, throws with git's stderr. */
export function gitIn(cwd: string, args: readonly string[]): string {
  try {
    return execFileSync('git', args, { cwd, env: GIT_ENV, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`git ${args.join(' ')} (in ${cwd}) failed: ${err.stderr?.toString() ?? err.message}`);
  }
}

/** The real git on a bare repository; returns stdout, throws with git's stderr. */
export function gitBytes(repo: string, args: readonly string[]): Buffer {
  try {
    return execFileSync('git', ['--git-dir', repo, ...args], { env: GIT_ENV, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`git ${args.join(' ')} failed: ${err.stderr?.toString() ?? err.message}`);
  }
}

export function git(repo: string, args: readonly string[]): string {
  return gitBytes(repo, args).toString('utf8');
}

/**
 * A throwaway directory with a store at dir/store.git, and `store(...)` running
 * `nymote store --repo dir/store.git ...` in a clean environment.
 */
export interface Sandbox {
  dir: string;
  repo: string;
  env: NodeJS.ProcessEnv;
  store(args: readonly string[], input?: string | Uint8Array): Promise<Result>;
  /** Like store, but fails the test unless the status is 0; returns stdout trimmed. */
  ok(args: readonly string[], input?: string | Uint8Array): Promise<string>;
  cleanup(): void;
}

export function sandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'nymote-cli-'));
  const repo = join(dir, 'store.git');
  const env = cliEnv(dir);
  const store = (args: readonly string[], input?: string | Uint8Array) =>
    nymote(['store', '--repo', repo, ...args], input === undefined ? { env } : { env, input });
  return {
    dir, repo, env, store,
    async ok(args, input) {
      const r = await store(args, input);
      if (r.status !== 0) throw new Error(`nymote store ${args.join(' ')} exited ${r.status}: ${r.err}`);
      return r.out.trim();
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs `body` in a fresh sandbox with an initialized store, and removes it afterwards. */
export async function withStore(body: (s: Sandbox) => Promise<void>): Promise<void> {
  const s = sandbox();
  try {
    await s.ok(['init']);
    await body(s);
  } finally {
    s.cleanup();
  }
}

/** Ports free on 127.0.0.1 right now (for servers whose 0 means "off", not "any"). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<NetServer>((resolve) => {
    const s = createNetServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
