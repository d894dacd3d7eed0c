// watch across processes, gc, fsck: the long-running and maintenance verbs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { git, start, withStore, type Sandbox } from './helpers.js';

const looseFiles = (repo: string) =>
  readdirSync(join(repo, 'objects')).filter((d) => /^[0-9a-f]{2}$/.test(d)).flatMap((d) => readdirSync(join(repo, 'objects', d)).map((f) => join(d, f)));

/** Starts `nymote store watch ...`; resolves once it says it is watching. */
async function watcher(s: Sandbox, args: string[]) {
  const p = start(['store', '--repo', s.repo, 'watch', ...args], s.env);
  let out = '';
  let err = '';
  p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => p.on('close', resolve));
  await new Promise<void>((resolve, reject) => {
    p.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('watching')) resolve();
    });
    void exited.then((code) => reject(new Error(`watch exited ${code} before starting: ${err}`)));
  });
  return {
    /** Waits until stdout has `n` lines (or fails after 10 s). */
    async lines(n: number): Promise<string[]> {
      for (let waited = 0; out.split('\n').length - 1 < n; waited += 50) {
        if (waited > 10_000) throw new Error(`watch printed only:\n${out}\nstderr:\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return out.split('\n').slice(0, n);
    },
    async stop(signal: NodeJS.Signals): Promise<number | null> {
      p.kill(signal);
      return exited;
    },
    /** For `finally`: a failed test must not leave the process behind (it would hold the test run open). */
    kill(): void {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    },
  };
}

describe('watch, gc, fsck', { concurrency: true }, () => {
  test('watch in one process sees writes from others; SIGINT ends it with status 0', () => withStore(async (s) => {
    const w = await watcher(s, ['notes']);
    try {
      const c1 = await s.ok(['set', 'notes/a', 'hello']);
      await s.ok(['set', 'elsewhere', 'not watched']);
      const c2 = await s.ok(['set', 'notes/a', 'hello again']);
      const c3 = await s.ok(['rm', 'notes/a']);
      assert.deepEqual(await w.lines(3), [`${c1} added notes/a`, `${c2} changed notes/a`, `${c3} removed notes/a`]);
      // git's own writes count too.
      const c4 = git(s.repo, ['commit-tree', '-p', c3, '-m', 'by git', git(s.repo, ['rev-parse', `${c1}^{tree}`]).trim()]).trim();
      git(s.repo, ['update-ref', 'refs/heads/main', c4, c3]);
      assert.equal((await w.lines(4))[3], `${c4} added notes/a`);
      assert.equal(await w.stop('SIGINT'), 0);
    } finally {
      w.kill();
    }
  }));

  test('SIGTERM ends watch with status 0', () => withStore(async (s) => {
    const w = await watcher(s, ['--branch', 'side']);
    try {
      assert.equal(await w.stop('SIGTERM'), 0);
    } finally {
      w.kill();
    }
  }));

  test('gc packs the loose objects, then fsck and git fsck are clean', () => withStore(async (s) => {
    for (const k of ['a', 'b/c', 'b/d']) await s.ok(['set', k, `value of ${k}`]);
    await s.ok(['branch', 'create', 'side']);
    const loose = looseFiles(s.repo).length;
    assert.ok(loose >= 9, `loose objects before gc: ${loose}`);
    assert.equal(await s.ok(['gc']), `packed ${loose} objects, removed ${loose} loose files and 0 old packs`);
    assert.deepEqual(looseFiles(s.repo), []);
    assert.equal(await s.ok(['fsck']), `${loose} objects, 2 refs, no problems`);
    git(s.repo, ['fsck', '--strict']);
    assert.equal((await s.store(['get', 'b/d'])).out, 'value of b/d');
  }));

  test('fsck reports a missing object on its own line and exits 1', () => withStore(async (s) => {
    await s.ok(['set', 'k', 'doomed']);
    const blob = git(s.repo, ['rev-parse', 'main:k']).trim();
    unlinkSync(join(s.repo, 'objects', blob.slice(0, 2), blob.slice(2)));
    const r = await s.store(['fsck']);
    assert.equal(r.status, 1);
    assert.equal(r.out, `refs/heads/main: missing blob ${blob}\n`);
    assert.match(r.err, /1 problems in \d+ objects, 1 refs/);
  }));
});
