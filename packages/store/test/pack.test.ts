// Packfiles against the real git: reading packs git wrote (deltas, deep chains, REF_DELTA), and git
// accepting packs we wrote; plus index edge cases, corruption, and delta round-trips.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { git, gitBytes, tempDir } from './helpers/git.js';
import {
  PackIndex, PackReader, applyDelta, createDelta, editDelta, encodePackIndex, writePack,
  type PackIndexEntry, type RandomAccess,
} from '../src/git/pack/index.js';
import { nodeZlib } from '../src/backend/fs/zlib.js';
import { parseEntryHeader } from '../src/git/pack/entry-header.js';
import { unstoredZlibPrefix } from '../src/git/stored-zlib.js';
import type { RawObject, Sha1 } from '../src/git/object.js';
import type { ObjectId } from '../src/git/id.js';
import { isStoreError, type StoreErrorCode } from '../src/errors.js';

const sha1: Sha1 = (data) => createHash('sha1').update(data).digest('hex');

/** A RandomAccess over a file that records how much was read, to check we read in chunks. */
interface CountingAccess extends RandomAccess {
  reads: number;
  bytesRead: number;
  close(): Promise<void>;
}

async function openFile(path: string): Promise<CountingAccess> {
  const fh = await open(path, 'r');
  const size = (await fh.stat()).size;
  const access: CountingAccess = {
    size, reads: 0, bytesRead: 0,
    async read(offset, length) {
      const buf = new Uint8Array(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      access.reads++;
      access.bytesRead += bytesRead;
      return buf.subarray(0, bytesRead);
    },
    close: () => fh.close(),
  };
  return access;
}

function memory(bytes: Uint8Array): RandomAccess {
  return { size: bytes.length, read: async (o, n) => bytes.subarray(o, o + n) };
}

/** Every object in a repository, straight from git. */
function catAll(repo: string): Map<ObjectId, RawObject> {
  const out = gitBytes(['cat-file', '--batch-all-objects', '--batch'], { cwd: repo });
  const objects = new Map<ObjectId, RawObject>();
  let p = 0;
  while (p < out.length) {
    const nl = out.indexOf(10, p);
    const [id, type, size] = out.subarray(p, nl).toString().split(' ');
    const start = nl + 1;
    const body = new Uint8Array(out.subarray(start, start + Number(size)));
    objects.set(id!, { type: type as RawObject['type'], body });
    p = start + Number(size) + 1;
  }
  return objects;
}

function packFiles(repo: string, gitDir = join(repo, '.git')): { pack: string; idx: string }[] {
  const dir = join(gitDir, 'objects', 'pack');
  return readdirSync(dir).filter((f) => f.endsWith('.idx')).map((f) => ({
    idx: join(dir, f), pack: join(dir, f.replace(/\.idx$/, '.pack')),
  }));
}

/** The longest delta chain git reports for a pack. */
function maxChain(idx: string): number {
  const out = git(['verify-pack', '-v', idx]);
  let max = 0;
  for (const m of out.matchAll(/^chain length = (\d+):/gm)) max = Math.max(max, Number(m[1]));
  return max;
}

/** A deterministic PRNG, so failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * A history where files change a few lines per commit (so git deltifies), one "hot" file changes in
 * every commit (long chains), and one big file exceeds a single read. Built with fast-import: one process.
 */
function makeHistory(repo: string, commits: number): void {
  git(['init', '-q', '-b', 'main', repo]);
  const rnd = prng(42);
  const word = (): string => Math.floor(rnd() * 1e9).toString(36);
  const lines = (n: number): string[] => Array.from({ length: n }, () => `${word()} ${word()} ${word()} ${word()}`);
  const files = new Map<string, string[]>();
  for (let d = 0; d < 4; d++) for (let f = 0; f < 6; f++) files.set(`dir${d}/file${f}.txt`, lines(60));
  files.set('hot.txt', lines(80));
  files.set('big.txt', lines(6000));
  const parts: Buffer[] = [];
  const data = (s: string): void => {
    const b = Buffer.from(s);
    parts.push(Buffer.from(`data ${b.length}\n`), b, Buffer.from('\n'));
  };
  const names = [...files.keys()];
  for (let c = 1; c <= commits; c++) {
    const changed = new Set<string>(['hot.txt']);
    if (c === 1) for (const n of names) changed.add(n);
    else for (let k = 0; k < 3; k++) changed.add(names[Math.floor(rnd() * names.length)]!);
    if (c % 40 === 0) changed.add('big.txt');
    parts.push(Buffer.from(`commit refs/heads/main\nmark :${c}\ncommitter Test <test@example.org> ${1_700_000_000 + c} +0000\n`));
    data(`commit ${c}\n`);
    if (c > 1) parts.push(Buffer.from(`from :${c - 1}\n`));
    for (const name of changed) {
      const body = files.get(name)!;
      if (c > 1) {
        body[Math.floor(rnd() * body.length)] = `${word()} changed in ${c}`;
        if (rnd() < 0.3) body.splice(Math.floor(rnd() * body.length), 0, `inserted ${word()}`);
      }
      parts.push(Buffer.from(`M 100644 inline ${name}\n`));
      data(body.join('\n') + '\n');
    }
  }
  gitBytes(['fast-import', '--quiet'], { cwd: repo, input: Buffer.concat(parts) });
}

async function expectStoreError(p: Promise<unknown> | (() => unknown), codes: StoreErrorCode[], mentions: string[]): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.ok(isStoreError(e), `expected a StoreError, got ${String(e)}`);
    assert.ok(codes.includes(e.code), `unexpected code ${e.code}: ${e.message}`);
    for (const m of mentions) assert.ok(e.message.includes(m), `"${e.message}" should mention ${m}`);
    return;
  }
  assert.fail('expected an error');
}

