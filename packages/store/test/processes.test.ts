// Several real processes on one on-disk repository: atomic test-and-set, and crash safety under SIGKILL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { initRepository } from '../src/node.js';
import { git, tempDir } from './helpers/git.js';

const fixture = (name: string) => join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures', name);

function run(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [fixture(script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${script} exited ${code}: ${err}`))));
  });
}

test('four processes doing 250 test-and-set increments each end at exactly 1000', () => countTogether([]));

test('the same with every replaced ref file reused as a lock at once (no rest)', () => countTogether(['0']));

async function countTogether(extra: string[]): Promise<void> {
  const { dir, cleanup } = tempDir();
  try {
    const b = await initRepository(dir);
    await b.close();
    const outs = await Promise.all([0, 1, 2, 3].map(() => run('counter-worker.js', [dir, '250', ...extra])));
    assert.equal(git(['--git-dir', dir, 'show', 'main:counter']).trim(), '1000');
    assert.equal(git(['--git-dir', dir, 'rev-list', '--count', 'main']).trim(), '1000');
    const retries = outs.reduce((n, o) => n + (JSON.parse(o) as { retries: number }).retries, 0);
    assert.ok(retries >= 0);
    git(['--git-dir', dir, 'fsck', '--strict']);
  } finally {
    cleanup();
  }
}

test('SIGKILL while writes are published late (a journal) loses no returned commit; git fsck is clean', () => killWhileWriting(600, 'lagged'));

async function killWhileWriting(commits: number, mode: 'one' | 'group' | 'lagged', spareRestMs?: string): Promise<void> {
  const { dir, cleanup } = tempDir();
  try {
    const b = await initRepository(dir);
    await b.close();
    const returned = new Map<number, string>();
    let next = 0;
    let kills = 0;
    while (next < commits) {
      const p = spawn(process.execPath, [fixture('crash-writer.js'), dir, String(next), String(commits), mode, ...(spareRestMs === undefined ? [] : [spareRestMs])], { stdio: ['ignore', 'pipe', 'inherit'] });
      let buf = '';
      // Killed a random moment after its first commit returned: while it writes, not while node starts
      // (a kill timed from the spawn missed a fast writer often enough to leave too few kills).
      let killer: NodeJS.Timeout | undefined;
      p.stdout.on('data', (d: Buffer) => {
        killer ??= setTimeout(() => { kills++; p.kill('SIGKILL'); }, Math.random() * 40);
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const [i, id] = buf.slice(0, nl).split(' ');
          returned.set(Number(i), id!);
          buf = buf.slice(nl + 1);
        }
      });
      await new Promise((r) => p.on('exit', r));
      clearTimeout(killer);
      // Resume after the last commit the branch really has (a killed write may or may not have landed).
      // A kill before the first commit leaves no main branch yet: start again from 0.
      const hasMain = git(['--git-dir', dir, 'for-each-ref', '--format=%(refname)', 'refs/heads/main']).trim() !== '';
      const tip = hasMain ? git(['--git-dir', dir, 'log', '-1', '--format=%s', 'main']).trim() : '';
      next = tip.startsWith('commit ') ? Number(tip.slice(7)) + 1 : 0;
    }
    assert.ok(kills >= 3, `only ${kills} kills: the writer was too fast for this test to mean much`);
    const onBranch = new Set(git(['--git-dir', dir, 'rev-list', 'main']).trim().split('\n'));
    for (const [i, id] of returned) assert.ok(onBranch.has(id), `commit ${i} (${id}) returned but is not on main`);
    git(['--git-dir', dir, 'fsck', '--strict', '--no-dangling']);
    if (mode === 'lagged') {
      // Every killed writer's journal was published by the next one, and the last one's on close.
      const journals = join(dir, 'nymote-journal');
      assert.deepEqual(existsSync(journals) ? readdirSync(journals) : [], []);
    }
    // The group mode wrote packs and merged them, or it did not test what it says.
    if (mode !== 'one') assert.ok(readdirSync(join(dir, 'objects', 'pack')).some((n) => n.endsWith('.pack')), 'no pack written');
  } finally {
    cleanup();
  }
}

test('SIGKILL at random moments during 1000 commits loses no returned commit and leaves git fsck clean', () => killWhileWriting(1000, 'one'));

test('SIGKILL during group commits (packs) and merges of packs loses no returned commit; git fsck is clean', () => killWhileWriting(800, 'group'));

test('SIGKILL while ref files are reused as locks at once loses no returned commit; git fsck is clean', () => killWhileWriting(600, 'one', '0'));
