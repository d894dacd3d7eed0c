// The packs commits leave (one per write) are merged as they pile up, geometrically, and git reads the result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUTO_PACK_LIMIT, planMerge } from '../src/backend/fs/auto-pack.js';
import { LooseObjects } from '../src/backend/fs/loose-objects.js';
import { PackSet } from '../src/backend/fs/packs.js';
import { repackAll } from '../src/backend/fs/repack.js';
import { openStore } from '../src/node.js';
import { git, tempDir } from './helpers/git.js';

const packsIn = (dir: string) => readdirSync(join(dir, 'objects', 'pack')).filter((n) => n.endsWith('.pack')).length;
const looseIn = (dir: string) => readdirSync(join(dir, 'objects')).filter((n) => /^[0-9a-f]{2}$/.test(n))
  .reduce((sum, d) => sum + readdirSync(join(dir, 'objects', d)).length, 0);

test('planMerge: nothing up to the limit; past it, the smallest packs while the next is under twice their sum', () => {
  assert.equal(planMerge(Array(AUTO_PACK_LIMIT).fill(5)), 0);
  assert.equal(planMerge(Array(17).fill(1), 16), 17);
  // A big pack stays out: 16 ones sum to 16, and 1000 is more than twice that.
  assert.equal(planMerge([...Array(16).fill(1), 1000], 16), 16);
  // The merged sum takes in the next pack while it is smaller than twice the sum: 15 + 16 = 31, then 100 > 62.
  assert.equal(planMerge([...Array(15).fill(1), 16, 100, 1000], 16), 16);
  // At least two, even when the second is much bigger than the first.
  assert.equal(planMerge([1, 5, 100, 1_000, 10_000, 100_000, ...Array(12).fill(1_000_000)], 16), 2);
});

test('the packs of group commits are merged as they pile up; git checks the result clean', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const repo = join(dir, 'r.git');
    const store = await openStore(repo, { create: true, backend: { autoPack: { packs: 4 } } });
    const rounds = 60;
    const perRound = 4;
    // Four writes asked for at once: one group, one pack (of well over 16 objects).
    for (let r = 0; r < rounds; r++) {
      await Promise.all(Array.from({ length: perRound }, (_, j) => store.set(`k/${(r * perRound + j) % 37}/${r * perRound + j}`, `value ${r * perRound + j}`, { message: `set ${r * perRound + j}` })));
    }
    await store.close(); // waits for a merge under way
    const commits = rounds * perRound;
    // About log2 of the object count beyond the limit, never one pack per group.
    const packs = packsIn(repo);
    assert.ok(packs <= 4 + Math.ceil(Math.log2(commits * 6)), `${packs} packs after ${rounds} group commits`);
    assert.ok(packs < rounds / 2, `${packs} packs after ${rounds} group commits`);
    git(['--git-dir', repo, 'fsck', '--strict', '--no-dangling']);
    assert.equal(git(['--git-dir', repo, 'rev-list', '--count', 'main']).trim(), String(commits));
    assert.equal(git(['--git-dir', repo, 'show', `main:k/${(commits - 1) % 37}/${commits - 1}`]), `value ${commits - 1}`);
    // Every commit reads back after the merges, from a fresh opening of the repository.
    const again = await openStore(repo);
    const log = (await again.log()).entries;
    assert.equal(log.length, commits);
    assert.equal((await again.list('k')).length, 37);
    for (let i = 0; i < commits; i += 23) {
      assert.equal(new TextDecoder().decode(await again.get(`k/${i % 37}/${i}`, { commit: log[commits - 1 - i]!.id })), `value ${i}`);
    }
    await again.close();
  } finally {
    cleanup();
  }
});

test('merges leave a pack git marked .keep where it is, among the smallest or not, and still merge the others', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const repo = join(dir, 'r.git');
    const store = await openStore(repo, { create: true, backend: { autoPack: { packs: 4 } } });
    const packDir = join(repo, 'objects', 'pack');
    await Promise.all(Array.from({ length: 4 }, (_, j) => store.set(`k/0/${j}`, `value 0 ${j}`, { message: `set 0 ${j}` })));
    await store.close();
    // The first group's pack, the smallest there will be, is kept: every merge would otherwise take it first.
    const [kept] = readdirSync(packDir).filter((n) => n.endsWith('.pack'));
    assert.ok(kept);
    writeFileSync(join(packDir, kept.replace(/\.pack$/, '.keep')), '');
    const again = await openStore(repo, { backend: { autoPack: { packs: 4 } } });
    for (let i = 1; i < 40; i++) {
      await Promise.all(Array.from({ length: 4 }, (_, j) => again.set(`k/${i}/${j}`, `value ${i} ${j}`, { message: `set ${i} ${j}` })));
    }
    await again.close();
    assert.ok(readdirSync(packDir).includes(kept), 'the kept pack is still there');
    assert.ok(packsIn(repo) < 20, `${packsIn(repo)} packs after 40 groups: the others were merged`);
    git(['--git-dir', repo, 'fsck', '--strict', '--no-dangling']);
    assert.equal(git(['--git-dir', repo, 'show', 'main:k/0/3']), 'value 0 3');
    assert.equal(git(['--git-dir', repo, 'show', 'main:k/39/3']), 'value 39 3');
  } finally {
    cleanup();
  }
});

