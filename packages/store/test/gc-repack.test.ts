// gc's repack against the real git: entries of the old packs are copied (deltas kept as deltas), objects
// that are not deltas yet are searched for deltas, the result is a pack git accepts, and a damaged entry
// stops gc before anything changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { initRepository, openRepository, type FsBackend } from '../src/backend/fs/index.js';
import { encodeCommit } from '../src/git/commit-codec.js';
import { encodeTree } from '../src/git/tree-codec.js';
import { utf8 } from '../src/git/bytes.js';
import type { ObjectType } from '../src/git/object.js';
import { CODE_BY_TYPE, encodeEntryHeader } from '../src/git/pack/entry-header.js';
import { PackSet } from '../src/backend/fs/packs.js';
import { hashObjectFast } from '../src/backend/fs/hash.js';
import { nodeZlib } from '../src/backend/fs/zlib.js';
import { git, gitBytes, tempDir } from './helpers/git.js';

const person = { name: 'Test', email: 'test@example.org', time: 1_700_000_000, tz: '+0000' };

async function withRepo(fn: (b: FsBackend, dir: string) => Promise<void>): Promise<void> {
  const t = tempDir('nymote-gc-repack-');
  // A low threshold: every writeBatch below makes a pack (without deltas, as the write path does).
  const b = await initRepository(join(t.dir, 'repo.git'), { packThreshold: 10 });
  try {
    await fn(b, b.dir);
  } finally {
    await b.close();
    t.cleanup();
  }
}

/** A history whose file grows a little each commit: what git's delta search turns into chains. */
async function writeHistory(b: FsBackend, n: number, tag: string): Promise<void> {
  let parent: string | undefined;
  for (let i = 0; i < n; i++) {
    const lines = Array.from({ length: 40 + i }, (_, k) => `${tag} line ${k}: some text that stays the same\n`).join('');
    const blob = await b.objects.write('blob', utf8(lines));
    const small = await b.objects.write('blob', utf8(`${tag} ${i}\n`));
    const tree = await b.objects.write('tree', encodeTree([
      { name: 'notes.txt', mode: '100644', id: blob },
      { name: 'small.txt', mode: '100644', id: small },
    ]));
    const commit = await b.objects.write('commit', encodeCommit({ tree, parents: parent ? [parent] : [], author: person, committer: person, message: `${tag} ${i}\n` }));
    assert.equal(await b.refs.compareAndSwap(`refs/heads/${tag}`, parent, commit), true);
    parent = commit;
  }
}

/** Similar blobs (each a variant of one text), as one writeBatch: one pack, all whole. */
function similarBlobs(tag: string, n: number): { type: ObjectType; body: Uint8Array }[] {
  return Array.from({ length: n }, (_, i) => ({
    type: 'blob' as const,
    body: utf8(`${tag} ${i}\n${Array.from({ length: 30 }, (_, k) => `row ${k} of the ${tag} table, unchanged\n`).join('')}`),
  }));
}

function packFiles(dir: string, ext: string): string[] {
  return readdirSync(join(dir, 'objects', 'pack')).filter((f) => f.endsWith(ext)).sort();
}

/** Every object in the repository (packed or loose, reachable or not), by id, read by git. */
function allObjects(dir: string): Map<string, { type: string; body: Buffer }> {
  const ids = git(['cat-file', '--batch-all-objects', '--batch-check=%(objectname)'], { cwd: dir }).split('\n').filter(Boolean);
  const out = new Map<string, { type: string; body: Buffer }>();
  const batch = gitBytes(['cat-file', '--batch'], { cwd: dir, input: ids.join('\n') + '\n' });
  let p = 0;
  while (p < batch.length) {
    const nl = batch.indexOf(10, p);
    const [id, type, size] = batch.subarray(p, nl).toString('latin1').split(' ');
    const body = batch.subarray(nl + 1, nl + 1 + Number(size));
    out.set(id!, { type: type!, body: Buffer.from(body) });
    p = nl + 1 + Number(size) + 1;
  }
  return out;
}

