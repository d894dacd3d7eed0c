// Object encodings must be byte-identical to git's: ids are checked against the real git binary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCommit, decodeCommit, type Commit } from '../src/git/commit-codec.js';
import { encodeTree, decodeTree, type TreeEntry } from '../src/git/tree-codec.js';
import { frame, hashObject } from '../src/git/object.js';
import { hashObjectFast, nodeSha1 } from '../src/backend/fs/hash.js';
import { portableSha1 } from '../src/git/sha1.js';
import { concat as concatBytes, utf8 } from '../src/git/bytes.js';
import { EMPTY_TREE_ID } from '../src/tree.js';
import { git, gitBytes } from './helpers/git.js';

test('blob ids equal git hash-object', () => {
  for (const text of ['', 'hello\n', 'ünïcødé ✓', 'x'.repeat(100_000)]) {
    const ours = hashObject(portableSha1, 'blob', utf8(text));
    assert.equal(ours, git(['hash-object', '--stdin'], { input: text }).trim());
  }
});

test("the on-disk backend's fast ids equal git hash-object, small (one buffer reused) and big (streamed)", () => {
  // Sizes around the framing buffer's first size and around the one-shot limit; a big one between two
  // small ones checks that the reused buffer holds nothing over.
  for (const n of [0, 5, 4090, 5000, 65_536, 65_537, 200_000, 3]) {
    const text = 'ab\n'.repeat(Math.ceil(n / 3)).slice(0, n);
    for (const type of ['blob', 'commit'] as const) {
      const expected = git(['hash-object', '-t', type, '--literally', '--stdin'], { input: text }).trim();
      assert.equal(hashObjectFast(type, utf8(text)), expected, `${type} of ${n} bytes`);
      assert.equal(nodeSha1(frame(type, utf8(text))), expected, `nodeSha1 of the framed ${type}`);
    }
  }
});

test('tree encoding is byte-identical to git mktree, including git entry order', () => {
  const blob = hashObject(portableSha1, 'blob', utf8('v'));
  const sub = EMPTY_TREE_ID;
  // "a.b" sorts before the tree "a" (compared as "a/") and "a0" after it: git's order, not plain name order.
  const entries: TreeEntry[] = [
    { name: 'a0', mode: '100644', id: blob },
    { name: 'a', mode: '40000', id: sub },
    { name: 'a.b', mode: '100644', id: blob },
    { name: 'run.sh', mode: '100755', id: blob },
    { name: 'é', mode: '100644', id: blob },
  ];
  const body = encodeTree(entries);
  const ours = hashObject(portableSha1, 'tree', body);
  const theirs = git(['hash-object', '-t', 'tree', '--stdin'], { input: body }).trim();
  assert.equal(ours, theirs);
  assert.deepEqual(decodeTree(body).map((e) => e.name), ['a.b', 'a', 'a0', 'run.sh', 'é']);
  assert.throws(() => encodeTree([{ name: '..', mode: '100644', id: blob }]), /not allowed/);
});

test('decodeTree reads back every name, mode and id, with names decoded one per entry', () => {
  // Names of every kind side by side: multi-byte, astral, long, one byte; ids with every byte value.
  const names = ['\u{1F600} smile', 'a', 'é', 'x'.repeat(300), 'tab\tand space', '中文', 'z'];
  const entries: TreeEntry[] = names.map((name, i) => ({
    name,
    mode: (['100644', '100755', '120000', '40000', '160000'] as const)[i % 5]!,
    id: Array.from({ length: 20 }, (_, j) => ((i * 37 + j * 13) % 256).toString(16).padStart(2, '0')).join(''),
  }));
  const body = encodeTree(entries);
  const decoded = decodeTree(body);
  assert.equal(decoded.length, entries.length);
  assert.deepEqual(new Set(decoded.map((e) => JSON.stringify(e))), new Set(entries.map((e) => JSON.stringify({ mode: e.mode, name: e.name, id: e.id }))));
  assert.equal(encodeTree(decoded).length, body.length);
  // Old modes git still reads: 040000 for a tree, 100664 for a file.
  const legacy = concatBytes([utf8('040000 d\0'), new Uint8Array(20), utf8('100664 f\0'), new Uint8Array(20).fill(0xff)]);
  assert.deepEqual(decodeTree(legacy), [
    { mode: '40000', name: 'd', id: '0'.repeat(40) },
    { mode: '100644', name: 'f', id: 'f'.repeat(40) },
  ]);
  assert.deepEqual(decodeTree(new Uint8Array(0)), []);
  assert.throws(() => decodeTree(utf8('100644 cut\0abc'), 'badtree'), /badtree: truncated/);
  // No space after the mode, no NUL after the name, a second entry cut short: each named with its offset.
  assert.throws(() => decodeTree(utf8('100644'), 'nospace'), /nospace: truncated entry at byte 0/);
  assert.throws(() => decodeTree(utf8('100644 name-without-nul'), 'nonul'), /nonul: truncated entry at byte 0/);
  const one = concatBytes([utf8('100644 a\0'), new Uint8Array(20)]);
  assert.throws(() => decodeTree(concatBytes([one, utf8('100644 b\0'), new Uint8Array(19)]), 'short'), /short: truncated entry at byte 29/);
  assert.throws(() => decodeTree(concatBytes([utf8('777 x\0'), new Uint8Array(20)]), 'badmode'), /badmode: bad mode/);
});

