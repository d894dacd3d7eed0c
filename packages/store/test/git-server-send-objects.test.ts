// objectsToSend against `git rev-list --objects`, and buildPack against `git index-pack`/`verify-pack`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { git, tempDir } from './helpers/git.js';
import { openStore, nodeZlib } from '../src/node.js';
import { nodeSha1 } from '../src/backend/fs/hash.js';
import { buildPack, objectsToSend } from '../src/sync/send-objects.js';
import type { Store } from '../src/store.js';
import type { ObjectId } from '../src/git/id.js';

/** Stores `pack` in a new bare repository at `dir` with git index-pack; git verify-pack's report. */
function indexWithGit(dir: string, pack: Uint8Array): string {
  git(['init', '--bare', '-q', dir]);
  git(['index-pack', '--stdin'], { cwd: dir, input: pack });
  const packDir = join(dir, 'objects', 'pack');
  const idx = readdirSync(packDir).find((f) => f.endsWith('.idx'))!;
  const verify = git(['verify-pack', '-v', join(packDir, idx)]);
  assert.match(verify, /: ok/);
  return verify;
}

/** The objects `git rev-list --objects` lists for these arguments, as a sorted id list. */
function revList(repo: string, args: string[]): string[] {
  const out = git(['rev-list', '--objects', ...args], { cwd: repo });
  return out.split('\n').filter(Boolean).map((l) => l.slice(0, 40)).sort();
}

describe('objectsToSend and buildPack', () => {
  let store: Store;
  let dir: string;
  let cleanup: () => void;
  const heads: Record<string, ObjectId> = {};
  let first: ObjectId;
  let mid: ObjectId;

  before(async () => {
    ({ dir, cleanup } = tempDir());
    let t = 1_700_000_000_000;
    store = await openStore(dir, { create: true, clock: () => (t += 1000) });
    first = await store.set('a/b/c.txt', 'one\n');
    await store.set('a/d.txt', 'two\n'.repeat(50));
    await store.set('e.txt', 'three\n');
    mid = await store.set('a/b/c.txt', 'one changed\n'.repeat(20));
    await store.createBranch('side');
    await store.set('side/only.txt', 'side\n', { branch: 'side' });
    heads.side = await store.set('a/d.txt', 'two\n'.repeat(50) + 'more\n', { branch: 'side' });
    await store.set('f.txt', 'main again\n');
    heads.main = (await store.merge('side')).ok ? (await store.head('main'))! : '';
    heads.main = await store.set('g/h/i.txt', 'deep\n');
    // A blob equal to one the peer already has, under a new path: must not be sent again.
    heads.main = await store.set('copy.txt', 'three\n');
  });
  after(async () => {
    await store.close();
    cleanup();
  });

  const cases: [string, () => ObjectId[], () => ObjectId[]][] = [
    ['a clone of main', () => [heads.main!], () => []],
    ['both branches', () => [heads.main!, heads.side!], () => []],
    ['main, having the first commit', () => [heads.main!], () => [first]],
    ['main, having a middle commit', () => [heads.main!], () => [mid]],
    ['main, having side', () => [heads.main!], () => [heads.side!]],
    ['side, having main (nothing)', () => [heads.side!], () => [heads.main!]],
    ['main, with an unknown have', () => [heads.main!], () => ['1234567890123456789012345678901234567890', mid]],
  ];
  for (const [name, wants, haves] of cases) {
    test(name, async () => {
      const list = await objectsToSend(store.objects, wants(), haves());
      const ids = list.map((o) => o.id!).sort();
      assert.equal(new Set(ids).size, ids.length, 'no object twice');
      const known = haves().filter((h) => !h.startsWith('1234'));
      assert.deepEqual(ids, revList(dir, [...wants(), ...known.map((h) => `^${h}`)]));
    });
  }

  test('path hints name where each tree and blob was found', async () => {
    const list = await objectsToSend(store.objects, [heads.main!], []);
    const names = new Set(list.filter((o) => o.type === 'blob').map((o) => o.name));
    assert.ok(names.has('a/b/c.txt'));
    assert.ok(names.has('g/h/i.txt'));
    assert.ok(list.some((o) => o.type === 'tree' && o.name === 'a/b'));
  });

  test('an annotated tag is sent with what it names', async () => {
    git(['-c', 'user.name=T', '-c', 'user.email=t@x', 'tag', '-a', '-m', 'v1', 'v1', heads.side!], { cwd: dir });
    const tag = git(['rev-parse', 'v1'], { cwd: dir }).trim();
    const list = await objectsToSend(store.objects, [tag], [mid]);
    assert.deepEqual(list.map((o) => o.id!).sort(), revList(dir, [tag, `^${mid}`]));
    assert.equal(list[0]!.type, 'tag');
  });

  test('a pack of more objects than one piece (streamed in pieces) is sound', async () => {
    const list = [];
    for (let i = 0; i < 9000; i++) {
      const body = new TextEncoder().encode(`line of file ${i % 7}\n`.repeat(20) + `version ${i}\n`);
      list.push({ type: 'blob' as const, body, name: `dir/file${i % 7}` });
    }
    // A duplicate must not be counted twice in the header.
    list.push({ ...list[5]! });
    const pack = await buildPack(list, { zlib: nodeZlib, sha1: nodeSha1, deltas: true });
    const target = tempDir();
    try {
      const verify = indexWithGit(target.dir, pack);
      assert.equal(verify.split('\n').filter((l) => / blob /.test(l)).length, 9000);
      assert.ok(pack.length < 9000 * 100, `deltas make it small (${pack.length} bytes)`);
    } finally {
      target.cleanup();
    }
  });

  test('storedZlib streams inflate to their input', async () => {
    const { inflateSync } = await import('node:zlib');
    const { storedZlib } = await import('../src/sync/send-objects.js');
    for (const n of [0, 1, 100, 5552, 65535, 65536, 200_000]) {
      const data = new Uint8Array(n).map((_, i) => (i * 31 + 7) & 0xff);
      assert.deepEqual(new Uint8Array(inflateSync(storedZlib(data))), data, `size ${n}`);
    }
  });

  for (const deltas of [false, true]) {
    test(`git index-pack and verify-pack accept the pack (deltas: ${deltas})`, async () => {
      const list = await objectsToSend(store.objects, [heads.main!, heads.side!], []);
      const phases = new Set<string>();
      const pack = await buildPack(list, { zlib: nodeZlib, sha1: nodeSha1, deltas, onProgress: (p) => phases.add(p) });
      assert.ok(phases.has('writing'));
      const target = tempDir();
      try {
        const verify = indexWithGit(target.dir, pack);
        git(['update-ref', 'refs/heads/main', heads.main!], { cwd: target.dir });
        git(['update-ref', 'refs/heads/side', heads.side!], { cwd: target.dir });
        git(['fsck', '--strict', '--no-dangling'], { cwd: target.dir });
        if (deltas) assert.match(verify, /chain length = 1:/);
      } finally {
        target.cleanup();
      }
    });
  }
});