test('a group commit stores each version of a large directory as a delta on the next one', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const repo = join(dir, 'r.git');
    const store = await openStore(repo, { create: true, backend: { autoPack: false } });
    // A directory of 400 keys (a tree of about 16 KB), then eight writes to it asked for at once.
    await store.update(async (tree) => {
      for (let i = 0; i < 400; i++) await tree.set(`box/${String(i).padStart(4, '0')}.json`, `{"flags":[],"n":${i}}`);
    });
    await Promise.all(Array.from({ length: 8 }, (_, j) => store.set(`box/${String(j * 50).padStart(4, '0')}.json`, `{"flags":["\\Seen"],"n":${j}}`, { message: `flag ${j}` })));
    await store.close();
    const packDir = join(repo, 'objects', 'pack');
    // The first write (400 values) is a pack of its own; the group's is the one with eight commits.
    const group = readdirSync(packDir).filter((n) => n.endsWith('.idx')).map((n) => ({
      pack: join(packDir, n.replace(/\.idx$/, '.pack')), verify: git(['verify-pack', '-v', join(packDir, n)]),
    })).find((p) => (p.verify.match(/ commit /g) ?? []).length === 8);
    assert.ok(group, 'the group is one pack');
    // Seven of the eight versions of box/ are deltas; whole, they would be eight trees of 16 KB.
    assert.match(group.verify, /^chain length = 7: 1 object/m);
    assert.ok(statSync(group.pack).size < 16_000, `${statSync(group.pack).size} bytes`);
    git(['--git-dir', repo, 'fsck', '--strict', '--no-dangling']);
    assert.equal(git(['--git-dir', repo, 'show', 'main:box/0350.json']), '{"flags":["\\Seen"],"n":7}');
  } finally {
    cleanup();
  }
});

test('one commit at a time is loose files; autoPack: false leaves group commits\' packs unmerged', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const repo = join(dir, 'r.git');
    const store = await openStore(repo, { create: true, backend: { autoPack: false } });
    for (let i = 0; i < 10; i++) await store.set(`a/${i}`, `v${i}`);
    assert.equal(packsIn(repo), 0);
    assert.ok(looseIn(repo) >= 30);
    for (let r = 0; r < 20; r++) await Promise.all([0, 1, 2, 3].map((j) => store.set(`b/${r}/${j}`, `v${r}-${j}`)));
    await store.close();
    assert.equal(packsIn(repo), 20);
    git(['--git-dir', repo, 'fsck', '--strict', '--no-dangling']);
  } finally {
    cleanup();
  }
});

test('estimateCount: loose objects counted as git gc --auto does, 256 times those in objects/17', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const objects = join(dir, 'objects');
    const loose = new LooseObjects(objects, false);
    assert.equal(loose.estimateCount(), 0);
    mkdirSync(join(objects, '17'), { recursive: true });
    for (const name of ['a'.repeat(38), 'b'.repeat(38), 'tmp_obj_123_x', 'c'.repeat(37)]) writeFileSync(join(objects, '17', name), '');
    assert.equal(loose.estimateCount(), 2 * 256);
  } finally {
    cleanup();
  }
});

test('past autoPack.loose, loose objects are packed in the background and their files removed; git reads the result', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const repo = join(dir, 'r.git');
    const store = await openStore(repo, { create: true, backend: { autoPack: { loose: 1000 } } });
    const commits = 800;
    // One commit at a time: each is about five loose objects (a blob, three trees, the commit).
    for (let i = 0; i < commits; i++) {
      await store.set(`k/${i % 50}/${i}`, `value ${i}`, { message: `set ${i}` });
      // Reads of older values go on while the packing runs and removes files.
      if (i % 97 === 96) assert.equal(new TextDecoder().decode(await store.get(`k/${(i - 90) % 50}/${i - 90}`)), `value ${i - 90}`);
    }
    await store.close(); // waits for a packing under way
    const loose = looseIn(repo);
    assert.ok(packsIn(repo) >= 1, 'no pack was written');
    // What was written after the last estimate stays loose: a few hundred objects at most, not thousands.
    assert.ok(loose < 1500, `${loose} loose files left of about ${commits * 5} written`);
    git(['--git-dir', repo, 'fsck', '--strict', '--no-dangling']);
    assert.equal(git(['--git-dir', repo, 'rev-list', '--count', 'main']).trim(), String(commits));
    const again = await openStore(repo);
    const log = (await again.log()).entries;
    for (let i = 0; i < commits; i += 37) {
      assert.equal(new TextDecoder().decode(await again.get(`k/${i % 50}/${i}`, { commit: log[commits - 1 - i]!.id })), `value ${i}`);
    }
    await again.close();
  } finally {
    cleanup();
  }
});

