// Merging packs by concatenation, on the merge thread and on the event loop: git verifies the result,
// deltas of every kind survive the move, and what cannot be concatenated (an object twice, a damaged
// pack, a thread killed mid-merge) leaves everything as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, readdirSync, readSync, writeSync, closeSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { concatenatePacks } from '../src/backend/fs/concat-packs.js';
import { mergeThreadJobs, stopMergeThread } from '../src/backend/fs/merge-thread.js';
import { FRESH_PREFIX, PackSet, deletePackFiles, type PackFile } from '../src/backend/fs/packs.js';
import { git, tempDir } from './helpers/git.js';

const openSet = (packDir: string) => new PackSet(packDir, { readExternal: async () => undefined, onWarning: () => {} });
const text = new TextEncoder();
// Without the empty files kept ready for the write path, which come and go on their own (fresh-files.ts).
const packFiles = (packDir: string) => readdirSync(packDir).filter((n) => !n.startsWith(FRESH_PREFIX)).sort();

/** Versions of one 4 KB text, each differing in one line: successive ones become deltas in a write-path pack. */
function versions(tag: string, n: number): { type: 'blob'; body: Uint8Array; name: string }[] {
  return Array.from({ length: n }, (_, v) => ({
    type: 'blob' as const, name: `doc-${tag}`,
    body: text.encode(Array.from({ length: 60 }, (_, i) => `${tag} line ${i} of a text long enough to deltify, ${i === v % 60 ? `version ${v}` : 'stable'}\n`).join('')),
  }));
}

for (const thread of [true, false]) {
  const where = thread ? ' (merge thread)' : ' (event loop)';

  test(`concatenated packs (ours with OFS deltas, and git's from gc --aggressive) verify with git and read back${where}`, async () => {
    const { dir, cleanup } = tempDir();
    try {
      // A repository git made and packed with deltas, then two packs of ours written into it.
      git(['init', '-q', '--bare', dir]);
      const work = join(dir, 'work');
      git(['init', '-q', work]);
      for (let i = 0; i < 30; i++) {
        git(['-C', work, 'commit', '-q', '--allow-empty', '-m', `commit ${i}\n\n${'a body line that repeats\n'.repeat(40)}${i}`]);
      }
      git(['-C', work, 'push', '-q', dir, 'HEAD:refs/heads/main']);
      git(['--git-dir', dir, 'gc', '-q', '--aggressive']);
      const packDir = join(dir, 'objects', 'pack');
      const set = openSet(packDir);
      await set.rescan();
      const [gits] = set.files;
      assert.ok(gits);
      const a = set.writeSmall(versions('a', 20));
      const b = set.writeSmall(versions('b', 25));
      assert.match(git(['verify-pack', '-v', a.path.replace(/\.pack$/, '.idx')]), /chain length = 1: /);
      const chosen: PackFile[] = [a, gits, b];
      const expected = new Map<string, Uint8Array>();
      for (const p of chosen) for (const id of p.index.ids()) expected.set(id, (await p.read(id))!.body);

      const jobs = mergeThreadJobs();
      const joined = await concatenatePacks(set, chosen, false, { thread });
      assert.ok(joined.pack, 'reason' in joined ? joined.reason : '');
      assert.equal(mergeThreadJobs(), jobs + (thread ? 1 : 0), 'the merge ran where it was asked to');
      assert.equal(joined.count, expected.size);
      const idx = joined.pack.path.replace(/\.pack$/, '.idx');
      const verified = git(['verify-pack', '-v', idx]);
      assert.match(verified, /chain length = 1: /, 'deltas are still deltas');
      assert.equal(verified.split('\n').filter((l) => /^[0-9a-f]{40} /.test(l)).length, expected.size);
      for (const [id, body] of expected) assert.deepEqual((await joined.pack.read(id))!.body, body, id);
      // The old packs go, and git finds everything in the new one.
      await set.close();
      for (const p of chosen) await deletePackFiles(p);
      assert.equal(packFiles(packDir).filter((n) => n.endsWith('.pack')).length, 1);
      git(['--git-dir', dir, 'fsck', '--strict', '--no-dangling']);
      assert.equal(git(['--git-dir', dir, 'cat-file', '--batch-check'], { input: [...expected.keys()].join('\n') + '\n' }).split('\n').filter((l) => l.endsWith(' missing')).length, 0);
    } finally {
      cleanup();
    }
  });

  test(`an object in two of the packs: no concatenation, nothing written${where}`, async () => {
    const { dir, cleanup } = tempDir();
    try {
      const packDir = join(dir, 'objects', 'pack');
      mkdirSync(packDir, { recursive: true });
      const set = openSet(packDir);
      const shared = versions('s', 17);
      const a = set.writeSmall(shared.slice(0, 17));
      const b = set.writeSmall([...versions('t', 16), shared[3]!]);
      const before = packFiles(packDir);
      const joined = await concatenatePacks(set, [a, b], false, { thread });
      assert.equal(joined.pack, undefined);
      assert.ok(!joined.pack && joined.duplicate && /more than one of the packs/.test(joined.reason));
      assert.deepEqual(packFiles(packDir), before);
      await set.close();
    } finally {
      cleanup();
    }
  });

  test(`a damaged pack fails the concatenation naming its file, and leaves no file behind${where}`, async () => {
    const { dir, cleanup } = tempDir();
    try {
      const packDir = join(dir, 'objects', 'pack');
      mkdirSync(packDir, { recursive: true });
      const set = openSet(packDir);
      const a = set.writeSmall(versions('a', 18));
      const b = set.writeSmall(versions('b', 18));
      // One byte in the middle of b's entries flipped.
      const fd = openSync(b.path, 'r+');
      const one = Buffer.alloc(1);
      readSync(fd, one, 0, 1, 400);
      one[0] = one[0]! ^ 0xff;
      writeSync(fd, one, 0, 1, 400);
      closeSync(fd);
      const before = packFiles(packDir);
      await assert.rejects(concatenatePacks(set, [a, b], false, { thread }), (e: Error) => e.message.includes(b.path) && /hash/.test(e.message));
      assert.deepEqual(packFiles(packDir), before);
      await set.close();
    } finally {
      cleanup();
    }
  });
}

test('a merge thread that dies with a merge pending fails that merge, leaves the packs as they were, and the next merge starts another', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const packDir = join(dir, 'objects', 'pack');
    mkdirSync(packDir, { recursive: true });
    const set = openSet(packDir);
    const packs = Array.from({ length: 6 }, (_, k) => set.writeSmall(versions(`p${k}`, 40)));
    const before = packFiles(packDir);
    // The merge goes to a thread started for it and stopped at once, still loading its modules: a
    // thread already running could finish so small a merge before it stops.
    await stopMergeThread();
    const merging = concatenatePacks(set, packs, false, { thread: true });
    await stopMergeThread();
    await assert.rejects(merging, /merge thread failed/);
    assert.deepEqual(packFiles(packDir), before, 'no temp file left, no pack removed');
    const jobs = mergeThreadJobs();
    const joined = await concatenatePacks(set, packs, false, { thread: true });
    assert.ok(joined.pack);
    assert.equal(mergeThreadJobs(), jobs + 1);
    assert.equal(joined.count, packs.reduce((n, p) => n + p.index.count, 0));
    await set.close();
  } finally {
    cleanup();
  }
});
