// The empty files a busy writer keeps ready for its packs (fresh-files.ts): packs written into them
// are whole, read-only and read by git; the files are made beside the event loop, on the merge thread
// or on the thread pool; closing removes the ones not used; a process writing a few packs makes none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { FreshFiles } from '../src/backend/fs/fresh-files.js';
import { stopMergeThread } from '../src/backend/fs/merge-thread.js';
import { FRESH_PREFIX, PackSet, TEMP_DIR } from '../src/backend/fs/packs.js';
import { initRepository, openRepository } from '../src/backend/fs/index.js';
import { git, tempDir } from './helpers/git.js';

const text = new TextEncoder();
const openSet = (packDir: string) => new PackSet(packDir, { readExternal: async () => undefined, onWarning: () => {} });
const ready = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []).filter((n) => n.startsWith(FRESH_PREFIX));
const packs = (packDir: string) => readdirSync(packDir).filter((n) => n.endsWith('.pack'));

/** A batch of `n` small blobs, distinct per `tag`. */
function batch(tag: string, n = 4): { type: 'blob'; body: Uint8Array }[] {
  return Array.from({ length: n }, (_, i) => ({ type: 'blob' as const, body: text.encode(`${tag} value ${i}\n`) }));
}

/** Waits until `check` holds, for at most two seconds (the pool fills on another thread). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), what);
}

test('a busy writer gets files made ahead beside the pack directory; packs linked from them are whole, read-only and read by git', async () => {
  const { dir, cleanup } = tempDir();
  try {
    git(['init', '-q', '--bare', dir]);
    const packDir = join(dir, 'objects', 'pack');
    const tempDir = join(dir, 'objects', TEMP_DIR);
    const set = openSet(packDir);
    const written: { id: string; body: Uint8Array }[] = [];
    const write = (tag: string) => {
      const objects = batch(tag);
      set.writeSmall(objects.map((o) => ({ ...o, id: hashBlob(o.body) })));
      for (const o of objects) written.push({ id: hashBlob(o.body), body: o.body });
    };
    // A few packs: no pool yet (a command that commits once never starts one).
    for (let i = 0; i < 4; i++) write(`early ${i}`);
    assert.deepEqual(ready(tempDir), [], 'no files made for a writer of a few packs');
    for (let i = 0; i < 8; i++) write(`busy ${i}`);
    await until(() => ready(tempDir).length > 0, 'files made ahead once the writer is busy');
    assert.deepEqual(ready(packDir), [], 'none made in the pack directory');
    const made = new Set<number>();
    for (const name of ready(tempDir)) {
      const st = statSync(join(tempDir, name));
      assert.equal(st.size, 0);
      assert.equal(st.mode & 0o777, 0o444, 'made read-only, as packs are');
      made.add(st.ino);
    }
    // The files are on disk before the pool has them in hand (the answer of the thread that made them
    // comes in a later turn of the event loop): one pack a turn until one of them is used.
    const linked = () => readdirSync(packDir).some((n) => made.has(statSync(join(packDir, n)).ino));
    for (let i = 0; i < 100 && !linked(); i++) {
      write(`pooled ${i}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(linked(), 'packs were written into files made ahead');
    for (const p of packs(packDir)) assert.equal(statSync(join(packDir, p)).mode & 0o777, 0o444);
    // git finds every object, and its checks pass with the pool's directory beside the packs.
    for (const p of packs(packDir)) git(['--git-dir', dir, 'verify-pack', join(packDir, p.replace(/\.pack$/, '.idx'))]);
    for (const w of written) assert.equal(git(['--git-dir', dir, 'cat-file', 'blob', w.id]), new TextDecoder().decode(w.body));
    git(['--git-dir', dir, 'fsck', '--strict', '--no-dangling']);
    assert.match(git(['--git-dir', dir, 'count-objects', '-v']), /^garbage: 0$/m);
    for (const w of written) assert.ok(set.has(w.id));
    await set.close();
    assert.deepEqual(readdirSync(tempDir), [], 'close() removes the files not used, and the temp names of those used');
    for (const n of readdirSync(packDir)) assert.equal(statSync(join(packDir, n)).nlink, 1, `${n} has one name`);
  } finally {
    cleanup();
  }
});

test('files made on the merge thread and closed here draw no warning from Node, batch after batch', async () => {
  // Node tracks the descriptors a worker opens, warns when one it still counts is opened again and
  // closes them all when the worker exits: with pack descriptors closed on this thread, that was a
  // warning on stderr for nearly every file of every batch after the first.
  const { dir, cleanup } = tempDir();
  const said: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    said.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    git(['init', '-q', '--bare', dir]);
    const packDir = join(dir, 'objects', 'pack');
    const set = openSet(packDir);
    for (let i = 0; i < 80; i++) {
      const objects = batch(`warned ${i}`);
      set.writeSmall(objects.map((o) => ({ ...o, id: hashBlob(o.body) })));
      await new Promise((r) => setTimeout(r, 5));
    }
    await set.close();
    // The thread's stderr reaches this one's through a message: give it the time to arrive.
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(packs(packDir).length === 80, 'every batch written');
    assert.deepEqual(said.filter((s) => /unmanaged mode|File descriptor/.test(s)), []);
  } finally {
    process.stderr.write = write;
    cleanup();
  }
});

test('without the merge thread the files are made on the thread pool, and closing removes what was not taken', async () => {
  const { dir, cleanup } = tempDir();
  try {
    mkdirSync(dir, { recursive: true });
    await stopMergeThread();
    const pool = new FreshFiles(dir, FRESH_PREFIX);
    const taken: string[] = [];
    for (let i = 0; i < 64 && taken.length === 0; i++) {
      const f = pool.take();
      if (f) taken.push(f.path);
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(taken.length, 1, 'the pool gave a file');
    const left = ready(dir);
    assert.ok(left.length > 0);
    await pool.close();
    assert.deepEqual(ready(dir).filter((n) => !taken.some((t) => t.endsWith(n))), [], 'close() removes what was not taken');
    rmSync(taken[0]!);
  } finally {
    cleanup();
  }
});

test('a store whose pack directory is gone still writes: the pool fails quietly and the write path makes its own files', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const backend = await initRepository(dir, { autoPack: false });
    try {
      const packDir = join(dir, 'objects', 'pack');
      for (let i = 0; i < 12; i++) await backend.objects.writeBatch(batch(`a ${i}`, 20));
      // The pool may be making files in it meanwhile: removed once it is not.
      for (let i = 0; ; i++) {
        try {
          rmSync(packDir, { recursive: true, force: true });
          break;
        } catch (e) {
          if ((e as { code?: string }).code !== 'ENOTEMPTY' || i > 100) throw e;
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      for (let i = 0; i < 12; i++) await backend.objects.writeBatch(batch(`b ${i}`, 20));
      assert.ok(packs(packDir).length > 0);
      for (const o of batch('b 11', 20)) assert.ok(await backend.objects.read(hashBlob(o.body)));
    } finally {
      await backend.close();
    }
  } finally {
    cleanup();
  }
});

test('gc removes files of a pool a killed process left behind, once old', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const backend = await initRepository(dir, {});
    const packDir = join(dir, 'objects', 'pack');
    for (let i = 0; i < 12; i++) await backend.objects.writeBatch(batch(`c ${i}`, 20));
    await backend.close();
    // In the pack directory (where earlier versions made them) and in the temp directory.
    const tempDir = join(dir, 'objects', TEMP_DIR);
    const leftovers = [join(packDir, `${FRESH_PREFIX}12345_deadbeef0`), join(tempDir, `${FRESH_PREFIX}12345_deadbeef1`)];
    const recent = join(tempDir, `${FRESH_PREFIX}12345_deadbeef2`);
    mkdirSync(tempDir, { recursive: true });
    for (const f of [...leftovers, recent]) closeSync(openSync(f, 'wx', 0o444));
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    for (const f of leftovers) utimesSync(f, old, old);
    const again = await openRepository(dir, {});
    try {
      await again.gc();
      assert.ok(!readdirSync(packDir).includes(`${FRESH_PREFIX}12345_deadbeef0`));
      assert.deepEqual(readdirSync(tempDir), [`${FRESH_PREFIX}12345_deadbeef2`], 'the old one goes, the recent one (a live pool\'s) stays');
    } finally {
      await again.close();
    }
  } finally {
    cleanup();
  }
});

/** The id git gives a blob of `body`. */
function hashBlob(body: Uint8Array): string {
  return createHash('sha1').update(`blob ${body.length}\0`).update(body).digest('hex');
}