test('without autoPack.loose (the default), loose objects stay for gc', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const repo = join(dir, 'r.git');
    const store = await openStore(repo, { create: true });
    for (let i = 0; i < 400; i++) await store.set(`k/${i % 50}/${i}`, `value ${i}`);
    await store.close();
    assert.equal(packsIn(repo), 0);
    assert.ok(looseIn(repo) >= 1600);
  } finally {
    cleanup();
  }
});

test('gc after merges packs everything into one pack that git verifies', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const repo = join(dir, 'r.git');
    const store = await openStore(repo, { create: true });
    for (let i = 0; i < 40; i++) await Promise.all([0, 1, 2, 3].map((j) => store.set(`a/${i}/${j}`, `v${i}`)));
    const r = await store.backend.gc();
    assert.ok(r.removedPacks > 0);
    assert.equal(packsIn(repo), 1);
    await store.close();
    git(['--git-dir', repo, 'fsck', '--strict', '--no-dangling']);
    git(['--git-dir', repo, 'verify-pack', join(repo, 'objects', 'pack', readdirSync(join(repo, 'objects', 'pack')).find((n) => n.endsWith('.idx'))!)]);
  } finally {
    cleanup();
  }
});

test('a merge copies the packs earlier merges made as they are, searching only the new ones for deltas', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const packDir = join(dir, 'objects', 'pack');
    mkdirSync(packDir, { recursive: true });
    const set = new PackSet(packDir, { readExternal: async () => undefined, onWarning: () => {} });
    const loose = new LooseObjects(join(dir, 'objects'), false);
    // Two packs of similar blobs of 2 KB: each blob would be a delta of another.
    const line = (i: number, v: number) => `line ${i} of a long enough text that deltas are worth it, version ${v}\n`;
    const blobs = (v: number) => Array.from({ length: 20 }, (_, k) => ({
      type: 'blob' as const, body: new TextEncoder().encode(Array.from({ length: 30 }, (_, i) => line(i, i === k ? v + 1 : v)).join('')),
    }));
    const a = set.writeSmall(blobs(1));
    const b = set.writeSmall(blobs(2));
    const fresh = await repackAll(set, [a, b], loose, [], { fsync: false, minDeltaTarget: 512 });
    assert.ok(fresh.stats.newDeltas >= 30, JSON.stringify(fresh.stats));
    const again = await repackAll(set, [a, b], loose, [], { fsync: false, minDeltaTarget: 512, searched: () => true });
    assert.equal(again.stats.newDeltas, 0, JSON.stringify(again.stats));
    assert.equal(again.stats.reusedWhole, 40);
    await set.close();
  } finally {
    cleanup();
  }
});

/** Every commit of the repository's packs, as git verify-pack lists it: its size, and its bytes in the pack. */
function commitsInPacks(repo: string): { size: number; inPack: number }[] {
  const packDir = join(repo, 'objects', 'pack');
  const byId = new Map<string, { size: number; inPack: number }>();
  // A merge under way may have written its pack and not yet removed the old ones: each commit once.
  for (const idx of readdirSync(packDir).filter((n) => n.endsWith('.idx'))) {
    for (const f of git(['--git-dir', repo, 'verify-pack', '-v', join(packDir, idx)]).split('\n').map((l) => l.split(/\s+/))) {
      if (f[1] === 'commit') byId.set(f[0]!, { size: Number(f[2]), inPack: Number(f[3]) });
    }
  }
  return [...byId.values()];
}

const packBytes = (repo: string) => readdirSync(join(repo, 'objects', 'pack')).filter((n) => n.endsWith('.pack'))
  .reduce((sum, n) => sum + statSync(join(repo, 'objects', 'pack', n)).size, 0);