/** Reads every object git lists through our reader and compares type and bytes. */
async function readsEverything(repo: string, expected: Map<ObjectId, RawObject>): Promise<{ count: number; ms: number }> {
  const [{ pack, idx }] = packFiles(repo);
  const index = PackIndex.parse(readFileSync(idx), idx, { sha1 });
  assert.equal(index.count, expected.size);
  const access = await openFile(pack!);
  const reader = new PackReader({ index, pack: access, zlib: nodeZlib, file: pack! });
  try {
    const start = performance.now();
    for (const [id, want] of expected) {
      const got = await reader.read(id);
      assert.ok(got, `${id} missing`);
      assert.equal(got.type, want.type, id);
      assert.ok(Buffer.from(got.body).equals(want.body), `${id} differs`);
    }
    const ms = performance.now() - start;
    await reader.verify(sha1);
    return { count: expected.size, ms };
  } finally {
    await reader.close();
  }
}

describe('reading packs git wrote', () => {
  const tmp = tempDir('nymote-pack-');
  const repo = join(tmp.dir, 'history');
  let objects: Map<ObjectId, RawObject>;

  before(() => {
    makeHistory(repo, 300);
    objects = catAll(repo);
  });
  after(() => tmp.cleanup());

  test('gc --aggressive: every object matches git cat-file', async (t) => {
    git(['gc', '--aggressive', '--quiet'], { cwd: repo });
    const [{ idx }] = packFiles(repo);
    assert.ok(maxChain(idx!) >= 2, 'git should have made delta chains');
    const { count, ms } = await readsEverything(repo, objects);
    t.diagnostic(`gc --aggressive pack: ${count} objects, max chain ${maxChain(idx!)}, read in ${ms.toFixed(0)} ms ` +
      `(${Math.round((count / ms) * 1000)} objects/s, cold cache, file reads)`);
  });

  test('repack --window=250 --depth=250: deep OFS_DELTA chains', async (t) => {
    git(['repack', '-adf', '--window=250', '--depth=250', '--quiet'], { cwd: repo });
    const [{ idx }] = packFiles(repo);
    const depth = maxChain(idx!);
    assert.ok(depth > 50, `expected chains deeper than 50, got ${depth}`);
    const { count, ms } = await readsEverything(repo, objects);
    t.diagnostic(`depth-250 pack: ${count} objects, max chain ${depth}, read in ${ms.toFixed(0)} ms ` +
      `(${Math.round((count / ms) * 1000)} objects/s)`);
  });

  test('reads one object in a few small chunks, not the whole file', async () => {
    const [{ pack, idx }] = packFiles(repo);
    const index = PackIndex.parse(readFileSync(idx!), idx!);
    const commit = [...objects].find(([, o]) => o.type === 'commit')![0];
    const big = [...objects].find(([, o]) => o.body.length > 100_000)![0];

    // Direct reads: one small read for a commit.
    const direct = await openFile(pack!);
    const unwindowed = new PackReader({ index, pack: direct, zlib: nodeZlib, file: pack!, windowBytes: 0 });
    assert.equal((await unwindowed.read(commit))!.type, 'commit');
    assert.ok(direct.bytesRead <= 4096 && direct.reads === 1, `${direct.reads} reads, ${direct.bytesRead} bytes`);
    // The big blob needs a second, larger read.
    assert.ok(Buffer.from((await unwindowed.read(big))!.body).equals(objects.get(big)!.body));
    await unwindowed.close();

    // Windowed reads: one 64 KiB window, then nothing more for objects in it.
    const access = await openFile(pack!);
    assert.ok(access.size > 4 * 65536);
    const reader = new PackReader({ index, pack: access, zlib: nodeZlib, file: pack! });
    assert.equal((await reader.read(commit))!.type, 'commit');
    assert.ok(access.bytesRead <= 65536, `read ${access.bytesRead} bytes of ${access.size}`);
    const reads = access.reads;
    assert.equal((await reader.read(commit))!.type, 'commit');
    assert.equal(access.reads, reads);
    assert.ok(Buffer.from((await reader.read(big))!.body).equals(objects.get(big)!.body));
    assert.equal(await reader.read('0'.repeat(40)), undefined);

    // Reading a delta caches its base; the base read next comes from that cache, yet is the caller's
    // to scribble on without corrupting later reads.
    const line = /^([0-9a-f]{40}) \w+\s+\d+ \d+ \d+ \d+ ([0-9a-f]{40})$/m.exec(git(['verify-pack', '-v', idx!]))!;
    const [, dependent, base] = line as unknown as [string, ObjectId, ObjectId];
    await reader.read(dependent);
    const scribbled = (await reader.read(base))!.body;
    scribbled.fill(0);
    assert.ok(Buffer.from((await reader.read(base))!.body).equals(objects.get(base)!.body));
    assert.ok(Buffer.from((await reader.read(dependent))!.body).equals(objects.get(dependent)!.body));
    assert.equal(reader.has(big), true);
    await reader.close();
  });

  test('REF_DELTA packs, and thin-pack bases through readExternal', async () => {
    const out = join(tmp.dir, 'refpack');
    const hash = git(['pack-objects', '--revs', '--all', '--no-delta-base-offset', out], { cwd: repo, input: '' }).trim();
    const packPath = `${out}-${hash}.pack`;
    const idxBytes = readFileSync(`${out}-${hash}.idx`);
    const index = PackIndex.parse(idxBytes, 'refpack.idx');
    const packBytes = new Uint8Array(readFileSync(packPath));
    // Find REF_DELTA entries by their type bits.
    const refDeltas: ObjectId[] = [...index.ids()].filter((id) => ((packBytes[index.find(id)!]! >> 4) & 7) === 7);
    assert.ok(refDeltas.length > 10, 'git should have written REF_DELTA entries');
    const reader = new PackReader({ index, pack: memory(packBytes), zlib: nodeZlib, file: packPath });
    for (const [id, want] of objects) {
      const got = (await reader.read(id))!;
      assert.equal(got.type, want.type);
      assert.ok(Buffer.from(got.body).equals(want.body), id);
    }
    await reader.verify(sha1);

    // Drop one delta's base from the index: it must then come from readExternal.
    const target = refDeltas[0]!;
    const offset = index.find(target)!;
    // The base id follows the type-and-size bytes (the last of which has no continuation bit).
    const headerLength = [...packBytes.subarray(offset, offset + 20)].findIndex((b) => (b & 0x80) === 0) + 1;
    const base = Buffer.from(packBytes.subarray(offset + headerLength, offset + headerLength + 20)).toString('hex');
    assert.ok(objects.has(base), `base ${base}`);
    const entries: PackIndexEntry[] = [];
    for (let i = 0; i < index.count; i++) {
      if (index.idAt(i) !== base) entries.push({ id: index.idAt(i), offset: index.offsetAt(i), crc32: index.crc32At(i)! });
    }
    const thinIndex = PackIndex.parse(encodePackIndex(entries, Buffer.from(index.packChecksum, 'hex'), sha1), 'thin.idx');
    const asked: ObjectId[] = [];
    const thin = new PackReader({
      index: thinIndex, pack: memory(packBytes), zlib: nodeZlib, file: 'thin.pack',
      readExternal: async (id) => {
        asked.push(id);
        return objects.get(id);
      },
    });
    assert.ok(Buffer.from((await thin.read(target))!.body).equals(objects.get(target)!.body));
    assert.deepEqual(asked, [base]);
    const noExternal = new PackReader({ index: thinIndex, pack: memory(packBytes), zlib: nodeZlib, file: 'thin.pack' });
    await expectStoreError(noExternal.read(target), ['corrupt-pack'], [target, 'thin.pack', base]);
  });

  for (const deltas of [false, true]) {
    test(`git accepts our packs (deltas: ${deltas})`, async () => {
      const bare = join(tmp.dir, `bare-${deltas}`);
      git(['init', '-q', '--bare', bare]);
      const input = [...objects.values()];
      // Duplicates are written once; ids still come back one per input.
      const written = writePack([...input, input[0]!], { zlib: nodeZlib, sha1, deltas });
      assert.equal(written.ids.length, input.length + 1);
      assert.deepEqual(written.ids.slice(0, -1), [...objects.keys()]);
      const dir = join(bare, 'objects', 'pack');
      mkdirSync(dir, { recursive: true });
      const packPath = join(dir, `pack-${written.checksum}.pack`);
      const idxPath = join(dir, `pack-${written.checksum}.idx`);
      writeFileSync(packPath, written.pack);
      writeFileSync(idxPath, written.index);
      const chain = maxChain(idxPath); // verify-pack -v exits non-zero on any problem
      if (deltas) assert.ok(chain >= 1 && chain <= 50, `chain ${chain}`);
      else assert.equal(chain, 0);
      // git's own index of our pack is byte-identical to ours.
      const gitIdx = join(tmp.dir, `reindexed-${deltas}.idx`);
      git(['index-pack', '-o', gitIdx, packPath]);
      assert.ok(readFileSync(gitIdx).equals(written.index), 'index differs from git index-pack');

      const head = git(['rev-parse', 'main'], { cwd: repo }).trim();
      git(['update-ref', 'refs/heads/main', head], { cwd: bare });
      git(['fsck', '--strict', '--full', '--no-dangling'], { cwd: bare });
      assert.equal(git(['cat-file', '-p', 'main:hot.txt'], { cwd: bare }), git(['cat-file', '-p', 'main:hot.txt'], { cwd: repo }));
      assert.equal(git(['cat-file', '-t', head], { cwd: bare }).trim(), 'commit');

      // And we read our own pack back.
      const reader = new PackReader({
        index: PackIndex.parse(written.index, idxPath), pack: memory(written.pack), zlib: nodeZlib, file: packPath,
      });
      await reader.verify(sha1);
      for (const [id, want] of objects) assert.ok(Buffer.from((await reader.read(id))!.body).equals(want.body));
    });
  }

  test('deltas make the pack much smaller, and progress is reported', (t) => {
    const input = [...objects.values()];
    const calls: string[] = [];
    const plain = writePack(input, { zlib: nodeZlib, sha1 });
    const start = performance.now();
    const small = writePack(input, {
      zlib: nodeZlib, sha1, deltas: true, onProgress: (done, total, phase) => calls.push(`${phase} ${done}/${total}`),
    });
    const ms = performance.now() - start;
    assert.ok(small.pack.length < plain.pack.length / 2, `${small.pack.length} vs ${plain.pack.length}`);
    assert.ok(calls.includes(`writing ${input.length}/${input.length}`), calls.join());
    assert.ok(calls.some((c) => c.startsWith('deltas ')));
    const gcPack = packFiles(repo)[0]!.pack;
    t.diagnostic(`writePack deltas: ${input.length} objects in ${ms.toFixed(0)} ms, ` +
      `${small.pack.length} bytes (no deltas ${plain.pack.length}, git repack ${readFileSync(gcPack).length})`);
  });

  test('version 1 indexes parse and agree with version 2', () => {
    const [{ pack, idx }] = packFiles(repo);
    const v1Path = join(tmp.dir, 'v1.idx');
    git(['index-pack', '--index-version=1', '-o', v1Path, pack!]);
    const v1 = PackIndex.parse(readFileSync(v1Path), v1Path, { sha1 });
    const v2 = PackIndex.parse(readFileSync(idx!), idx!);
    assert.equal(v1.version, 1);
    assert.equal(v1.count, v2.count);
    assert.equal(v1.packChecksum, v2.packChecksum);
    assert.deepEqual([...v1.ids()], [...v2.ids()]);
    for (const id of v2.ids()) assert.equal(v1.find(id), v2.find(id));
    assert.equal(v1.crc32At(0), undefined);
  });

  test('corruption is reported as corrupt-pack / corrupt-object, naming the file', async () => {
    const [{ pack, idx }] = packFiles(repo);
    const packBytes = new Uint8Array(readFileSync(pack!));
    const idxBytes = new Uint8Array(readFileSync(idx!));
    const index = PackIndex.parse(idxBytes, idx!);

    // A flipped byte in the middle of the pack: verify catches it.
    const flipped = packBytes.slice();
    flipped[flipped.length >> 1] ^= 0x40;
    const reader = new PackReader({ index, pack: memory(flipped), zlib: nodeZlib, file: 'flipped.pack' });
    await expectStoreError(reader.verify(sha1), ['corrupt-pack'], ['flipped.pack']);
    // Index and pack that do not belong together.
    const other = writePack([{ type: 'blob', body: new Uint8Array([1]) }], { zlib: nodeZlib, sha1 });
    const mismatched = new PackReader({ index, pack: memory(other.pack), zlib: nodeZlib, file: 'other.pack' });
    await expectStoreError(mismatched.verify(sha1), ['corrupt-pack'], ['other.pack']);

    // Truncated, reordered or bit-rotted indexes.
    for (const len of [0, 7, 100, 1100, idxBytes.length - 1, idxBytes.length - 8, idxBytes.length - 21]) {
      await expectStoreError(() => PackIndex.parse(idxBytes.subarray(0, len), 'cut.idx'), ['corrupt-pack'], ['cut.idx']);
    }
    const swapped = idxBytes.slice();
    const idsAt = 8 + 1024;
    const bucket = [...index.ids()].findIndex((id, i, all) => i > 0 && all[i - 1]!.slice(0, 2) === id.slice(0, 2));
    swapped.copyWithin(idsAt + bucket * 20, idsAt + (bucket - 1) * 20, idsAt + bucket * 20);
    PackIndex.parse(swapped.slice(), 'unsorted.idx'); // ...opening checks the layout only...
    await expectStoreError(() => PackIndex.parse(swapped, 'unsorted.idx', { sha1 }), ['corrupt-pack'], ['unsorted.idx']);
    await expectStoreError(() => PackIndex.parse(swapped, 'unsorted.idx').verify(sha1), ['corrupt-pack'], ['unsorted.idx']);
    const rotted = idxBytes.slice();
    rotted[idsAt + 5] ^= 1;
    PackIndex.parse(rotted.slice(), 'rotted.idx'); // without sha1 the trailing checksum is not checked...
    await expectStoreError(() => PackIndex.parse(rotted, 'rotted.idx', { sha1 }), ['corrupt-pack'], ['rotted.idx']);

    // A zlib stream cut short, and one with a bad byte inside.
    const plain = writePack([...objects.values()], { zlib: nodeZlib, sha1 });
    const plainIndex = PackIndex.parse(plain.index, 'plain.idx');
    const big = [...objects].find(([, o]) => o.body.length > 100_000)![0];
    const at = plainIndex.find(big)!;
    const cut = new Uint8Array(at + 1000 + 20);
    cut.set(plain.pack.subarray(0, at + 1000));
    const truncated = new PackReader({ index: plainIndex, pack: memory(cut), zlib: nodeZlib, file: 'cut.pack' });
    await expectStoreError(truncated.read(big), ['corrupt-object', 'corrupt-pack'], [big, 'cut.pack']);
    const bad = plain.pack.slice();
    bad[at + 500] ^= 0xff;
    const badReader = new PackReader({ index: plainIndex, pack: memory(bad), zlib: nodeZlib, file: 'bad.pack' });
    await expectStoreError(badReader.read(big), ['corrupt-object', 'corrupt-pack'], [big, 'bad.pack']);
    await expectStoreError(badReader.verify(sha1), ['corrupt-pack'], ['bad.pack']);
    await expectStoreError(badReader.readAt(5), ['corrupt-pack'], ['bad.pack']);
  });
});

