// The sync indexer against packs the real git made: its .idx must match git index-pack's byte for
// byte, thin packs must be completed, and every kind of damage must be a clear corrupt-pack error.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, gitBytes, tempDir } from './helpers/git.js';
import { indexPack, type IndexPackOptions } from '../src/sync/pack-indexer.js';
import { storePack } from '../src/sync/store-pack.js';
import { PackIndex, PackReader } from '../src/git/pack/index.js';
import { nodeZlib } from '../src/backend/fs/zlib.js';
import { nodeSha1 } from '../src/backend/fs/hash.js';
import { memoryBackend } from '../src/backend/memory.js';
import { openRepository } from '../src/backend/fs/index.js';
import { isStoreError } from '../src/errors.js';
import type { RawObject } from '../src/git/object.js';

const base: IndexPackOptions = { zlib: nodeZlib, sha1: nodeSha1, where: 'pack from test' };

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

function lines(n: number, changed = -1): string {
  let s = '';
  for (let i = 0; i < n; i++) s += `line ${i} ${i === changed ? 'CHANGED' : 'of a file long enough to delta against'}\n`;
  return s;
}

let tmp: { dir: string; cleanup: () => void };
let repo: string;
/** A full pack of HEAD with deltas, and a thin pack of HEAD minus HEAD~1. */
let fullPack: Uint8Array;
let thinPack: Uint8Array;
let fullIdx: Uint8Array;

before(() => {
  tmp = tempDir();
  repo = join(tmp.dir, 'src');
  git(['init', '-q', '-b', 'main', repo]);
  for (let v = 0; v < 4; v++) {
    for (let f = 0; f < 5; f++) writeFileSync(join(repo, `file${f}.txt`), lines(300, v * 7 + f));
    git(['add', '.'], { cwd: repo });
    git(['commit', '-q', '-m', `version ${v}`], { cwd: repo });
  }
  fullPack = new Uint8Array(gitBytes(['pack-objects', '--stdout', '--revs', '--delta-base-offset'], { cwd: repo, input: 'HEAD\n' }));
  thinPack = new Uint8Array(gitBytes(['pack-objects', '--stdout', '--revs', '--thin'], { cwd: repo, input: 'HEAD\n^HEAD~1\n' }));
  const out = join(tmp.dir, 'git-index');
  writeFileSync(`${out}.pack`, fullPack);
  git(['index-pack', '-o', `${out}.idx`, `${out}.pack`]);
  fullIdx = readFileSync(`${out}.idx`);
});

after(() => tmp.cleanup());

function expectCorrupt(pattern: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(isStoreError(e, 'corrupt-pack'), `expected corrupt-pack, got ${String(e)}`);
    assert.match((e as Error).message, /pack from test/);
    assert.match((e as Error).message, pattern);
    return true;
  };
}