test('commit encoding round-trips and hashes like git', () => {
  const c: Commit = {
    tree: EMPTY_TREE_ID,
    parents: [],
    author: { name: 'Ada Lovelace', email: 'ada@example.org', time: 1_700_000_000, tz: '+0100' },
    committer: { name: 'Ada Lovelace', email: 'ada@example.org', time: 1_700_000_000, tz: '+0100' },
    message: 'First\n\nWith a body.\n',
  };
  const body = encodeCommit(c);
  assert.deepEqual(decodeCommit(body), c);
  const ours = hashObject(portableSha1, 'commit', body);
  assert.equal(ours, git(['hash-object', '-t', 'commit', '--stdin'], { input: body }).trim());
  assert.throws(() => encodeCommit({ ...c, author: { ...c.author, name: 'Eve <x>' } }), /author name/);
});

test('commits git wrote (with a signature header) decode and re-encode to the same bytes', () => {
  const raw = gitBytes(['hash-object', '-t', 'commit', '--stdin', '--literally'], {
    input: `tree ${EMPTY_TREE_ID}\nauthor A <a@b> 1 +0000\ncommitter A <a@b> 1 +0000\ngpgsig -----BEGIN-----\n line\n -----END-----\n\nmsg\n`,
  });
  assert.match(raw.toString(), /^[0-9a-f]{40}/);
  const body = utf8(`tree ${EMPTY_TREE_ID}\nauthor A <a@b> 1 +0000\ncommitter A <a@b> 1 +0000\ngpgsig -----BEGIN-----\n line\n -----END-----\n\nmsg\n`);
  const c = decodeCommit(body);
  assert.deepEqual(c.extraHeaders, [['gpgsig', '-----BEGIN-----\nline\n-----END-----']]);
  assert.deepEqual(encodeCommit(c), body);
});

test('entry order equals git byte order for any names, astral characters included', async () => {
  const fc = (await import('fast-check')).default;
  const { compareEntries } = await import('../src/git/tree-codec.js');
  const bytesOrder = (a: TreeEntry, b: TreeEntry) => {
    const x = Buffer.from(a.mode === '40000' ? a.name + '/' : a.name);
    const y = Buffer.from(b.mode === '40000' ? b.name + '/' : b.name);
    return Math.sign(Buffer.compare(x, y));
  };
  const name = fc.string({ unit: fc.constantFrom('a', 'b', '.', '-', 'é', '\uE000', '\uFFFD', '😀', '𝄞'), minLength: 1, maxLength: 4 });
  const entry = fc.record({ name, mode: fc.constantFrom('100644' as const, '40000' as const), id: fc.constant(EMPTY_TREE_ID) });
  fc.assert(fc.property(entry, entry, (a, b) => Math.sign(compareEntries(a, b)) === bytesOrder(a, b)), { numRuns: 5000 });
});