test('large offsets round-trip through the index', () => {
  const offsets = [12, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 2 ** 40 + 3, 2 ** 52 + 1];
  const entries = offsets.map((offset, i) => ({ id: sha1(new Uint8Array([i])), offset, crc32: (0xfedcba98 + i) >>> 0 }));
  const checksum = new Uint8Array(20).fill(7);
  const bytes = encodePackIndex(entries, checksum, sha1);
  const index = PackIndex.parse(bytes, 'large.idx', { sha1 });
  assert.equal(index.count, entries.length);
  assert.equal(index.packChecksum, '07'.repeat(20));
  // Four offsets need the large table: 8 bytes each after the 4-byte ones.
  assert.equal(bytes.length, 8 + 1024 + entries.length * 28 + 4 * 8 + 40);
  for (const e of entries) assert.equal(index.find(e.id), e.offset);
  const sorted = [...entries].sort((a, b) => (a.id < b.id ? -1 : 1));
  assert.deepEqual([...index.ids()], sorted.map((e) => e.id));
  sorted.forEach((e, i) => assert.equal(index.crc32At(i), e.crc32));
  assert.equal(index.find('f'.repeat(40)), undefined);
  assert.equal(index.find('not an id'), undefined);
  assert.equal(index.has(entries[3]!.id), true);
  assert.throws(() => encodePackIndex([entries[0]!, entries[0]!], checksum, sha1), /twice/);
  // An empty pack's index is valid too.
  assert.equal(PackIndex.parse(encodePackIndex([], checksum, sha1), 'empty.idx').count, 0);
});