describe('indexPack', () => {
  test('a pack git made (OFS deltas) gets the very .idx git index-pack writes', async () => {
    const r = await indexPack(fullPack, base);
    assert.deepEqual(r.pack, fullPack);
    assert.deepEqual(Buffer.from(r.index), Buffer.from(fullIdx));
    assert.equal(r.checksum, Buffer.from(fullPack.subarray(fullPack.length - 20)).toString('hex'));
    const listed = git(['rev-list', '--objects', '--all'], { cwd: repo }).split('\n').filter(Boolean).map((l) => l.slice(0, 40));
    assert.deepEqual([...r.ids].sort(), [...listed].sort());
  });

  test('streamed in small chunks it gives the same result and reports progress', async () => {
    const seen: string[] = [];
    for (const size of [1, 7, 1000]) {
      const r = await indexPack(chunked(fullPack, size), {
        ...base, onProgress: (phase, done, total) => seen.push(`${phase} ${done}/${total}`),
      });
      assert.deepEqual(Buffer.from(r.index), Buffer.from(fullIdx));
    }
    const count = new DataView(fullPack.buffer, fullPack.byteOffset).getUint32(8);
    assert.ok(seen.includes(`receiving ${count}/${count}`));
    assert.ok(seen.some((s) => /^resolving (\d+)\/\1$/.test(s) && !s.startsWith('resolving 0')));
  });

  test('a thin pack is completed from readExternal and then verifies', async () => {
    await assert.rejects(indexPack(thinPack, base), expectCorrupt(/needs base [0-9a-f]{40}/));
    const lookups: string[] = [];
    const readExternal = async (id: string): Promise<RawObject | undefined> => {
      lookups.push(id);
      const type = git(['cat-file', '-t', id], { cwd: repo }).trim() as RawObject['type'];
      return { type, body: new Uint8Array(gitBytes(['cat-file', type, id], { cwd: repo })) };
    };
    const r = await indexPack(thinPack, { ...base, readExternal });
    assert.ok(lookups.length > 0, 'the thin pack had external bases');
    assert.ok(r.pack.length > thinPack.length);
    for (const id of lookups) assert.ok(r.ids.includes(id));
    const index = PackIndex.parse(r.index, 'thin.idx', { sha1: nodeSha1 });
    const reader = new PackReader({ index, pack: { size: r.pack.length, read: async (o, n) => r.pack.subarray(o, o + n) }, zlib: nodeZlib, file: 'thin.pack' });
    await reader.verify(nodeSha1);
    // git agrees: the completed pack stands alone.
    const p = join(tmp.dir, `pack-${r.checksum}`);
    writeFileSync(`${p}.pack`, r.pack);
    writeFileSync(`${p}.idx`, r.index);
    git(['verify-pack', `${p}.idx`]);
  });

  test('an empty pack (no objects) is fine', async () => {
    const empty = gitBytes(['pack-objects', '--stdout'], { cwd: repo, input: '' });
    const r = await indexPack(empty, base);
    assert.deepEqual(r.ids, []);
  });

  describe('damage is a corrupt-pack error naming the source', () => {
    test('not a pack, bad version', async () => {
      await assert.rejects(indexPack(new TextEncoder().encode('<html>not found</html>'), base), expectCorrupt(/PACK/));
      const v9 = fullPack.slice();
      v9[7] = 9;
      await assert.rejects(indexPack(v9, base), expectCorrupt(/version 9/));
      await assert.rejects(indexPack(new Uint8Array(0), base), expectCorrupt(/empty/));
    });

    test('truncated anywhere', async () => {
      for (const cut of [5, 12, 13, 40, Math.floor(fullPack.length / 2), fullPack.length - 21, fullPack.length - 20, fullPack.length - 1]) {
        await assert.rejects(indexPack(fullPack.subarray(0, cut), base), expectCorrupt(/truncated/), `cut at ${cut}`);
        await assert.rejects(indexPack(chunked(fullPack.subarray(0, cut), 100), base), expectCorrupt(/truncated/), `cut at ${cut}, streamed`);
      }
    });

    test('bad trailing checksum', async () => {
      const bad = fullPack.slice();
      bad[bad.length - 1]! ^= 1;
      await assert.rejects(indexPack(bad, base), expectCorrupt(/checksum/));
    });

    test('damaged zlib data', async () => {
      const bad = fullPack.slice();
      // Inside the first entry's zlib stream (past its 2-byte header and the 2-byte zlib header).
      bad[20]! ^= 0xff;
      await assert.rejects(indexPack(bad, base), expectCorrupt(/offset 12|inflate|checksum|header says/));
    });

    test('trailing garbage', async () => {
      const bad = new Uint8Array(fullPack.length + 3);
      bad.set(fullPack);
      await assert.rejects(indexPack(bad, base), expectCorrupt(/3 bytes of garbage/));
    });

    test('more than maxBytes', async () => {
      await assert.rejects(indexPack(chunked(fullPack, 100), { ...base, maxBytes: 1000 }), expectCorrupt(/1000-byte limit/));
    });
  });
});

describe('storePack', () => {
  test('into a memory backend, object by object', async () => {
    const r = await indexPack(fullPack, base);
    const backend = memoryBackend();
    await storePack(backend.objects, r, base);
    for (const id of r.ids) {
      const o = await backend.objects.read(id);
      assert.ok(o, `object ${id} stored`);
      assert.equal(backend.objects.hash(o.type, o.body), id);
    }
  });

  test('into a repository on disk, as a pack git can read', async () => {
    const dir = join(tmp.dir, 'dest.git');
    git(['init', '-q', '--bare', dir]);
    const r = await indexPack(fullPack, base);
    const backend = await openRepository(dir);
    try {
      await storePack(backend.objects, r, base);
      assert.deepEqual(readdirSync(join(dir, 'objects', 'pack')).sort(), [`pack-${r.checksum}.idx`, `pack-${r.checksum}.pack`]);
      for (const id of r.ids) assert.ok(await backend.objects.has(id));
      const head = git(['rev-parse', 'HEAD'], { cwd: repo }).trim();
      git(['update-ref', 'refs/heads/main', head], { cwd: dir });
      git(['fsck', '--strict'], { cwd: dir });
    } finally {
      await backend.close();
    }
  });
});
