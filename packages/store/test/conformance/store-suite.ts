// One suite of Store behaviour, run against every backend (memory, disk) in a few lines each.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Store, type StoreOptions } from '../../src/store.js';
import type { Backend } from '../../src/backend/types.js';
import { fromUtf8, utf8 } from '../../src/git/bytes.js';
import { schemaByPrefix } from '../../src/schema.js';
import { counterType, jsonType, textType } from '../../src/merge/index.js';
import { isStoreError } from '../../src/errors.js';
import type { Change } from '../../src/store.js';

export interface BackendFactory {
  name: string;
  /** A fresh, empty backend and a function that disposes of it. */
  make(): Promise<{ backend: Backend; dispose: () => Promise<void> }>;
}

let clockMs = 1_700_000_000_000;
const clock = () => (clockMs += 1000);

async function withStore(f: BackendFactory, body: (s: Store) => Promise<void>, options: StoreOptions = {}): Promise<void> {
  const { backend, dispose } = await f.make();
  const store = new Store(backend, { clock, tzOffsetMinutes: 0, ...options });
  try {
    await body(store);
  } finally {
    await dispose();
  }
}

const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : fromUtf8(b));

export function storeSuite(f: BackendFactory): void {
  describe(`Store on the ${f.name} backend`, () => {
    test('an empty store has no value, no branch head and an empty log', () =>
      withStore(f, async (s) => {
        assert.equal(await s.get('a/b'), undefined);
        assert.equal(await s.head(), undefined);
        assert.deepEqual((await s.log()).entries, []);
        assert.deepEqual(await s.list(), []);
      }));

    test('a value read back is what was set, even when the caller reuses the array it passed', () =>
      withStore(f, async (s) => {
        const bytes = utf8('first value');
        await s.set('k', bytes);
        bytes.fill(0x2a);
        assert.equal(text(await s.get('k')), 'first value');
      }));

    test('writes asked for at once each get a commit, in the order asked, built one on the other', () =>
      withStore(f, async (s) => {
        await s.set('n', '0');
        const heads: (string | undefined)[] = [];
        const writes = Array.from({ length: 40 }, (_, i) => s.update(async (t, head) => {
          heads.push(head);
          const n = Number(text(await t.get('n')));
          await t.set('n', String(n + 1));
          await t.set(`each/${i}`, String(i));
          return n;
        }, { message: `write ${i}` }));
        const results = await Promise.all(writes);
        // Each saw the one before it: the counter went up by one per write, none lost.
        assert.deepEqual(results.map((r) => r.result), Array.from({ length: 40 }, (_, i) => i));
        assert.equal(text(await s.get('n')), '40');
        const log = (await s.log()).entries;
        assert.equal(log.length, 41);
        assert.deepEqual(log.slice(0, 40).map((e) => e.message).reverse(), Array.from({ length: 40 }, (_, i) => `write ${i}\n`));
        // Every write's commit is the parent of the next one's, and its head argument was that parent.
        for (let i = 0; i < 40; i++) {
          const c = results[i]!;
          assert.equal(c.changed, true);
          if (i > 0) assert.deepEqual((await s.objects.commit(c.commit!)).parents, [results[i - 1]!.commit]);
          if (i > 0) assert.equal(heads[i], results[i - 1]!.commit);
          assert.equal(text(await s.get(`each/${i}`, { commit: c.commit! })), String(i));
        }
        // Each write's head is where the branch was once its group landed: its own commit or a later one.
        const order = new Map(results.map((r, i) => [r.commit!, i]));
        let last = 0;
        for (let i = 0; i < 40; i++) {
          const j = order.get(results[i]!.head!);
          assert.ok(j !== undefined && j >= i && j >= last, `write ${i} landed at write ${j}`);
          last = j;
        }
        assert.equal(results[39]!.head, await s.head());
      }));

    test('a directory whose values every write of a group replaces holds, at each commit, the values of that write and those before it', () =>
      withStore(f, async (s) => {
        // Replacing values keeps a directory's names and modes: its next version is the last one's bytes
        // with ids written over (see Tree's encoding), once per write of every group.
        const values = Array.from({ length: 20 }, () => 'v0');
        await s.update(async (t) => {
          for (let k = 0; k < 20; k++) await t.set(`d/${k}`, values[k]!);
        }, { message: 'start' });
        const expected = new Map<string, string[]>();
        for (let round = 0; round < 6; round++) {
          const results = await Promise.all(Array.from({ length: 8 }, (_, i) => s.update((t) => t.set(`d/${(round * 8 + i) % 20}`, `v${round}.${i}`), { message: `r${round} w${i}` })));
          results.forEach((r, i) => {
            values[(round * 8 + i) % 20] = `v${round}.${i}`;
            expected.set(r.commit!, [...values]);
          });
        }
        assert.equal(expected.size, 48);
        for (const [commit, want] of expected) {
          for (let k = 0; k < 20; k++) assert.equal(text(await s.get(`d/${k}`, { commit })), want[k], `d/${k} at ${commit}`);
        }
      }));

    test('writes asked for in separate callbacks of one turn of the event loop (requests read from several connections) land as one group', () =>
      withStore(f, async (s) => {
        await s.set('first', '1');
        const results = await Promise.all(Array.from({ length: 4 }, (_, i) => new Promise<{ commit: string | undefined; head: string | undefined }>((resolve, reject) => {
          setImmediate(() => void s.update((t) => t.set(`k${i}`, String(i)), { message: `k${i}` }).then(resolve, reject));
        })));
        // Stored together: each landed at the head the last of them made.
        for (const r of results) assert.equal(r.head, results[3]!.commit);
        assert.deepEqual((await s.log()).entries.slice(0, 4).map((e) => e.message), ['k3\n', 'k2\n', 'k1\n', 'k0\n']);
      }));

    test('a write that throws among others fails alone and leaves nothing of what it changed', () =>
      withStore(f, async (s) => {
        const ok1 = s.update((t) => t.set('a', '1'), { message: 'a' });
        const bad = s.update(async (t) => {
          await t.set('a', 'half-done');
          await t.set('b', 'half-done');
          throw new Error('refused');
        }, { message: 'bad' });
        const unchanged = s.update(async (t) => t.get('a'), { message: 'nothing' });
        const ok2 = s.update((t) => t.set('c', '3'), { message: 'c' });
        const badAuthor = s.update((t) => t.set('d', '4'), { message: 'd', author: 'no mail address' });
        const [r1, rb, ru, r2, rd] = await Promise.allSettled([ok1, bad, unchanged, ok2, badAuthor]);
        assert.equal(rd.status, 'rejected');
        assert.match(String((rd as PromiseRejectedResult).reason), /author "no mail address"/);
        assert.equal(await s.get('d'), undefined);
        assert.equal(r1.status, 'fulfilled');
        assert.equal(rb.status, 'rejected');
        assert.match(String((rb as PromiseRejectedResult).reason), /refused/);
        assert.equal(ru.status, 'fulfilled');
        const u = (ru as PromiseFulfilledResult<{ commit: string | undefined; changed: boolean; result: Uint8Array | undefined }>).value;
        assert.equal(u.changed, false);
        assert.equal(text(u.result), '1');
        assert.equal(u.commit, (r1 as PromiseFulfilledResult<{ commit: string | undefined }>).value.commit);
        // It changed nothing, and still landed with the others: at the head the group left.
        assert.equal((ru as PromiseFulfilledResult<{ head: string | undefined }>).value.head, await s.head());
        assert.equal(r2.status, 'fulfilled');
        assert.equal(text(await s.get('a')), '1');
        assert.equal(await s.get('b'), undefined);
        assert.equal(text(await s.get('c')), '3');
        assert.deepEqual((await s.log()).entries.map((e) => e.message), ['c\n', 'a\n']);
      }));

    test('writes to different branches at once do not wait for each other', () =>
      withStore(f, async (s) => {
        await s.set('x', 'main');
        await s.createBranch('other');
        let release!: () => void;
        const gate = new Promise<void>((r) => { release = r; });
        const slow = s.update(async (t) => { await gate; await t.set('x', 'slow'); }, { branch: 'other', message: 'slow' });
        // The default branch is written while the other branch's edit is still waiting.
        await s.set('y', 'fast');
        release();
        await slow;
        assert.equal(text(await s.get('x', 'other')), 'slow');
        assert.equal(text(await s.get('y')), 'fast');
      }));

    test('set, get, list and remove keys; every write is a commit', () =>
      withStore(f, async (s) => {
        const c1 = await s.set('contacts/alice/vcard', 'BEGIN:VCARD', { message: 'add alice', author: 'Ann <ann@example.org>' });
        const c2 = await s.set('contacts/bob/vcard', utf8('BEGIN:VCARD\nbob'));
        assert.notEqual(c1, c2);
        assert.equal(text(await s.get('contacts/alice/vcard')), 'BEGIN:VCARD');
        assert.equal(text(await s.get(['contacts', 'bob', 'vcard'])), 'BEGIN:VCARD\nbob');
        assert.deepEqual(await s.list('contacts'), [{ name: 'alice', kind: 'tree' }, { name: 'bob', kind: 'tree' }]);
        assert.equal(await s.kind('contacts/alice'), 'tree');
        assert.equal(await s.kind('contacts/alice/vcard'), 'value');
        const log = await s.log();
        assert.equal(log.entries.length, 2);
        assert.equal(log.entries[1]!.message, 'add alice\n');
        assert.equal(log.entries[1]!.author.email, 'ann@example.org');
        await s.remove('contacts/alice');
        assert.equal(await s.get('contacts/alice/vcard'), undefined);
        assert.deepEqual(await s.list('contacts'), [{ name: 'bob', kind: 'tree' }]);
        // Reading an older commit still shows the removed value.
        assert.equal(text(await s.get('contacts/alice/vcard', { commit: c1 })), 'BEGIN:VCARD');
        // Setting the same value again makes no empty commit.
        const head = await s.head();
        assert.equal(await s.set('contacts/bob/vcard', 'BEGIN:VCARD\nbob'), head);
      }));

    test('bad keys and value/tree clashes are refused with a clear error', () =>
      withStore(f, async (s) => {
        await assert.rejects(s.set('a//b', 'x'), (e) => isStoreError(e, 'invalid-key') && /a\/\/b/.test((e as Error).message));
        await assert.rejects(s.set('a/../b', 'x'), (e) => isStoreError(e, 'invalid-key'));
        await assert.rejects(s.set('', 'x'), (e) => isStoreError(e, 'invalid-key'));
        await s.set('a', 'value');
        await assert.rejects(s.set('a/b', 'x'), (e) => isStoreError(e, 'type-mismatch') && /"a"/.test((e as Error).message));
        await s.set('t/x', '1');
        await assert.rejects(s.set('t', 'x'), (e) => isStoreError(e, 'type-mismatch'));
      }));

    test('branches: create (fork), list, write separately, delete', () =>
      withStore(f, async (s) => {
        await s.set('k', 'main-1');
        await s.createBranch('phone');
        await s.set('k', 'phone-1', { branch: 'phone' });
        assert.equal(text(await s.get('k')), 'main-1');
        assert.equal(text(await s.get('k', 'phone')), 'phone-1');
        assert.deepEqual(await s.branches(), ['main', 'phone']);
        await assert.rejects(s.createBranch('phone'), (e) => isStoreError(e, 'exists'));
        await assert.rejects(s.createBranch('bad..name'), (e) => isStoreError(e, 'invalid-ref'));
        await s.deleteBranch('phone');
        assert.deepEqual(await s.branches(), ['main']);
        await assert.rejects(s.get('k', 'phone'), (e) => isStoreError(e, 'not-found'));
      }));

    test('a tree view changes many keys in memory and commits once, without touching other views', () =>
      withStore(f, async (s) => {
        await s.set('base', 'b');
        const before = (await s.log()).entries.length;
        const r = await s.update(async (t) => {
          for (let i = 0; i < 200; i++) await t.set(`bulk/${i % 10}/${i}`, String(i));
          const copy = t.clone();
          await copy.set('only-in-copy', 'x');
          assert.equal(await t.get('only-in-copy'), undefined);
          await t.remove('base');
        }, { message: 'bulk' });
        assert.ok(r.changed);
        assert.equal((await s.log()).entries.length, before + 1);
        assert.equal(text(await s.get('bulk/7/57')), '57');
        assert.equal(await s.get('base'), undefined);
        const keys: string[] = [];
        for await (const { key } of (await s.tree()).walk('bulk/3')) keys.push(key);
        assert.equal(keys.length, 20);
        assert.ok(keys.every((k) => k.startsWith('bulk/3/')));
        // keys() is walk() in one array, also over a view with unwritten edits.
        const tree = await s.tree();
        const walked: { key: string; id: string | undefined }[] = [];
        for await (const e of tree.walk()) walked.push(e);
        assert.deepEqual(await tree.keys(), walked);
        await tree.set('bulk/3/new', 'n');
        await tree.remove('bulk/3/43');
        const edited: { key: string; id: string | undefined }[] = [];
        for await (const e of tree.walk('bulk/3')) edited.push(e);
        assert.deepEqual(await tree.keys('bulk/3'), edited);
        assert.deepEqual(edited.find((e) => e.key === 'bulk/3/new'), { key: 'bulk/3/new', id: undefined });
        assert.equal(edited.length, 20);
        assert.deepEqual(await tree.keys('bulk/3/33'), [{ key: 'bulk/3/33', id: walked.find((e) => e.key === 'bulk/3/33')!.id }]);
        assert.deepEqual(await tree.keys('no/such/prefix'), []);
      }));

    test('kind: a value, a tree while it holds anything (edited or stored), nothing once emptied by removals', () =>
      withStore(f, async (s) => {
        await s.set('a/b/c', '1');
        await s.set('a/d', '2');
        const tree = await s.tree();
        assert.equal(await tree.kind('a'), 'tree');
        assert.equal(await tree.kind('a/b'), 'tree');
        assert.equal(await tree.kind('a/b/c'), 'value');
        assert.equal(await tree.kind('a/b/c/x'), undefined);
        assert.equal(await tree.kind('nothing'), undefined);
        await tree.remove('a/b/c');
        assert.equal(await tree.kind('a/b'), undefined, 'a directory emptied in memory is no directory');
        assert.equal(await tree.kind('a'), 'tree', 'a/d is still there');
        await tree.remove('a/d');
        assert.equal(await tree.kind('a'), undefined, 'only an emptied directory left under a');
        await tree.set('a/b/e/f', '3');
        assert.equal(await tree.kind('a'), 'tree');
        assert.equal(await tree.kind('a/b/e'), 'tree');
        assert.equal(await s.kind('a/b'), 'tree', 'the stored tree is untouched');
      }));

    test('keys and walk give git order also for trees this store has just written (not the order of the writes)', () =>
      withStore(f, async (s) => {
        for (const k of ['b', 'a', 'c/x', 'c/a', 'c.d', 'c/m/z', 'c/m/a']) await s.set(k, k);
        const expected = ['a', 'b', 'c.d', 'c/a', 'c/m/a', 'c/m/z', 'c/x'];
        assert.deepEqual((await (await s.tree()).keys()).map((e) => e.key), expected);
        const walked: string[] = [];
        for await (const e of (await s.tree()).walk()) walked.push(e.key);
        assert.deepEqual(walked, expected);
        // The same through a fresh Store on the same backend (trees decoded, not primed by the writes).
        const again = new Store(s.backend);
        assert.deepEqual((await (await again.tree()).keys()).map((e) => e.key), expected);
        assert.deepEqual(await s.list('c'), [{ name: 'a', kind: 'value' }, { name: 'm', kind: 'tree' }, { name: 'x', kind: 'value' }]);
      }));

    test('import writes the very commits that one set or remove per record would', () =>
      withStore(f, async (s) => {
        // The same directories rewritten again and again, values overwritten and removed: what an
        // import's long-lived view must get right each time.
        const records = Array.from({ length: 120 }, (_, i) => ({
          key: `d/${i % 7}/${i % 13}`,
          // Keys repeat every 91 records: from then on, every fifth record removes a key set before.
          value: i >= 91 && i % 5 === 0 ? null : `v${i}`,
          time: 1_600_000_000_000 + i * 1000,
          message: `r${i}`,
        }));
        const imported = await s.import(records, { branch: 'imported' });
        assert.equal(imported.commits, 120);
        for (const r of records) {
          const o = { branch: 'one-by-one', time: r.time, message: r.message };
          if (r.value === null) await s.remove(r.key, o);
          else await s.set(r.key, r.value, o);
        }
        assert.equal(await s.head('one-by-one'), imported.head);
      }, { author: { name: 'I', email: 'i@example.org' } }));

    test('abbreviated commit ids resolve like git\'s: unique prefixes, branches first, ambiguity named', () =>
      withStore(f, async (s) => {
        const c1 = await s.set('a', '1');
        const c2 = await s.set('a', '2');
        assert.equal(await s.resolve(c1.slice(0, 7)), c1);
        assert.equal(await s.resolve({ commit: c1.slice(0, 4).toUpperCase() }), c1);
        assert.equal(text(await s.get('a', c1.slice(0, 10))), '1');
        const reverted = await s.revert(c2.slice(0, 8));
        assert.ok(reverted.ok);
        assert.match((await s.log({ limit: 1 })).entries[0]!.message, new RegExp(`This reverts commit ${c2}`));
        // A branch named like a prefix wins, as in git.
        await s.createBranch(c1.slice(0, 6), c2);
        assert.equal(await s.resolve(c1.slice(0, 6)), c2);
        await assert.rejects(s.resolve('ffff0000'), (e: unknown) => isStoreError(e, 'not-found') && /ffff0000/.test((e as Error).message));
        // Two commits sharing four leading digits: found by writing dangling commits until they meet.
        const byPrefix = new Map<string, string>();
        let pair: [string, string] | undefined;
        const tree = (await s.tree()).hash();
        for (let i = 0; !pair && i < 5000; i++) {
          const id = await s.writeCommit(await tree, [], { message: `dangling ${i}`, time: 1_600_000_000_000 });
          const seen = byPrefix.get(id.slice(0, 4));
          if (seen) pair = [seen, id];
          else byPrefix.set(id.slice(0, 4), id);
        }
        assert.ok(pair, 'two commits with the same 4-digit prefix');
        await assert.rejects(s.resolve(pair[0].slice(0, 4)), (e: unknown) =>
          isStoreError(e, 'ambiguous') && (e as Error).message.includes(pair![0]) && (e as Error).message.includes(pair![1]));
        // One more digit (or as many as they share, plus one) tells them apart.
        let n = 5;
        while (pair[0].slice(0, n) === pair[1].slice(0, n)) n++;
        assert.equal(await s.resolve(pair[1].slice(0, n)), pair[1]);
      }));

    test('ancestry does not trust clocks: a child dated years before its parent is still a descendant', () =>
      withStore(f, async (s) => {
        const parent = await s.set('k', 'new clock', { time: Date.UTC(2030, 0, 1) });
        const child = await s.set('k', 'old clock', { time: Date.UTC(2001, 0, 1) });
        const grandchild = await s.set('k', 'now', { time: Date.UTC(2030, 0, 2) });
        assert.equal(await s.isAncestor(parent, grandchild), true);
        assert.equal(await s.isAncestor(parent, child), true);
        assert.equal(await s.isAncestor(child, parent), false);
        await s.createBranch('side', { commit: parent });
        const side = await s.set('other', 'x', { branch: 'side', time: Date.UTC(2030, 0, 3) });
        assert.deepEqual(await s.mergeBases('main', 'side'), [parent]);
        assert.equal(await s.isAncestor(side, grandchild), false);
      }));

    test('history: paginated log and the history of one key', () =>
      withStore(f, async (s) => {
        for (let i = 0; i < 25; i++) await s.set(i % 5 === 0 ? 'watched' : `other/${i}`, `v${i}`, { message: `m${i}` });
        const page1 = await s.log({ limit: 10 });
        assert.equal(page1.entries.length, 10);
        assert.equal(page1.entries[0]!.message, 'm24\n');
        const page2 = await s.log({ limit: 10, after: page1.next! });
        assert.equal(page2.entries[0]!.message, 'm14\n');
        const page3 = await s.log({ limit: 10, after: page2.next! });
        assert.equal(page3.entries.length, 5);
        assert.equal(page3.next, undefined);
        const hist = await s.log({ key: 'watched' });
        assert.deepEqual(hist.entries.map((e) => e.message), ['m20\n', 'm15\n', 'm10\n', 'm5\n', 'm0\n']);
        await s.remove('watched');
        const after = await s.log({ key: 'watched', limit: 2 });
        assert.equal(after.entries[0]!.value, undefined);
        assert.equal(after.entries[0]!.message, 'Remove watched\n');
      }));

    test('revert undoes one commit with a new commit, and the revert can be reverted', () =>
      withStore(f, async (s) => {
        await s.set('a', '1');
        const bad = await s.set('a', '2');
        await s.set('b', 'unrelated');
        const r = await s.revert(bad);
        assert.ok(r.ok);
        assert.equal(text(await s.get('a')), '1');
        assert.equal(text(await s.get('b')), 'unrelated');
        const r2 = await s.revert(r.commit);
        assert.ok(r2.ok);
        assert.equal(text(await s.get('a')), '2');
        // Restore makes the whole content equal to an earlier commit, keeping history.
        const first = (await s.log()).entries.at(-1)!.id;
        await s.restore(first);
        assert.equal(await s.get('b'), undefined);
        assert.equal(text(await s.get('a')), '1');
      }));

    test('test-and-set of a key and of a branch head', () =>
      withStore(f, async (s) => {
        assert.deepEqual((await s.testAndSet('n', undefined, '1')).ok, true);
        const fail = await s.testAndSet('n', '0', '2');
        assert.equal(fail.ok, false);
        assert.equal(!fail.ok && text(fail.current), '1');
        assert.equal((await s.testAndSet('n', '1', '2')).ok, true);
        assert.equal(text(await s.get('n')), '2');
        const head = (await s.head())!;
        const older = (await s.log()).entries[1]!.id;
        assert.equal(await s.setHead('main', older, head), false);
        assert.equal(await s.setHead('main', head, older), true);
        assert.equal(text(await s.get('n')), '1');
        // The next writes build on the head as moved, not on the commit this store last wrote: an edit
        // sees what the head holds, and one that throws for what it found fails for the moved head.
        await s.set('n', '3');
        assert.equal(await s.setHead('main', (await s.head())!, older), true);
        const r = await s.update(async (t) => {
          if (text(await t.get('n')) !== '1') throw new Error(`n is ${text(await t.get('n'))}, not 1`);
          await t.set('m', 'x');
        });
        assert.deepEqual((await s.objects.commit(r.commit!)).parents, [older]);
        assert.equal(text(await s.get('n')), '1');
        const same = await s.update(async (t) => {
          await t.set('m', 'x');
        });
        assert.equal(same.changed, false);
        assert.equal(await s.setHead('main', r.commit!, older), true);
        // Nothing to change on the moved head either: reported against it, and the head stays put.
        const none = await s.update(async (t) => {
          assert.equal(await t.get('m'), undefined);
        });
        assert.equal(none.changed, false);
        assert.equal(await s.head(), older);
        await s.set('n', '3');
        assert.equal(await s.setHead('main', (await s.head())!, older), true);
        await assert.rejects(s.update(async (t) => {
          if (text(await t.get('n')) !== '3') throw new Error('n is not 3');
        }), /n is not 3/);
        // The same in a group whose other write changes something.
        await s.set('n', '3');
        assert.equal(await s.setHead('main', (await s.head())!, older), true);
        const [checked, other] = await Promise.all([
          s.update(async (t) => {
            if (text(await t.get('n')) !== '1') throw new Error(`n is ${text(await t.get('n'))}, not 1`);
            await t.set('checked', 'yes');
          }),
          s.update(async (t) => t.set('other', 'yes')),
        ]);
        assert.deepEqual((await s.objects.commit(checked.commit!)).parents, [older]);
        assert.deepEqual((await s.objects.commit(other.commit!)).parents, [checked.commit!]);
      }));

    test('merge: fast-forward, up-to-date, and typed three-way merges of branches', () =>
      withStore(f, async (s) => {
        await s.write('contacts/alice', { name: 'Alice', email: 'a@old', phone: '1' });
        await s.write('counters/visits', 10);
        await s.createBranch('laptop');
        await s.set('notes/x', 'new', { branch: 'laptop' });
        const ff = await s.merge('laptop');
        assert.ok(ff.ok && ff.kind === 'fast-forward');
        assert.ok((await s.merge('laptop')).ok);
        // Concurrent edits of different fields and of a counter on two devices.
        await s.write('contacts/alice', { name: 'Alice', email: 'a@new', phone: '1' });
        await s.write('counters/visits', 13);
        await s.write('contacts/alice', { name: 'Alice', email: 'a@old', phone: '2' }, { branch: 'laptop' });
        await s.write('counters/visits', 15, { branch: 'laptop' });
        const m = await s.merge('laptop');
        assert.ok(m.ok && m.kind === 'merge', JSON.stringify(m));
        assert.deepEqual(await s.read('contacts/alice'), { name: 'Alice', email: 'a@new', phone: '2' });
        assert.equal(await s.read('counters/visits'), 18);
        const mc = (await s.log({ limit: 1 })).entries[0]!;
        assert.equal(mc.parents.length, 2);
        // Merging back the other way is now a fast-forward.
        const back = await s.merge('main', { into: 'laptop' });
        assert.ok(back.ok && back.kind === 'fast-forward');
      }, { schema: schemaByPrefix({ contacts: jsonType, counters: counterType }) }));

    test('merge conflicts are returned as data, change nothing, and can be resolved and retried', () =>
      withStore(f, async (s) => {
        await s.set('doc', 'base');
        await s.set('shape', 'value');
        await s.createBranch('other');
        await s.set('doc', 'ours');
        await s.set('doc', 'theirs', { branch: 'other' });
        // One side turns a value into a tree of keys, the other edits the value.
        await s.remove('shape', { branch: 'other' });
        await s.set('shape/inner', 'tree now', { branch: 'other' });
        await s.set('shape', 'edited');
        const head = await s.head();
        const r = await s.merge('other');
        assert.equal(r.ok, false);
        if (r.ok) return;
        assert.deepEqual(r.conflicts.map((c) => c.key).sort(), ['doc', 'shape']);
        const doc = r.conflicts.find((c) => c.key === 'doc')!;
        assert.deepEqual([doc.base, doc.ours, doc.theirs].map((x) => x?.kind === 'value' ? fromUtf8(x.bytes) : x), ['base', 'ours', 'theirs']);
        const shape = r.conflicts.find((c) => c.key === 'shape')!;
        assert.equal(shape.theirs?.kind, 'tree');
        assert.match(shape.message, /value on one side and a tree/);
        assert.equal(await s.head(), head, 'a conflicting merge must not move the branch');
        const again = await s.merge('other', { resolutions: new Map([['doc', utf8('both')], ['shape', utf8('kept')]]) });
        assert.ok(again.ok, JSON.stringify(again));
        assert.equal(text(await s.get('doc')), 'both');
        assert.equal(text(await s.get('shape')), 'kept');
      }, { schema: schemaByPrefix({ doc: textType }) }));

    test('criss-cross histories have two merge bases and still merge', () =>
      withStore(f, async (s) => {
        await s.write('c', 0);
        await s.createBranch('b');
        await s.write('c', 1);
        await s.write('c', 2, { branch: 'b' });
        const a1 = (await s.head())!;
        const b1 = (await s.head('b'))!;
        // Each side merges the other's first commit: criss-cross.
        assert.ok((await s.merge(b1)).ok);
        assert.ok((await s.merge(a1, { into: 'b' })).ok);
        assert.equal(await s.read('c'), 3);
        assert.equal(await s.read('c', undefined, 'b'), 3);
        await s.write('c', 5);
        await s.write('c', 10, { branch: 'b' });
        const bases = await s.mergeBases('main', 'b');
        assert.equal(bases.length, 2);
        assert.ok((await s.merge('b')).ok);
        assert.equal(await s.read('c'), 3 + 2 + 7);
      }, { schema: () => counterType }));

    test('watch reports changed keys under a prefix with old and new values, in order', () =>
      withStore(f, async (s) => {
        const seen: Change[] = [];
        const stop = s.watch((c) => seen.push(c), { prefix: 'mail' });
        await s.set('mail/inbox/1', 'hello');
        await s.set('other', 'ignored');
        await s.set('mail/inbox/1', 'hello again');
        await s.remove('mail/inbox/1');
        for (let i = 0; i < 100 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
        stop();
        assert.deepEqual(seen.map((c) => [c.key, text(c.old), text(c.new)]), [
          ['mail/inbox/1', undefined, 'hello'],
          ['mail/inbox/1', 'hello', 'hello again'],
          ['mail/inbox/1', 'hello again', undefined],
        ]);
      }));
  });
}