test('the entries of a tree are found by name as a Map finds them, in git order or out of it', async () => {
  const fc = (await import('fast-check')).default;
  const { compareEntries } = await import('../src/git/tree-codec.js');
  const { TreeEntryMap } = await import('../src/tree-entries.js');
  // Names where git's order and plain string order part ways: "a" the directory sorts as "a/", after "a.b".
  const name = fc.string({ unit: fc.constantFrom('a', 'b', '.', '-', '/', 'é', '\uE000', '😀'), minLength: 1, maxLength: 3 }).filter((n) => !n.includes('/'));
  const entry = fc.record({ name, mode: fc.constantFrom('100644' as const, '100755' as const, '40000' as const, '160000' as const), id: fc.constant(EMPTY_TREE_ID) });
  const entries = fc.uniqueArray(entry, { selector: (e) => e.name, maxLength: 40 });
  fc.assert(fc.property(entries, fc.array(name, { maxLength: 20 }), fc.boolean(), (list, probes, sorted) => {
    // A tree another tool stored out of order (git fsck calls it unsorted) is still read whole.
    const ordered = sorted ? [...list].sort(compareEntries) : list;
    const byName = new Map(ordered.map((e) => [e.name, e]));
    const map = new TreeEntryMap(ordered);
    for (const n of [...probes, ...ordered.map((e) => e.name)]) {
      assert.equal(map.get(n), byName.get(n), n);
      assert.equal(map.has(n), byName.has(n), n);
      // Where it is: always found in git's order; out of order, found right or not at all.
      const i = map.indexOf(n);
      if (!byName.has(n)) assert.equal(i, -1, n);
      else if (sorted) assert.equal(ordered[i], byName.get(n), n);
      else assert.ok(i === -1 || ordered[i] === byName.get(n), n);
    }
  }), { numRuns: 2000 });
});

test('a tree edited commit after commit encodes as the same tree built from scratch', async () => {
  const fc = (await import('fast-check')).default;
  const { Store, memoryBackend } = await import('../src/index.js');
  const segment = fc.constantFrom('a', 'a.b', 'a0', 'b', 'é');
  const key = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/'));
  const op = fc.oneof(fc.record({ set: key, value: fc.string({ maxLength: 3 }) }), fc.record({ remove: key }));
  /** The reference: nested maps of the keys, encoded with encodeTree (which sorts), bottom up. */
  const encodeFromScratch = (values: Map<string, Uint8Array>): string => {
    type Dir = Map<string, Dir | Uint8Array>;
    const root: Dir = new Map();
    for (const [k, v] of values) {
      const parts = k.split('/');
      let d = root;
      for (const p of parts.slice(0, -1)) d = (d.get(p) ?? d.set(p, new Map()).get(p)) as Dir;
      d.set(parts[parts.length - 1]!, v);
    }
    const encode = (d: Dir): string => hashObject(portableSha1, 'tree', encodeTree([...d].map(([name, v]) => v instanceof Uint8Array
      ? { name, mode: '100644' as const, id: hashObject(portableSha1, 'blob', v) }
      : { name, mode: '40000' as const, id: encode(v) })));
    return encode(root);
  };
  // A commit of one to three changes: a value can become a directory in one (remove "a", set "a/b").
  await fc.assert(fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 20 }), async (commits) => {
    const store = new Store(memoryBackend());
    // The model: what the keys must hold, with the store's rules (no value under a value, no value over a directory).
    let model = new Map<string, Uint8Array>();
    for (const ops of commits) {
      const next = new Map(model);
      let refused = false;
      for (const o of ops) {
        if ('set' in o) {
          const parts = o.set.split('/');
          const underValue = parts.slice(1).some((_, i) => next.has(parts.slice(0, i + 1).join('/')));
          const overDir = [...next.keys()].some((k) => k.startsWith(`${o.set}/`));
          if (underValue || overDir) refused = true;
          else next.set(o.set, utf8(o.value));
        } else {
          for (const k of [...next.keys()]) if (k === o.remove || k.startsWith(`${o.remove}/`)) next.delete(k);
        }
      }
      // Each edit starts from the stored tree of the commit before.
      const wrote = await store.update(async (tree) => {
        for (const o of ops) {
          if ('set' in o) await tree.set(o.set, o.value);
          else await tree.remove(o.remove);
        }
      }).then(() => true, () => false);
      assert.equal(wrote, !refused, JSON.stringify(ops));
      if (wrote) model = next;
    }
    assert.equal(await (await store.tree()).hash(), encodeFromScratch(model));
  }), { numRuns: 300 });
});
