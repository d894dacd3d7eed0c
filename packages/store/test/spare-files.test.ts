// Spare files (spare-files.ts): small packs and ref locks written into files kept ready, merged packs and
// replaced refs kept as spares; git reads everything, locks stay exclusive, a shared inode is never written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SPARE_DIR, SpareFiles } from '../src/backend/fs/spare-files.js';
import { openStore } from '../src/node.js';
import { git, tempDir } from './helpers/git.js';

const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

/** Waits until `spares` has at least `n` ready (they are made in the background). */
async function ready(spares: SpareFiles, n: number): Promise<void> {
  for (let i = 0; i < 200 && spares.count < n; i++) {
    const s = spares.take(); // starts the top-up
    if (s !== undefined) spares.giveBack(s);
    await sleep(5);
  }
  assert.ok(spares.count >= n, `only ${spares.count} spares after a second`);
}

test('a service store writes its packs and ref locks into spares and keeps merged packs as spares; git reads it all', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const repo = join(dir, 'r.git');
    const store = await openStore(repo, { create: true, backend: { spareFiles: true, packThreshold: 1, autoPack: { packs: 4 } } });
    const commits = 120;
    for (let i = 0; i < commits; i++) {
      await store.set(`k/${i % 13}/${i}`, `value ${i}`, { message: `set ${i}` });
      if (i === 0) await sleep(50); // let the first spares be made
    }
    await store.close();
    const spareDir = join(repo, SPARE_DIR);
    assert.ok(readdirSync(spareDir).length > 0, 'spares are left for the next opening');
    const packDir = join(repo, 'objects', 'pack');
    assert.deepEqual(readdirSync(packDir).filter((n) => n.startsWith('tmp_')), [], 'no temp file left behind');
    for (const name of readdirSync(packDir).filter((n) => /\.(pack|idx)$/.test(n))) {
      assert.equal(statSync(join(packDir, name)).mode & 0o777, 0o444, `${name} is read-only, as git makes packs`);
    }
    assert.equal(statSync(join(repo, 'refs', 'heads', 'main')).size, 41, 'the ref holds one id, nothing of a spare\'s old bytes');
    git(['--git-dir', repo, 'fsck', '--strict', '--no-dangling']);
    assert.equal(git(['--git-dir', repo, 'rev-list', '--count', 'main']).trim(), String(commits));
    assert.equal(git(['--git-dir', repo, 'show', `main:k/${(commits - 1) % 13}/${commits - 1}`]), `value ${commits - 1}`);
    // A new opening adopts the spares left; everything reads back.
    const again = await openStore(repo, { backend: { spareFiles: true, packThreshold: 1 } });
    for (let i = 0; i < commits; i += 7) assert.equal(text(await again.get(`k/${i % 13}/${i}`)), `value ${i}`);
    await again.set('after', 'reopened');
    await again.close();
    assert.equal(git(['--git-dir', repo, 'show', 'main:after']), 'reopened');
    git(['--git-dir', repo, 'fsck', '--strict', '--no-dangling']);
  } finally {
    cleanup();
  }
});

test('a lock made from a spare is exclusive: a lock git holds is waited for and left as it is', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const repo = join(dir, 'r.git');
    const store = await openStore(repo, { create: true, backend: { spareFiles: true, lockTimeoutMs: 200, staleLockMs: 60_000 } });
    await store.set('a', '1');
    await sleep(50);
    const lock = join(repo, 'refs', 'heads', 'main.lock');
    writeFileSync(lock, 'held by git\n');
    await assert.rejects(store.set('a', '2'), (e: Error & { code?: string }) => e.code === 'lock-timeout');
    assert.equal(readFileSync(lock, 'utf8'), 'held by git\n');
    assert.equal(statSync(lock).nlink, 1, 'no spare was linked to the lock another process holds');
    git(['--git-dir', repo, 'update-ref', '-d', 'refs/heads/nothing']); // git works beside us
    unlinkSync(lock);
    await store.set('a', '3');
    assert.equal(text(await store.get('a')), '3');
    await store.close();
    git(['--git-dir', repo, 'fsck', '--strict']);
  } finally {
    cleanup();
  }
});

test('a spare that shares its inode with another name is dropped, never written; a recycled file is rewritten and cut', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const target = join(dir, 'ref');
    writeFileSync(target, 'live value\n');
    const spares = new SpareFiles(join(dir, 'spares'), { keep: 2 });
    // Linked before a rename over the target that then did not happen: two links, so not handed out.
    const kept = spares.keepPrevious(target);
    assert.ok(kept !== undefined);
    assert.equal(spares.count, 1);
    const got = spares.take();
    assert.equal(got, undefined, 'no spare: the only one is still the live file');
    assert.equal(readFileSync(target, 'utf8'), 'live value\n');
    assert.equal(statSync(target).nlink, 1, 'its spare name is gone');

    // A file given up (a merged pack, read-only) becomes a writable spare; filling it replaces all its bytes.
    const old = join(dir, 'old.pack');
    writeFileSync(old, 'x'.repeat(1000), { mode: 0o444 });
    assert.equal(spares.recycle(old, 1000), true);
    const spare = spares.take();
    assert.ok(spare !== undefined);
    SpareFiles.fill(spare, new TextEncoder().encode('short'), 0o444);
    assert.equal(readFileSync(spare.path, 'utf8'), 'short');
    assert.equal(statSync(spare.path).mode & 0o777, 0o444);
    // Too big to keep: the caller deletes it.
    writeFileSync(old, 'y');
    assert.equal(spares.recycle(old, 2 << 20), false);

    // Made in the background up to `keep`, then linked as a lock: exclusive, like O_EXCL.
    await ready(spares, 2);
    const lockPath = join(dir, 'x.lock');
    const lock = spares.linkAs(lockPath);
    assert.ok(lock !== undefined);
    assert.equal(statSync(lockPath).nlink, 1);
    assert.ok(Date.now() - statSync(lockPath).mtimeMs < 5_000, 'a fresh lock looks fresh to a stale-lock check');
    const before = spares.count;
    assert.throws(() => spares.linkAs(lockPath), (e: NodeJS.ErrnoException) => e.code === 'EEXIST');
    assert.equal(spares.count, before, 'the spare tried is kept');
    closeSync(lock.fd);
    await spares.close();
  } finally {
    cleanup();
  }
});