async function waitFor(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('once writes stop, compaction repacks the group commits\' packs with deltas, compressed; git checks the result', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const repo = join(dir, 'r.git');
    const store = await openStore(repo, { create: true, backend: { packThreshold: 2, autoPack: { packs: 4, compact: { idleMs: 150, minBytes: 0 } } } });
    // Directories of 40 entries rewritten by each commit: large enough for deltas, small enough to be stored.
    const rounds = 40;
    for (let r = 0; r < rounds; r++) {
      await Promise.all(Array.from({ length: 3 }, (_, j) => store.set(`box/${(r * 3 + j) % 40}.json`, `{"flags":["\\\\Seen"],"modseq":${r * 3 + j}}`, { message: `flag ${r * 3 + j}` })));
    }
    const before = commitsInPacks(repo);
    assert.equal(before.length, rounds * 3);
    assert.ok(before.every((c) => c.inPack > c.size), 'the write path stores commits uncompressed');
    const bytesBefore = packBytes(repo);
    await waitFor('one compacted pack', () => packsIn(repo) === 1 && commitsInPacks(repo).every((c) => c.inPack < c.size));
    const bytesAfter = packBytes(repo);
    assert.ok(bytesAfter < bytesBefore * 0.95, `${bytesBefore} bytes of packs before compaction, ${bytesAfter} after`);
    git(['--git-dir', repo, 'fsck', '--strict', '--no-dangling']);
    assert.match(git(['--git-dir', repo, 'verify-pack', '-v', join(repo, 'objects', 'pack', readdirSync(join(repo, 'objects', 'pack')).find((n) => n.endsWith('.idx'))!)]), /chain length = 1: \d+ objects/);
    // The store reads and writes on as before, and the next pack is compacted after the next pause.
    assert.equal(new TextDecoder().decode(await store.get('box/7.json')), `{"flags":["\\\\Seen"],"modseq":${rounds * 3 - 33}}`);
    await Promise.all([store.set('box/new', 'a'), store.set('box/other', 'b')]);
    assert.equal(packsIn(repo), 2);
    // Compacted on its own: the pack compaction made is not rewritten.
    await waitFor('the new pack compacted too', () => packsIn(repo) === 2 && commitsInPacks(repo).every((c) => c.inPack < c.size));
    assert.equal(git(['--git-dir', repo, 'rev-list', '--count', 'main']).trim(), String(rounds * 3 + 2));
    await store.close();
  } finally {
    cleanup();
  }
});

test('compaction leaves packs that hold no uncompressed commit, and waits for minBytes', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const repo = join(dir, 'r.git');
    const first = await openStore(repo, { create: true, backend: { packThreshold: 2 } });
    await first.import(Array.from({ length: 50 }, (_, i) => ({ key: `k/${i}`, value: `v${i}`, message: `import ${i}` })));
    await first.close();
    // Every entry compressed anew (git's gc would copy ours as they are), and no bitmap (a pack with one is never merged).
    git(['--git-dir', repo, '-c', 'repack.writeBitmaps=false', 'repack', '-a', '-d', '-F', '-q']);
    assert.equal(packsIn(repo), 1);
    const store = await openStore(repo, { backend: { packThreshold: 2, autoPack: { compact: { idleMs: 50, minBytes: 1 << 20 } } } });
    await Promise.all([store.set('a', '1'), store.set('b', '2')]);
    assert.equal(packsIn(repo), 2);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(packsIn(repo), 2, 'under minBytes: nothing compacted');
    await store.close();
    const again = await openStore(repo, { backend: { packThreshold: 2, autoPack: { compact: { idleMs: 50, minBytes: 0 } } } });
    const imported = readdirSync(join(repo, 'objects', 'pack')).filter((n) => n.endsWith('.pack')).map((n) => statSync(join(repo, 'objects', 'pack', n)).size).sort((x, y) => y - x)[0];
    await Promise.all([again.set('c', '3'), again.set('d', '4')]);
    await waitFor('the two write-path packs compacted', () => packsIn(repo) === 2);
    // The imported pack is still there, untouched: the largest pack keeps its size.
    const sizes = readdirSync(join(repo, 'objects', 'pack')).filter((n) => n.endsWith('.pack')).map((n) => statSync(join(repo, 'objects', 'pack', n)).size);
    assert.ok(sizes.includes(imported!), `packs ${sizes.join(', ')}; imported ${imported}`);
    git(['--git-dir', repo, 'fsck', '--strict', '--no-dangling']);
    await again.close();
  } finally {
    cleanup();
  }
});

test('gc compresses the entries group commits stored uncompressed', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const repo = join(dir, 'r.git');
    const store = await openStore(repo, { create: true, backend: { packThreshold: 2, autoPack: false } });
    for (let r = 0; r < 10; r++) await Promise.all([store.set(`x/${r}`, `a${r}`), store.set(`y/${r}`, `b${r}`)]);
    assert.ok(commitsInPacks(repo).every((c) => c.inPack > c.size));
    await store.backend.gc();
    const after = commitsInPacks(repo);
    assert.equal(after.length, 20);
    assert.ok(after.every((c) => c.inPack < c.size), JSON.stringify(after));
    git(['--git-dir', repo, 'fsck', '--strict', '--no-dangling']);
    await store.close();
  } finally {
    cleanup();
  }
});
