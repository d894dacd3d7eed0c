// The store and the real git binary read each other's repositories, packed or not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { openStore, initRepository } from '../src/node.js';
import { fromUtf8 } from '../src/git/bytes.js';
import { git, gitBytes, tempDir } from './helpers/git.js';

/** A repository made by git with nested files, edits, removals, two branches and a merge. */
function makeGitRepo(root: string): { bare: string } {
  const work = join(root, 'work');
  mkdirSync(work);
  git(['init', '-q', '-b', 'main', work]);
  const write = (p: string, s: string) => { mkdirSync(dirname(join(work, p)), { recursive: true }); writeFileSync(join(work, p), s); };
  for (let i = 0; i < 40; i++) {
    write(`contacts/c${i % 7}/vcard`, `BEGIN:VCARD\nFN:Person ${i % 7}\nNOTE:${'edit '.repeat(i)}\nEND:VCARD\n`);
    write(`calendar/e${i}.ics`, `BEGIN:VCALENDAR\nUID:${i}\nEND:VCALENDAR\n`);
    if (i % 9 === 8) git(['rm', '-q', `calendar/e${i - 3}.ics`], { cwd: work });
    git(['add', '-A'], { cwd: work });
    git(['commit', '-q', '-m', `change ${i}`], { cwd: work });
    if (i === 20) git(['branch', 'side'], { cwd: work });
  }
  git(['checkout', '-q', 'side'], { cwd: work });
  write('side/only.txt', 'from the side branch\n');
  git(['add', '-A'], { cwd: work });
  git(['commit', '-q', '-m', 'side work'], { cwd: work });
  git(['checkout', '-q', 'main'], { cwd: work });
  git(['merge', '-q', '--no-edit', 'side'], { cwd: work });
  git(['tag', '-a', 'v1', '-m', 'annotated'], { cwd: work });
  const bare = join(root, 'repo.git');
  git(['clone', '-q', '--bare', work, bare]);
  return { bare };
}

async function checkStoreMatchesGit(bare: string): Promise<void> {
  const store = await openStore(bare);
  try {
    // Every key and value at main, as git lists them.
    const lsTree = git(['--git-dir', bare, 'ls-tree', '-r', 'main']).trim().split('\n');
    const keys: string[] = [];
    for await (const { key, id } of (await store.tree()).walk()) {
      keys.push(key);
      assert.equal(id, lsTree.find((l) => l.endsWith(`\t${key}`))!.split(/\s+/)[2]);
    }
    assert.deepEqual(keys, lsTree.map((l) => l.split('\t')[1]));
    for (const key of keys.slice(0, 20)) {
      assert.equal(fromUtf8((await store.get(key))!), git(['--git-dir', bare, 'show', `main:${key}`]));
    }
    // The whole history, in git's order, and the history of one key with git's simplification.
    const all = (await store.log()).entries.map((e) => e.id);
    assert.deepEqual(all, git(['--git-dir', bare, 'log', '--format=%H', 'main']).trim().split('\n'));
    const keyLog = (await store.log({ key: 'contacts/c3/vcard' })).entries.map((e) => e.id);
    assert.deepEqual(keyLog, git(['--git-dir', bare, 'log', '--format=%H', 'main', '--', 'contacts/c3/vcard']).trim().split('\n'));
    const dirLog = (await store.log({ key: 'calendar' })).entries.map((e) => e.id);
    assert.deepEqual(dirLog, git(['--git-dir', bare, 'log', '--format=%H', 'main', '--', 'calendar']).trim().split('\n'));
    assert.deepEqual(await store.branches(), ['main', 'side']);
    assert.deepEqual(await store.mergeBases('main', 'side'), [git(['--git-dir', bare, 'merge-base', 'main', 'side']).trim()]);
    // An annotated tag is followed to its commit.
    const tag = git(['--git-dir', bare, 'rev-parse', 'v1']).trim();
    assert.equal(await store.resolve({ commit: tag }), git(['--git-dir', bare, 'rev-parse', 'v1^{commit}']).trim());
    // Writing into git's repository, git then reads it.
    await store.set('contacts/new/vcard', 'BEGIN:VCARD\nFN:New\nEND:VCARD\n', { message: 'add new', author: 'Nym <nym@example.org>' });
    assert.equal(git(['--git-dir', bare, 'show', 'main:contacts/new/vcard']), 'BEGIN:VCARD\nFN:New\nEND:VCARD\n');
    assert.equal(git(['--git-dir', bare, 'log', '-1', '--format=%an <%ae>|%s']).trim(), 'Nym <nym@example.org>|add new');
    git(['--git-dir', bare, 'fsck', '--strict', '--no-dangling']);
  } finally {
    await store.close();
  }
}

test('reads a loose repository git made, and git reads what the store adds', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { bare } = makeGitRepo(dir);
    await checkStoreMatchesGit(bare);
  } finally {
    cleanup();
  }
});

test('reads a repository after git gc --aggressive and pack-refs (deltas, packed refs)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const { bare } = makeGitRepo(dir);
    git(['--git-dir', bare, 'gc', '-q', '--aggressive', '--prune=now']);
    git(['--git-dir', bare, 'pack-refs', '--all']);
    assert.equal(git(['--git-dir', bare, 'count-objects', '-v']).match(/^count: (\d+)/m)![1], '0');
    await checkStoreMatchesGit(bare);
  } finally {
    cleanup();
  }
});

test('git reads a store written from scratch, after our gc too', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const store = await openStore(dir, { create: true });
    for (let i = 0; i < 30; i++) await store.set(`mail/inbox/${i}`, `Subject: ${i}\n\n${'body '.repeat(i)}`, { message: `deliver ${i}` });
    await store.createBranch('archive');
    await store.remove('mail/inbox/3', { message: 'expunge 3' });
    const bin = new Uint8Array(256).map((_, i) => i);
    await store.set('attachments/bytes', bin);
    assert.deepEqual(new Uint8Array(gitBytes(['--git-dir', dir, 'show', 'main:attachments/bytes'])), bin);
    assert.equal(git(['--git-dir', dir, 'rev-list', '--count', 'main']).trim(), '32');
    assert.equal(git(['--git-dir', dir, 'show', 'archive:mail/inbox/3']), `Subject: 3\n\n${'body '.repeat(3)}`);
    git(['--git-dir', dir, 'fsck', '--strict', '--no-dangling']);
    await store.backend.gc();
    assert.equal(git(['--git-dir', dir, 'count-objects', '-v']).match(/^count: (\d+)/m)![1], '0');
    git(['--git-dir', dir, 'fsck', '--strict', '--no-dangling']);
    assert.equal(fromUtf8((await store.get('mail/inbox/29'))!), `Subject: 29\n\n${'body '.repeat(29)}`);
    await store.close();
    // A fresh open (no caches) still reads everything from the pack.
    const again = await openStore(dir);
    assert.equal((await again.log()).entries.length, 32);
    await again.close();
    // An empty store that git initialised is readable too.
    const empty = join(dir, 'empty.git');
    git(['init', '-q', '--bare', '-b', 'main', empty]);
    const e = await openStore(empty);
    assert.equal(await e.head(), undefined);
    await e.set('first', '1');
    assert.equal(git(['--git-dir', empty, 'show', 'main:first']), '1');
    await e.close();
    const b = await initRepository(join(dir, 'ours.git'));
    await b.close();
    assert.equal(git(['--git-dir', join(dir, 'ours.git'), 'symbolic-ref', 'HEAD']).trim(), 'refs/heads/main');
  } finally {
    cleanup();
  }
});
