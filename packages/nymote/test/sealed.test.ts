// The sealed daemon: one bundled file, no node_modules, run under Node's permission model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cliEnv, freePorts } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const PASSWORD = 'correct horse battery';
const run = promisify(execFile);

test('the bundle runs with no node_modules; serve --sealed runs it under the permission model', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nymote-sealed-'));
  const env = cliEnv(dir);
  try {
    await run(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), join(dir, 'build')], { cwd: ROOT });
    // Alone in a directory of its own: there is nothing to resolve an import from.
    mkdirSync(join(dir, 'app'));
    const bundle = join(dir, 'app', 'nymote.mjs');
    copyFileSync(join(dir, 'build', 'nymote.mjs'), bundle);
    assert.ok(statSync(bundle).size > 500_000);
    const version = JSON.parse(readFileSync(join(ROOT, 'packages', 'nymote', 'package.json'), 'utf8')).version as string;
    assert.equal((await run(process.execPath, [bundle, '--version'], { cwd: join(dir, 'app'), env })).stdout, `nymote ${version}\n`);
    const data = join(dir, 'data');
    await new Promise<void>((resolve, reject) => {
      const p = execFile(process.execPath, [bundle, 'user', 'add', 'alice', '--data', data], { env }, (e) => (e ? reject(e) : resolve()));
      p.stdin!.end(`${PASSWORD}\n`);
    });

    const [port] = await freePorts(1);
    const off = ['imap', 'imaps', 'smtp', 'submission', 'submissions', 'https'].flatMap((s) => [`--${s}-port`, '0']);
    const launcher = spawn(process.execPath, [bundle, 'serve', '--sealed', '--data', data, '--http-port', String(port), ...off], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    launcher.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => launcher.on('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      launcher.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/^nymote: serving /m.test(out)) resolve();
      });
      void exited.then((code) => reject(new Error(`exited ${code}: ${out}${err}`)));
    });
    try {
      // The daemon is the launcher's child, started with the permission model's flags.
      const { pid } = JSON.parse(readFileSync(join(data, 'run', 'nymote.json'), 'utf8')) as { pid: number };
      assert.notEqual(pid, launcher.pid);
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      assert.ok(argv.includes('--experimental-permission'), argv.join(' '));
      assert.deepEqual(argv.filter((a) => a.startsWith('--allow-')).sort(), [`--allow-fs-read=${bundle}`, `--allow-fs-read=${data}`, `--allow-fs-write=${data}`].sort());
      const put = await fetch(`http://127.0.0.1:${port}/dav/addressbooks/alice/default/ann.vcf`, {
        method: 'PUT', body: 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:ann\r\nFN:Ann\r\nEND:VCARD\r\n',
        headers: { Authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}` },
      });
      assert.equal(put.status, 201, 'the sealed daemon writes its data directory');
    } finally {
      launcher.kill('SIGTERM');
      assert.equal(await exited, 0, err);
    }
    const log = (await run('git', ['--git-dir', join(data, 'store.git'), 'log', '-1', '--format=%s', 'users/alice'])).stdout;
    assert.equal(log, 'Add contact Ann to address book Contacts\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