/** Every file under `dir` with a hash of its contents: "the repository is exactly as it was". */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(p.slice(dir.length), createHash('sha1').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

/** Entries of a pack by `git verify-pack -v`: id, type, size in pack, offset, and the base of a delta. */
function packEntries(dir: string, pack: string): { id: string; type: string; inPack: number; offset: number; base: string | undefined }[] {
  const out = git(['verify-pack', '-v', join(dir, 'objects', 'pack', pack)], { cwd: dir });
  const entries = [];
  for (const line of out.split('\n')) {
    const m = /^([0-9a-f]{40}) (\w+)\s+(\d+) (\d+) (\d+)(?: \d+ ([0-9a-f]{40}))?$/.exec(line);
    if (m) entries.push({ id: m[1]!, type: m[2]!, inPack: Number(m[4]), offset: Number(m[5]), base: m[6] });
  }
  return entries;
}

/**
 * Packs with deltas (git's -adf --depth=50), packs without (our writeBatch), one pack .keep'd, loose
 * objects, and an object both in a pack and loose.
 */
async function mixedRepository(b: FsBackend, dir: string): Promise<{ keptPack: string; oldPacks: string[] }> {
  await writeHistory(b, 30, 'main');
  git(['repack', '-adfq', '--depth=50'], { cwd: dir });
  assert.ok(packEntries(dir, packFiles(dir, '.pack')[0]!).some((e) => e.base), 'git made deltas');
  await b.objects.writeBatch(similarBlobs('first', 40));
  await b.objects.writeBatch(similarBlobs('second', 40));
  const kept = await b.objects.writeBatch(similarBlobs('kept', 20));
  const keptPack = packFiles(dir, '.pack').find((f) => packEntries(dir, f).some((e) => e.id === kept[0]))!;
  writeFileSync(join(dir, 'objects', 'pack', keptPack.replace(/\.pack$/, '.keep')), '');
  await writeHistory(b, 5, 'topic'); // loose
  await b.objects.write('blob', similarBlobs('first', 1)[0]!.body); // already packed: stays single
  const oldPacks = packFiles(dir, '.pack').filter((f) => f !== keptPack);
  assert.equal(oldPacks.length, 3);
  return { keptPack, oldPacks };
}

test('gc repack: copies entries and deltas of old packs, deltifies the rest; git accepts the result', async () => {
  await withRepo(async (b, dir) => {
    const { keptPack, oldPacks } = await mixedRepository(b, dir);
    const gitMade = packEntries(dir, oldPacks.find((f) => packEntries(dir, f).some((e) => e.base))!);
    const before = allObjects(dir);
    const keptBytes = readFileSync(join(dir, 'objects', 'pack', keptPack));
    const reader = await openRepository(dir); // holds the old packs open across the gc
    const progress: string[] = [];
    const result = await b.gc({ onProgress: (m) => progress.push(m) });

    assert.equal(result.removedPacks, 3);
    assert.ok(result.reuse, 'a new pack was written');
    const { reusedWhole, reusedDeltas, newDeltas, writtenWhole } = result.reuse;
    assert.equal(reusedWhole + reusedDeltas + newDeltas + writtenWhole, result.packedObjects);
    // Every delta git made is copied as a delta.
    assert.equal(reusedDeltas, gitMade.filter((e) => e.base).length);
    assert.ok(reusedWhole > 0, 'whole entries copied');
    assert.ok(newDeltas >= 70, `the similar blobs of writeBatch packs and loose ones become deltas (${newDeltas})`);
    assert.ok(progress.some((m) => /reused \d+ whole entries and \d+ deltas/.test(m)), progress.join('\n'));

    const packs = packFiles(dir, '.pack');
    assert.equal(packs.length, 2);
    assert.ok(packs.includes(keptPack));
    for (const f of oldPacks) assert.ok(!packs.includes(f), `${f} removed`);
    assert.deepEqual(readFileSync(join(dir, 'objects', 'pack', keptPack)), keptBytes);
    const newPack = packs.find((f) => f !== keptPack)!;
    git(['verify-pack', join(dir, 'objects', 'pack', newPack)], { cwd: dir });
    git(['fsck', '--strict', '--no-dangling'], { cwd: dir });
    assert.match(git(['count-objects', '-v'], { cwd: dir }), /^count: 0$/m);

    // Deltas of the git-made pack are still deltas on the same bases.
    const now = new Map(packEntries(dir, newPack).map((e) => [e.id, e]));
    for (const e of gitMade) if (e.base) assert.equal(now.get(e.id)?.base, e.base, e.id);
    // Packed exactly once: the kept pack's objects are not copied.
    const keptIds = new Set(packEntries(dir, keptPack).map((e) => e.id));
    assert.equal(now.size + keptIds.size, before.size);
    for (const id of keptIds) assert.ok(!now.has(id));

    for (const r of [reader, await openRepository(dir)]) {
      for (const [id, o] of before) {
        const got = await r.objects.read(id);
        assert.ok(got, id);
        assert.equal(got.type, o.type, id);
        assert.deepEqual(Buffer.from(got.body), o.body, id);
      }
      await r.close();
    }
    assert.deepEqual(allObjects(dir), before);

    // A second gc with one pack and nothing loose has nothing to do.
    assert.deepEqual(await b.gc(), { packedObjects: 0, removedLooseFiles: 0, removedPacks: 0 });
  });
});

test('gc repack: a deltified pack gc made is copied as it is by the next gc', async () => {
  await withRepo(async (b, dir) => {
    await b.objects.writeBatch(similarBlobs('one', 50));
    await b.objects.writeBatch(similarBlobs('two', 50));
    const first = await b.gc();
    assert.ok(first.reuse && first.reuse.newDeltas > 80, JSON.stringify(first.reuse));
    await b.objects.writeBatch(similarBlobs('three', 50));
    const second = await b.gc();
    assert.ok(second.reuse);
    // The previous gc's deltas are reused; only the new batch is searched.
    assert.equal(second.reuse.reusedDeltas, first.reuse.newDeltas);
    assert.ok(second.reuse.newDeltas >= 40);
    git(['fsck', '--strict'], { cwd: dir });
    git(['verify-pack', join(dir, 'objects', 'pack', packFiles(dir, '.pack')[0]!)], { cwd: dir });
  });
});

test('gc repack: a damaged entry in an old pack fails gc naming object and pack; nothing changes', async () => {
  await withRepo(async (b, dir) => {
    const { oldPacks } = await mixedRepository(b, dir);
    // One entry in each kind of pack: a delta of git's pack, a whole blob of a writeBatch pack.
    const gitPack = oldPacks.find((f) => packEntries(dir, f).some((e) => e.base))!;
    const ourPack = oldPacks.find((f) => f !== gitPack)!;
    for (const [pack, pick] of [
      [gitPack, (e: ReturnType<typeof packEntries>[number]) => e.base !== undefined],
      [ourPack, (e: ReturnType<typeof packEntries>[number]) => e.type === 'blob'],
    ] as const) {
      // The largest such entry, so that the flipped byte lies well inside it.
      const victim = packEntries(dir, pack).filter(pick).sort((x, y) => y.inPack - x.inPack)[0]!;
      assert.ok(victim.inPack >= 16, `an entry to damage in ${pack}`);
      const file = join(dir, 'objects', 'pack', pack);
      const bytes = readFileSync(file);
      const at = victim.offset + victim.inPack - 8; // inside the zlib stream: header and neighbours intact
      bytes[at]! ^= 0x20;
      chmodSync(file, 0o644);
      writeFileSync(file, bytes);
      chmodSync(file, 0o444);

      const before = snapshot(dir);
      // A fresh backend: b's readers may hold the pack's bytes from before in their window caches.
      const fresh = await openRepository(dir);
      try {
        await assert.rejects(fresh.gc(), (e: Error) => {
          assert.ok(e.message.includes(victim.id), e.message);
          assert.ok(e.message.includes(pack), e.message);
          return true;
        });
      } finally {
        await fresh.close();
      }
      assert.deepEqual(snapshot(dir), before, 'the repository is exactly as it was');

      bytes[at]! ^= 0x20;
      chmodSync(file, 0o644);
      writeFileSync(file, bytes);
      chmodSync(file, 0o444);
    }
    // Repaired: gc goes through.
    const fresh = await openRepository(dir);
    try {
      await fresh.gc();
    } finally {
      await fresh.close();
    }
    git(['fsck', '--strict'], { cwd: dir });
  });
});

test('gc repack: REF_DELTA entries (git pack-objects without --delta-base-offset) are kept as deltas', async () => {
  await withRepo(async (b, dir) => {
    await writeHistory(b, 20, 'main');
    const list = git(['rev-list', '--objects', '--all'], { cwd: dir });
    git(['pack-objects', '-q', '--window=10', '--depth=20', join(dir, 'objects', 'pack', 'pack')], { cwd: dir, input: list });
    git(['prune-packed'], { cwd: dir });
    const refPack = packFiles(dir, '.pack')[0]!;
    const deltas = packEntries(dir, refPack).filter((e) => e.base);
    assert.ok(deltas.length > 0, 'git made deltas');
    await b.objects.writeBatch(similarBlobs('batch', 20));
    const before = allObjects(dir);
    const result = await b.gc();
    assert.equal(result.removedPacks, 2);
    assert.equal(result.reuse?.reusedDeltas, deltas.length);
    const pack = packFiles(dir, '.pack')[0]!;
    const now = new Map(packEntries(dir, pack).map((e) => [e.id, e]));
    for (const e of deltas) assert.equal(now.get(e.id)?.base, e.base, e.id);
    git(['verify-pack', join(dir, 'objects', 'pack', pack)], { cwd: dir });
    git(['fsck', '--strict'], { cwd: dir });
    assert.deepEqual(allObjects(dir), before);
  });
});

test('PackStream: fewer objects than announced rewrites the header and hashes the file again', async () => {
  await withRepo(async (_b, dir) => {
    const set = new PackSet(join(dir, 'objects', 'pack'), { readExternal: async () => undefined, onWarning: () => {} });
    try {
      const stream = set.createStream(3);
      const entries = [];
      for (const text of ['one\n', 'two\n']) {
        const body = utf8(text);
        const head = encodeEntryHeader(CODE_BY_TYPE.blob, body.length);
        const data = nodeZlib.deflate(body);
        entries.push({ id: hashObjectFast('blob', body), offset: stream.offset, crc32: nodeZlib.crc32(data, nodeZlib.crc32(head)) });
        stream.write(head);
        stream.write(data);
      }
      const pack = await set.finishStream(stream, entries.length, entries, true);
      const out = git(['verify-pack', '-v', pack.path], { cwd: dir });
      assert.match(out, /non delta: 2 objects/);
      assert.equal(git(['cat-file', '-p', entries[1]!.id], { cwd: dir }), 'two\n');
      assert.deepEqual(readdirSync(join(dir, 'objects', 'pack')).filter((f) => f.startsWith('tmp_')), []);
    } finally {
      await set.close();
    }
  });
});