describe('deltas', () => {
  /** A target made of pieces of the base, random inserts, and deletions. */
  const similar = fc.tuple(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 400 }), fc.uint8Array({ maxLength: 40 })), { maxLength: 20 }))
    .map(([base, edits]) => {
      const parts: Uint8Array[] = [];
      for (const [from, len, insert] of edits) {
        const start = base.length ? from % base.length : 0;
        parts.push(base.subarray(start, start + len), insert);
      }
      return { base, target: Uint8Array.from(parts.flatMap((p) => [...p])) };
    });

  test('applyDelta(base, createDelta(base, target)) = target', () => {
    fc.assert(fc.property(similar, ({ base, target }) => {
      const d = createDelta(base, target, Infinity)!;
      assert.ok(d, 'an unlimited delta always exists');
      assert.deepEqual(applyDelta(base, d, 'prop'), target);
      const worthIt = createDelta(base, target);
      if (worthIt) {
        assert.ok(worthIt.length < target.length * 0.9 + 1);
        assert.deepEqual(applyDelta(base, worthIt, 'prop'), target);
      }
    }), { numRuns: 300 });
  });

  test('random unrelated buffers round-trip too', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 2000 }), (base, target) => {
      assert.deepEqual(applyDelta(base, createDelta(base, target, Infinity)!, 'prop'), target);
    }), { numRuns: 200 });
  });

  test('finds long copies; refuses deltas that do not pay', () => {
    const rnd = prng(7);
    const base = Uint8Array.from({ length: 200_000 }, () => Math.floor(rnd() * 256));
    const target = new Uint8Array(base.length + 10);
    target.set(base.subarray(0, 100_000));
    target.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 100_000);
    target.set(base.subarray(100_000), 100_010);
    const d = createDelta(base, target)!;
    assert.ok(d.length < 100, `delta of ${d.length} bytes`);
    assert.deepEqual(applyDelta(base, d, 'big'), target);
    const noise = Uint8Array.from({ length: 5000 }, () => Math.floor(rnd() * 256));
    assert.equal(createDelta(base.subarray(0, 5000), noise), undefined);
  });

  test('editDelta(base, target) round-trips, and is small for one edited run', () => {
    fc.assert(fc.property(similar, ({ base, target }) => {
      assert.deepEqual(applyDelta(base, editDelta(base, target, Infinity)!, 'prop'), target);
      const small = editDelta(base, target);
      if (small) assert.ok(small.length <= target.length / 4, `${small.length} of ${target.length}`);
    }), { numRuns: 300 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 2000 }), (base, target) => {
      assert.deepEqual(applyDelta(base, editDelta(base, target, Infinity)!, 'prop'), target);
    }), { numRuns: 200 });
    const rnd = prng(11);
    const base = Uint8Array.from({ length: 20_000 }, () => Math.floor(rnd() * 256));
    const target = base.slice();
    target.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 9_000);
    const d = editDelta(base, target)!;
    assert.ok(d.length < 40, `delta of ${d.length} bytes`);
    assert.deepEqual(applyDelta(base, d, 'edit'), target);
    // Two edits far apart make the middle an insert: not worth a delta under the default limit.
    target[100] = target[100]! ^ 1;
    target[19_900] = target[19_900]! ^ 1;
    assert.equal(editDelta(base, target), undefined);
  });

  test('successive: versions of one path become short delta chains that git reads', () => {
    const tmp = tempDir('nymote-successive-');
    try {
      // 40 versions of a directory of 300 entries, each with one entry changed, and a named small object.
      const rnd = prng(5);
      const ids = Array.from({ length: 300 }, () => Buffer.from(Array.from({ length: 20 }, () => Math.floor(rnd() * 256))));
      const objects: (RawObject & { name: string })[] = [];
      for (let v = 0; v < 40; v++) {
        ids[(v * 7) % 300] = createHash('sha1').update(`v${v}`).digest();
        const body = Buffer.concat(ids.map((id, i) => Buffer.concat([Buffer.from(`100644 file-${String(i).padStart(4, '0')}\0`), id])));
        objects.push({ type: 'tree', body, name: 'mail/boxes/INBOX/0' }, { type: 'blob', body: Buffer.from(`{"n":${v}}`), name: 'meta.json' });
      }
      const plain = writePack(objects, { zlib: nodeZlib, sha1, level: 1 });
      // As a group commit writes it: entries under 512 bytes (the deltas, the small blobs) stored uncompressed.
      const written = writePack(objects, { zlib: nodeZlib, sha1, level: 1, successive: true, storeBelow: 512 });
      const index = PackIndex.parse(written.index, 'successive.idx');
      let storedEntries = 0;
      for (let i = 0; i < index.count; i++) {
        const at = index.offsetAt(i);
        const head = parseEntryHeader(written.pack, at, at, (why) => new Error(why))!;
        const isStored = unstoredZlibPrefix(written.pack.subarray(at + head.length)) !== undefined;
        assert.equal(isStored, head.size < 512, `entry at ${at} of ${head.size} bytes`);
        if (isStored) storedEntries++;
      }
      // 40 small blobs and most of the directory's versions, as deltas; its whole versions are compressed.
      assert.ok(storedEntries >= 70, `${storedEntries} stored entries`);
      assert.ok(written.pack.length < plain.pack.length / 5, `${written.pack.length} vs ${plain.pack.length}`);
      git(['init', '-q', '--bare', tmp.dir]);
      const packPath = join(tmp.dir, 'objects', 'pack', `pack-${written.checksum}.pack`);
      const idxPath = packPath.replace(/\.pack$/, '.idx');
      writeFileSync(packPath, written.pack);
      writeFileSync(idxPath, written.index);
      const chain = maxChain(idxPath);
      assert.ok(chain >= 1 && chain <= 16, `chain ${chain}`);
      git(['index-pack', '-o', join(tmp.dir, 'again.idx'), packPath]);
      assert.ok(readFileSync(join(tmp.dir, 'again.idx')).equals(written.index), 'index differs from git index-pack');
      for (const [i, o] of objects.entries()) {
        assert.ok(gitBytes(['cat-file', o.type, written.ids[i]!], { cwd: tmp.dir }).equals(o.body), `object ${i}`);
      }
    } finally {
      tmp.cleanup();
    }
  });

  test('corrupt deltas throw corrupt-pack naming where', async () => {
    const base = new TextEncoder().encode('hello, world, hello, world, hello');
    const target = new TextEncoder().encode('hello, world, hello, world, hello!');
    const d = createDelta(base, target, Infinity)!;
    await expectStoreError(() => applyDelta(base.subarray(1), d, 'obj X'), ['corrupt-pack'], ['obj X']);
    await expectStoreError(() => applyDelta(base, d.subarray(0, d.length - 1), 'obj Y'), ['corrupt-pack'], ['obj Y']);
    await expectStoreError(() => applyDelta(base, Uint8Array.from([...d.subarray(0, 2), 0]), 'obj Z'), ['corrupt-pack'], ['obj Z']);
    // A copy past the end of the base.
    await expectStoreError(() => applyDelta(base, Uint8Array.from([base.length, 10, 0x91, 40, 10]), 'obj W'), ['corrupt-pack'], ['obj W']);
    // A result size no delta of this length could produce is refused before allocating it.
    await expectStoreError(() => applyDelta(base, Uint8Array.from([base.length, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x90, 1]), 'huge'), ['corrupt-pack'], ['huge']);
  });
});
