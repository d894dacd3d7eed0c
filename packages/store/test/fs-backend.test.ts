// The on-disk backend against the real git: what we write git must read and fsck, what git writes
// (loose, packed, gc'ed, pack-ref'ed) we must read, and refs must stay consistent across processes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, linkSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { initRepository, openRepository, type FsBackend, type FsBackendOptions } from '../src/backend/fs/index.js';
import type { RefUpdate } from '../src/backend/types.js';
import { LockFile } from '../src/backend/fs/lock.js';
import { SPARES_DIR, SparePool } from '../src/backend/fs/ref-spares.js';
import { encodeCommit, type Commit } from '../src/git/commit-codec.js';
import { encodeTree } from '../src/git/tree-codec.js';
import { utf8 } from '../src/git/bytes.js';
import { isStoreError } from '../src/errors.js';
import { fsck } from '../src/fsck.js';
import type { ObjectType } from '../src/git/object.js';
import { git, gitBytes, tempDir } from './helpers/git.js';

const person = { name: 'Test', email: 'test@example.org', time: 1_700_000_000, tz: '+0100' };

/** staleLockMs of the lock tests: short, as they wait for a lock to turn stale. */
const STALE_MS = 400;

function commitBody(tree: string, parents: string[], message: string): Uint8Array {
  const c: Commit = { tree, parents, author: person, committer: person, message };
  return encodeCommit(c);
}

/** A fresh repository for one test, closed and deleted afterwards. */
async function withRepo(fn: (b: FsBackend, dir: string) => Promise<void>, options?: FsBackendOptions): Promise<void> {
  const t = tempDir('nymote-fs-');
  const b = await initRepository(join(t.dir, 'repo.git'), options);
  try {
    await fn(b, b.dir);
  } finally {
    await b.close();
    t.cleanup();
  }
}

/** A small history: blobs, a nested tree, two commits on main. Returns the ids. */
async function writeHistory(b: FsBackend, n = 2): Promise<{ commits: string[]; blobs: string[] }> {
  const blobs: string[] = [];
  const commits: string[] = [];
  let parent: string | undefined;
  for (let i = 0; i < n; i++) {
    const blob = await b.objects.write('blob', utf8(`value ${i}\n`.repeat(20)));
    const big = await b.objects.write('blob', utf8(`${'shared line\n'.repeat(50)}version ${i}\n`));
    blobs.push(blob, big);
    const sub = await b.objects.write('tree', encodeTree([{ name: 'leaf', mode: '100644', id: blob }]));
    const root = await b.objects.write('tree', encodeTree([
      { name: 'dir', mode: '40000', id: sub },
      { name: 'big.txt', mode: '100644', id: big },
    ]));
    const c = await b.objects.write('commit', commitBody(root, parent ? [parent] : [], `commit ${i}\n`));
    assert.equal(await b.refs.compareAndSwap('refs/heads/main', parent, c), true);
    commits.push(c);
    parent = c;
  }
  return { commits, blobs };
}

function looseObjectFiles(dir: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync(join(dir, 'objects'))) {
    if (!/^[0-9a-f]{2}$/.test(d)) continue;
    for (const f of readdirSync(join(dir, 'objects', d))) out.push(d + f);
  }
  return out;
}

function packFiles(dir: string, ext: string): string[] {
  return readdirSync(join(dir, 'objects', 'pack')).filter((f) => f.endsWith(ext));
}

/** Every object git can reach, with its type, read through git cat-file --batch. */
function gitObjects(dir: string): Map<string, { type: string; body: Buffer }> {
  const list = git(['rev-list', '--objects', '--all'], { cwd: dir }).split('\n').filter(Boolean).map((l) => l.slice(0, 40));
  const out = new Map<string, { type: string; body: Buffer }>();
  const batch = gitBytes(['cat-file', '--batch'], { cwd: dir, input: list.join('\n') + '\n' });
  let p = 0;
  while (p < batch.length) {
    const nl = batch.indexOf(10, p);
    const [id, type, size] = batch.subarray(p, nl).toString().split(' ');
    const body = batch.subarray(nl + 1, nl + 1 + Number(size));
    out.set(id!, { type: type!, body });
    p = nl + 1 + Number(size) + 1;
  }
  return out;
}

async function assertReadsAll(b: FsBackend, expected: Map<string, { type: string; body: Buffer }>): Promise<void> {
  assert.ok(expected.size > 0);
  for (const [id, e] of expected) {
    const o = await b.objects.read(id);
    assert.ok(o, `object ${id} readable`);
    assert.equal(o.type, e.type, id);
    assert.deepEqual(Buffer.from(o.body), e.body, id);
    assert.equal(await b.objects.has(id), true);
  }
}

/** A non-bare repository made by git: files, commits, a branch, an annotated and a light tag. */
function makeGitRepo(root: string): string {
  const work = join(root, 'work');
  git(['init', '-q', '-b', 'main', work]);
  for (let i = 0; i < 6; i++) {
    mkdirSync(join(work, 'd', `s${i % 2}`), { recursive: true });
    writeFileSync(join(work, 'd', `s${i % 2}`, 'f.txt'), `${'common text\n'.repeat(40)}edit ${i}\n`);
    writeFileSync(join(work, `file${i}.txt`), `file ${i}\n`);
    git(['add', '-A'], { cwd: work });
    git(['commit', '-q', '-m', `commit ${i}`], { cwd: work });
    if (i === 2) git(['tag', '-a', '-m', 'annotated', 'v1'], { cwd: work });
    if (i === 3) git(['branch', 'feature/x'], { cwd: work });
  }
  git(['tag', 'light'], { cwd: work });
  return join(work, '.git');
}

function gitRefs(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of git(['for-each-ref', '--format=%(refname) %(objectname)'], { cwd: dir }).split('\n').filter(Boolean)) {
    const [name, id] = line.split(' ');
    out.set(name!, id!);
  }
  return out;
}

async function expectStoreError(p: Promise<unknown>, code: string, ...mentions: string[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isStoreError(e), `StoreError expected, got ${String(e)}`);
    assert.equal(e.code, code);
    for (const m of mentions) assert.ok(e.message.includes(m), `"${e.message}" names ${m}`);
    return true;
  });
}

function waitFor<T>(events: T[], pred: (e: T) => boolean, ms: number): Promise<T> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const hit = events.find(pred);
      if (hit) resolve(hit);
      else if (Date.now() - start > ms) reject(new Error(`no matching event within ${ms} ms; saw ${JSON.stringify(events)}`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

test('initRepository makes a bare repository git accepts; open refuses other directories', async () => {
  const t = tempDir('nymote-fs-');
  try {
    const dir = join(t.dir, 'r.git');
    const b = await initRepository(dir);
    assert.equal(b.dir, dir);
    assert.equal(b.fsyncEnabled, false);
    assert.equal(readFileSync(join(dir, 'HEAD'), 'utf8'), 'ref: refs/heads/main\n');
    for (const d of ['objects/info', 'objects/pack', 'refs/heads', 'refs/tags']) assert.ok(statSync(join(dir, d)).isDirectory(), d);
    assert.equal(git(['rev-parse', '--is-bare-repository'], { cwd: dir }).trim(), 'true');
    assert.equal(git(['config', 'core.repositoryformatversion'], { cwd: dir }).trim(), '0');
    assert.equal(git(['symbolic-ref', 'HEAD'], { cwd: dir }).trim(), 'refs/heads/main');
    git(['fsck', '--strict'], { cwd: dir });
    assert.equal(await b.refs.readSymbolic('HEAD'), 'refs/heads/main');
    const id = await b.objects.write('blob', utf8('x'));
    await b.close();
    // Idempotent: a second init keeps what is there.
    const again = await initRepository(dir, { fsync: true });
    assert.equal(again.fsyncEnabled, true);
    assert.equal(await again.objects.has(id), true);
    await again.close();
    await expectStoreError(openRepository(t.dir), 'not-a-repository', t.dir);
    await expectStoreError(openRepository(join(t.dir, 'missing')), 'not-a-repository', 'missing');
  } finally {
    t.cleanup();
  }
});

test('objects written by the backend are git objects: same ids, cat-file, log and fsck --strict', async () => {
  await withRepo(async (b, dir) => {
    for (const text of ['', 'hello\n', 'ünïcødé ✓', 'x'.repeat(300_000)]) {
      const id = await b.objects.write('blob', utf8(text));
      assert.equal(id, git(['hash-object', '--stdin'], { input: text }).trim());
      assert.equal(gitBytes(['cat-file', 'blob', id], { cwd: dir }).toString(), text);
      assert.equal(b.objects.hash('blob', utf8(text)), id);
    }
    const { commits } = await writeHistory(b, 3);
    assert.equal(git(['rev-parse', 'main'], { cwd: dir }).trim(), commits[2]);
    assert.equal(git(['log', '--format=%s', 'main'], { cwd: dir }), 'commit 2\ncommit 1\ncommit 0\n');
    assert.match(git(['cat-file', '-p', 'main^{tree}'], { cwd: dir }), /^100644 blob [0-9a-f]{40}\tbig\.txt\n040000 tree [0-9a-f]{40}\tdir\n$/);
    git(['fsck', '--strict', '--no-dangling'], { cwd: dir });
    // Loose objects are zlib files that a fresh backend reads back identically.
    const fresh = await openRepository(dir);
    await assertReadsAll(fresh, gitObjects(dir));
    assert.equal(await fresh.objects.read('0'.repeat(40)), undefined);
    assert.equal(await fresh.objects.has('0'.repeat(40)), false);
    assert.equal(await fresh.objects.read('../../etc/passwd'), undefined);
    await fresh.close();
  });
});

test('reads a repository git made: loose, after gc --aggressive, after pack-refs --all', async () => {
  const t = tempDir('nymote-fs-');
  try {
    const dir = makeGitRepo(t.dir);
    const objects = gitObjects(dir);
    const refs = gitRefs(dir);
    const b = await openRepository(dir);
    await assertReadsAll(b, objects);
    assert.deepEqual(await b.refs.list('refs/'), refs);
    assert.equal(await b.refs.read('HEAD'), refs.get('refs/heads/main'));

    // git repacks everything and deletes the loose files the open backend knew about: it must find
    // them in the new pack (rescan on a miss), without being reopened.
    git(['gc', '--aggressive', '--prune=now', '-q'], { cwd: dir });
    assert.equal(looseObjectFiles(dir).length, 0);
    assert.ok(existsSync(join(dir, 'packed-refs')));
    await assertReadsAll(b, objects);
    assert.deepEqual(await b.refs.list('refs/'), refs);
    assert.deepEqual([...(await b.refs.list('refs/heads/')).keys()], ['refs/heads/feature/x', 'refs/heads/main']);
    assert.deepEqual([...(await b.refs.list('refs/tags/')).keys()], ['refs/tags/light', 'refs/tags/v1']);
    await b.close();
    const fresh = await openRepository(dir);
    await assertReadsAll(fresh, objects);
    await fresh.close();

    // A second gc rewrites the pack under a new name while a reader holds the old one open.
    const held = await openRepository(dir);
    await held.objects.read(refs.get('refs/heads/main')!);
    writeFileSync(join(t.dir, 'work', 'late.txt'), 'late\n');
    git(['add', '-A'], { cwd: join(t.dir, 'work') });
    git(['commit', '-q', '-m', 'late'], { cwd: join(t.dir, 'work') });
    git(['repack', '-a', '-d', '-f', '-q'], { cwd: dir });
    await assertReadsAll(held, gitObjects(dir));
    await held.close();
  } finally {
    t.cleanup();
  }
});

test('refs: pack-refs --all, symbolic refs, loose over packed, list order', async () => {
  await withRepo(async (b, dir) => {
    const { commits } = await writeHistory(b, 2);
    const [c0, c1] = commits as [string, string];
    assert.equal(await b.refs.compareAndSwap('refs/heads/a/b/c', undefined, c0), true);
    assert.equal(await b.refs.compareAndSwap('refs/tags/t', undefined, c1), true);
    git(['pack-refs', '--all'], { cwd: dir });
    assert.ok(!existsSync(join(dir, 'refs', 'heads', 'main')));
    assert.equal(await b.refs.read('refs/heads/main'), c1);
    assert.equal(await b.refs.read('HEAD'), c1);
    assert.equal(await b.refs.read('refs/heads/a/b/c'), c0);
    // A loose file wins over the packed line.
    assert.equal(await b.refs.compareAndSwap('refs/heads/a/b/c', c0, c1), true);
    assert.equal(git(['rev-parse', 'a/b/c'], { cwd: dir }).trim(), c1);
    assert.equal(await b.refs.read('refs/heads/a/b/c'), c1);
    assert.deepEqual(await b.refs.list(''), new Map([
      ['refs/heads/a/b/c', c1], ['refs/heads/main', c1], ['refs/tags/t', c1],
    ]));
    assert.deepEqual([...(await b.refs.list('refs/heads/a')).keys()], ['refs/heads/a/b/c']);
    // Symbolic refs, and CAS through HEAD moves the branch it names.
    await b.refs.writeSymbolic('HEAD', 'refs/heads/other');
    assert.equal(git(['symbolic-ref', 'HEAD'], { cwd: dir }).trim(), 'refs/heads/other');
    assert.equal(await b.refs.read('HEAD'), undefined);
    assert.equal(await b.refs.compareAndSwap('HEAD', undefined, c0), true);
    assert.equal(await b.refs.read('refs/heads/other'), c0);
    assert.equal(await b.refs.readSymbolic('HEAD'), 'refs/heads/other');
    assert.equal(await b.refs.readSymbolic('refs/heads/main'), undefined);
    git(['symbolic-ref', 'refs/heads/alias', 'refs/heads/main'], { cwd: dir });
    assert.equal(await b.refs.read('refs/heads/alias'), c1);
    assert.equal((await b.refs.list('refs/heads/')).get('refs/heads/alias'), c1);
    git(['fsck', '--strict', '--no-dangling'], { cwd: dir });
  });
});

test('compareAndSwap: a ref this process wrote and someone else moved since is read again under the lock', async () => {
  // The next update of a ref this process wrote trusts what it wrote while the file is the one it
  // wrote: git's update (another file renamed over it), a rewrite in place, packing and deletion are
  // each seen.
  await withRepo(async (b, dir) => {
    const { commits } = await writeHistory(b, 3);
    const [c0, c1, c2] = commits as [string, string, string];
    const main = join(dir, 'refs', 'heads', 'main');
    assert.equal(await b.refs.compareAndSwap('refs/heads/main', c2, c1), true);
    git(['update-ref', 'refs/heads/main', c0], { cwd: dir });
    assert.equal(await b.refs.compareAndSwap('refs/heads/main', c1, c2), false, 'git moved it to c0');
    assert.equal(await b.refs.compareAndSwap('refs/heads/main', c0, c2), true);
    await sleep(20); // a later mtime than the write above, on file systems with coarse timestamps
    writeFileSync(main, `${c1}\n`); // same size, same file
    assert.equal(await b.refs.compareAndSwap('refs/heads/main', c2, c0), false, 'rewritten in place to c1');
    assert.equal(await b.refs.compareAndSwap('refs/heads/main', c1, c0), true);
    git(['pack-refs', '--all'], { cwd: dir });
    git(['update-ref', 'refs/heads/main', c2], { cwd: dir });
    git(['pack-refs', '--all'], { cwd: dir });
    assert.ok(!existsSync(main));
    assert.equal(await b.refs.compareAndSwap('refs/heads/main', c0, c1), false, 'packed at c2');
    assert.equal(await b.refs.compareAndSwap('refs/heads/main', c2, c1), true);
    git(['update-ref', '-d', 'refs/heads/main'], { cwd: dir });
    assert.equal(await b.refs.compareAndSwap('refs/heads/main', c1, c0), false, 'deleted');
    assert.equal(await b.refs.compareAndSwap('refs/heads/main', undefined, c0), true);
    assert.equal(git(['rev-parse', 'refs/heads/main'], { cwd: dir }).trim(), c0);
  });
});

test('compareAndSwap: wrong expectations change nothing; deleting a packed ref; bad names', async () => {
  await withRepo(async (b, dir) => {
    const { commits } = await writeHistory(b, 2);
    const [c0, c1] = commits as [string, string];
    assert.equal(await b.refs.compareAndSwap('refs/heads/main', c0, c0), false); // main is at c1
    assert.equal(await b.refs.compareAndSwap('refs/heads/main', undefined, c0), false);
    assert.equal(await b.refs.compareAndSwap('refs/heads/none', c0, c1), false);
    assert.equal(await b.refs.compareAndSwap('refs/heads/none', c0, undefined), false);
    assert.equal(await b.refs.compareAndSwap('refs/heads/none', undefined, undefined), true);
    assert.equal(await b.refs.read('refs/heads/main'), c1);
    assert.equal(await b.refs.read('refs/heads/none'), undefined);
    assert.equal(readdirSync(join(dir, 'refs', 'heads')).join(), 'main'); // no lock files left behind

    assert.equal(await b.refs.compareAndSwap('refs/heads/gone/deep', undefined, c0), true);
    assert.equal(await b.refs.compareAndSwap('refs/tags/keep', undefined, c0), true);
    git(['pack-refs', '--all'], { cwd: dir });
    assert.equal(await b.refs.compareAndSwap('refs/heads/gone/deep', c1, undefined), false);
    assert.equal(await b.refs.compareAndSwap('refs/heads/gone/deep', c0, undefined), true);
    assert.equal(await b.refs.read('refs/heads/gone/deep'), undefined);
    assert.ok(!readFileSync(join(dir, 'packed-refs'), 'utf8').includes('gone/deep'));
    assert.ok(!existsSync(join(dir, 'refs', 'heads', 'gone')), 'empty ref directories are removed');
    assert.equal(git(['show-ref'], { cwd: dir }).includes('gone'), false);
    assert.equal(await b.refs.read('refs/tags/keep'), c0);
    // Deleting a ref that is both loose and packed removes both.
    assert.equal(await b.refs.compareAndSwap('refs/tags/keep', c0, c1), true);
    assert.equal(await b.refs.compareAndSwap('refs/tags/keep', c1, undefined), true);
    assert.equal(await b.refs.read('refs/tags/keep'), undefined);
    assert.equal(git(['show-ref'], { cwd: dir }).includes('keep'), false);

    for (const bad of ['main', 'refs/heads/a..b', 'refs/heads/x.lock', 'refs/heads/.x', 'refs/heads/a b', 'refs/heads/a/', 'refs/../x', 'refs/heads/a:b', 'refs/heads/@{x}']) {
      await expectStoreError(b.refs.compareAndSwap(bad, undefined, c0), 'invalid-ref', bad);
      await expectStoreError(b.refs.read(bad), 'invalid-ref');
    }
    await expectStoreError(b.refs.compareAndSwap('refs/heads/main', c1, 'nothex'), 'invalid-ref', 'nothex');
    // A file and a directory cannot share a name: refs/heads/main/x while refs/heads/main exists.
    await expectStoreError(b.refs.compareAndSwap('refs/heads/main/x', undefined, c0), 'exists', 'refs/heads/main');
    await expectStoreError(b.refs.compareAndSwap('refs/heads', undefined, c0), 'exists', 'refs/heads');
    git(['fsck', '--strict', '--no-dangling'], { cwd: dir });
  }, { fsync: true });
});

test('two processes racing compare-and-swap loops on one ref lose no update', async () => {
  await withRepo(async (b, dir) => {
    const tree = await b.objects.write('tree', encodeTree([]));
    const root = await b.objects.write('commit', commitBody(tree, [], 'root\n'));
    assert.equal(await b.refs.compareAndSwap('refs/heads/main', undefined, root), true);
    const N = 60;
    const fsIndex = new URL('../src/backend/fs/index.js', import.meta.url).href;
    const codec = new URL('../src/git/commit-codec.js', import.meta.url).href;
    const script = `
      import { openRepository } from ${JSON.stringify(fsIndex)};
      import { encodeCommit } from ${JSON.stringify(codec)};
      const [dir, tag, n, tree] = process.argv.slice(1);
      const b = await openRepository(dir);
      const p = { name: 'T', email: 't@e', time: 1700000000, tz: '+0000' };
      let retries = 0;
      for (let i = 0; i < Number(n); i++) {
        for (;;) {
          const tip = await b.refs.read('refs/heads/main');
          const body = encodeCommit({ tree, parents: [tip], author: p, committer: p, message: tag + ' ' + i + '\\n' });
          const c = await b.objects.write('commit', body);
          if (await b.refs.compareAndSwap('refs/heads/main', tip, c)) break;
          retries++;
        }
      }
      await b.close();
      process.stdout.write(String(retries));
    `;
    const run = (tag: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir, tag, String(N), tree], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`worker ${tag} exited ${code}: ${err}`))));
      });
    await Promise.all([run('A'), run('B')]);
    assert.equal(git(['rev-list', '--count', 'main'], { cwd: dir }).trim(), String(2 * N + 1));
    const messages = git(['log', '--format=%s', 'main'], { cwd: dir }).split('\n').filter(Boolean);
    for (const tag of ['A', 'B']) assert.equal(messages.filter((m) => m.startsWith(tag + ' ')).length, N);
    assert.deepEqual(readdirSync(join(dir, 'refs', 'heads')), ['main']);
    git(['fsck', '--strict', '--no-dangling'], { cwd: dir });
  });
});

test('a stale lock is removed with a warning; a fresh one times out naming the lock file', async () => {
  const warnings: string[] = [];
  await withRepo(async (b, dir) => {
    const { commits } = await writeHistory(b, 2);
    const [c0, c1] = commits as [string, string];
    const lock = join(dir, 'refs', 'heads', 'main.lock');
    writeFileSync(lock, 'left by a killed process');
    // Age counts from the later of mtime and ctime (a lock taken from a spare has an old mtime), and no
    // call sets ctime back: the lock has to turn stale for real.
    await sleep(STALE_MS + 100);
    assert.equal(await b.refs.compareAndSwap('refs/heads/main', c1, c0), true);
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0]!.includes(lock), warnings[0]);
    assert.ok(!existsSync(lock));

    writeFileSync(lock, 'held by a live process');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old); // an old mtime alone does not make it stale
    const start = Date.now();
    await expectStoreError(b.refs.compareAndSwap('refs/heads/main', c0, c1), 'lock-timeout', lock);
    assert.ok(Date.now() - start >= 150);
    assert.ok(existsSync(lock), 'someone else’s lock is left alone');
    assert.equal(await b.refs.read('refs/heads/main'), c0);
    // git sees the same lock and also refuses.
    assert.throws(() => git(['update-ref', 'refs/heads/main', c1], { cwd: dir }), /lock/);
  }, { lockTimeoutMs: 200, staleLockMs: STALE_MS, onWarning: (m) => warnings.push(m) });
});

describe('a ref update takes a file the ref held before as its lock, once that file has rested', () => {
  const sparesOf = (dir: string): string[] => {
    try {
      return readdirSync(join(dir, SPARES_DIR)).map((n) => join(dir, SPARES_DIR, n));
    } catch {
      return [];
    }
  };

  test('rested: two files take turns as the ref; git sees only refs and its updates interleave', async () => {
    await withRepo(async (b, dir) => {
      const { commits } = await writeHistory(b, 3);
      const [c0, c1, c2] = commits as [string, string, string];
      const main = join(dir, 'refs', 'heads', 'main');
      const inodes: number[] = [];
      let at = c2;
      for (const next of [c0, c1, c2, c0, c1]) {
        assert.equal(await b.refs.compareAndSwap('refs/heads/main', at, next), true);
        inodes.push(statSync(main).ino);
        assert.equal(readFileSync(main, 'utf8'), `${next}\n`);
        const spares = sparesOf(dir);
        assert.equal(spares.length, 1);
        assert.equal(readFileSync(spares[0]!, 'utf8'), `${at}\n`, 'the spare holds the value before');
        assert.equal(statSync(spares[0]!).nlink, 1);
        at = next;
      }
      assert.equal(inodes[2], inodes[0]);
      assert.equal(inodes[3], inodes[1]);
      assert.notEqual(inodes[0], inodes[1]);
      assert.ok(!existsSync(main + '.lock'));
      assert.equal(git(['for-each-ref', '--format=%(refname)'], { cwd: dir }).trim(), 'refs/heads/main');
      git(['update-ref', 'refs/heads/main', c2, c1], { cwd: dir });
      assert.equal(await b.refs.compareAndSwap('refs/heads/main', c2, c0), true);
      assert.equal(git(['rev-parse', 'main'], { cwd: dir }).trim(), c0);
      git(['fsck', '--strict', '--no-dangling'], { cwd: dir });
      // A longer old value is cut to the new one.
      writeFileSync(sparesOf(dir)[0]!, `${c1}\n# longer than any ref\n`);
      assert.equal(await b.refs.compareAndSwap('refs/heads/main', c0, c1), true);
      assert.equal(readFileSync(main, 'utf8'), `${c1}\n`);
      // A spare removed meanwhile (gc removes old ones) is skipped.
      for (const f of sparesOf(dir)) rmSync(f);
      assert.equal(await b.refs.compareAndSwap('refs/heads/main', c1, c2), true);
      assert.equal(await b.refs.compareAndSwap('refs/heads/main', c2, c0), true);
      assert.equal(readFileSync(main, 'utf8'), `${c0}\n`);
      // Deleting the ref deletes its spares.
      assert.equal(await b.refs.compareAndSwap('refs/heads/main', c0, undefined), true);
      assert.deepEqual(sparesOf(dir), []);
      assert.ok(!existsSync(main));
    }, { spareRestMs: 0 });
  });

  test('not yet rested: every update is a new file, the old ones wait; closing removes them', async () => {
    await withRepo(async (b, dir) => {
      const { commits } = await writeHistory(b, 2);
      const [c0, c1] = commits as [string, string];
      const main = join(dir, 'refs', 'heads', 'main');
      const inodes = new Set<number>();
      const before = sparesOf(dir).length; // writeHistory's own updates
      let at = c1;
      for (let i = 0; i < 6; i++) {
        const next = at === c0 ? c1 : c0;
        assert.equal(await b.refs.compareAndSwap('refs/heads/main', at, next), true);
        inodes.add(statSync(main).ino);
        at = next;
      }
      assert.equal(inodes.size, 6);
      assert.equal(sparesOf(dir).length, before + 6);
      await b.close();
      assert.deepEqual(sparesOf(dir), []);
    });
  });

  test('a lock taken from a spare is not stale for its old mtime; a dead holder’s is broken', async () => {
    const warnings: string[] = [];
    await withRepo(async (b, dir) => {
      const { commits } = await writeHistory(b, 2);
      const [c0, c1] = commits as [string, string];
      const main = join(dir, 'refs', 'heads', 'main');
      const pool = new SparePool(join(dir, SPARES_DIR), 'refs/heads/main', 0);
      mkdirSync(join(dir, SPARES_DIR), { recursive: true });
      const spare = join(dir, SPARES_DIR, 'left-from-before');
      writeFileSync(spare, `${c0}\n`);
      const old = new Date(Date.now() - 60_000);
      utimesSync(spare, old, old);
      pool.retired(spare);
      const spareIno = statSync(spare).ino;
      const options = { timeoutMs: 5_000, staleMs: STALE_MS, fsync: false, onWarning: (m: string) => warnings.push(m) };
      const held = await LockFile.acquire(main, options, pool);
      assert.equal(statSync(main + '.lock').ino, spareIno, 'the lock is the spare');
      assert.ok(Date.now() - statSync(main + '.lock').mtimeMs > 50_000, 'with its old mtime');
      assert.ok(!existsSync(spare), 'and has no other name');
      await expectStoreError(b.refs.compareAndSwap('refs/heads/main', c1, c0), 'lock-timeout', main + '.lock');
      assert.equal(warnings.length, 0);
      // Its holder is killed: once stale, the lock goes.
      await sleep(STALE_MS + 100);
      assert.equal(await b.refs.compareAndSwap('refs/heads/main', c1, c0), true);
      assert.equal(warnings.length, 1);
      await assert.rejects(held.commit(`${c1}\n`), /taken over/);
      assert.equal(readFileSync(main, 'utf8'), `${c0}\n`);
    }, { lockTimeoutMs: 200, staleLockMs: STALE_MS, onWarning: (m) => warnings.push(m) });
  });

  test('gc removes spares left by processes that exited', async () => {
    await withRepo(async (b, dir) => {
      mkdirSync(join(dir, SPARES_DIR), { recursive: true });
      const left = join(dir, SPARES_DIR, 'refs%2Fheads%2Fmain.999_x0');
      const fresh = join(dir, SPARES_DIR, 'refs%2Fheads%2Fmain.999_x1');
      writeFileSync(left, 'x');
      writeFileSync(fresh, 'x');
      const old = new Date(Date.now() - 2 * 3600_000);
      utimesSync(left, old, old);
      await b.gc();
      assert.ok(!existsSync(left));
      assert.ok(existsSync(fresh));
    });
  });
});

test('watch reports updates by this process and by git in another process, each once', async () => {
  await withRepo(async (b, dir) => {
    const { commits } = await writeHistory(b, 2);
    const [c0, c1] = commits as [string, string];
    const events: RefUpdate[] = [];
    const stop = b.refs.watch((u) => events.push(u));
    try {
      assert.equal(await b.refs.compareAndSwap('refs/heads/main', c1, c0), true);
      assert.deepEqual(events, [{ name: 'refs/heads/main', old: c1, next: c0 }]);

      git(['update-ref', 'refs/heads/side', c1], { cwd: dir });
      assert.deepEqual(await waitFor(events, (e) => e.name === 'refs/heads/side', 3000), { name: 'refs/heads/side', old: undefined, next: c1 });
      git(['update-ref', 'refs/heads/main', c1, c0], { cwd: dir });
      assert.deepEqual(await waitFor(events, (e) => e.name === 'refs/heads/main' && e.next === c1, 3000), { name: 'refs/heads/main', old: c0, next: c1 });
      git(['update-ref', '-d', 'refs/heads/side'], { cwd: dir });
      await waitFor(events, (e) => e.name === 'refs/heads/side' && e.next === undefined, 3000);
      // In a directory that did not exist when watching began.
      git(['update-ref', 'refs/heads/team/a/b', c0], { cwd: dir });
      await waitFor(events, (e) => e.name === 'refs/heads/team/a/b', 3000);
      git(['update-ref', 'refs/heads/team/a/c', c1], { cwd: dir });
      await waitFor(events, (e) => e.name === 'refs/heads/team/a/c', 3000);
      // pack-refs moves refs without changing them: nothing to report.
      git(['pack-refs', '--all'], { cwd: dir });
      // Long enough for a debounced scan and a poll: no duplicates, nothing spurious.
      await new Promise((r) => setTimeout(r, 1200));
      assert.deepEqual(events, [
        { name: 'refs/heads/main', old: c1, next: c0 },
        { name: 'refs/heads/side', old: undefined, next: c1 },
        { name: 'refs/heads/main', old: c0, next: c1 },
        { name: 'refs/heads/side', old: c1, next: undefined },
        { name: 'refs/heads/team/a/b', old: undefined, next: c0 },
        { name: 'refs/heads/team/a/c', old: undefined, next: c1 },
      ]);
    } finally {
      stop();
    }
    const count = events.length;
    assert.equal(await b.refs.compareAndSwap('refs/heads/main', c1, c0), true);
    assert.equal(events.length, count, 'no events after stop');
  });
});

test('corrupt loose objects are reported with id and path, and left untouched', async () => {
  await withRepo(async (b, dir) => {
    const cases: [string, (good: Buffer) => Buffer][] = [
      ['wrong hash', () => deflateSync(Buffer.from('blob 5\0other'))],
      ['truncated', (good) => good.subarray(0, Math.floor(good.length / 2))],
      ['bad header', () => deflateSync(Buffer.from('blub 3\0abc'))],
      ['empty file', () => Buffer.alloc(0)],
    ];
    for (const [what, damage] of cases) {
      const id = await b.objects.write('blob', utf8(`content for ${what}\n`));
      const file = join(dir, 'objects', id.slice(0, 2), id.slice(2));
      const bad = damage(readFileSync(file));
      chmodSync(file, 0o644);
      writeFileSync(file, bad);
      const before = statSync(file);
      // A fresh backend, so no cache answers for the disk.
      const fresh = await openRepository(dir);
      try {
        await expectStoreError(fresh.objects.read(id), 'corrupt-object', id, file);
      } finally {
        await fresh.close();
      }
      assert.deepEqual(readFileSync(file), bad, `${what}: file untouched`);
      assert.equal(statSync(file).mtimeMs, before.mtimeMs);
    }
  });
});

test('writeBatch above the threshold writes exactly one pack git verifies', async () => {
  await withRepo(async (b, dir) => {
    const objects: { type: ObjectType; body: Uint8Array }[] = [];
    for (let i = 0; i < 40; i++) objects.push({ type: 'blob', body: utf8(`batch blob ${i}\n${'filler '.repeat(i)}`) });
    objects.push(objects[3]!); // a duplicate: one copy in the pack, its id twice in the result
    const ids = await b.objects.writeBatch(objects);
    assert.equal(ids.length, 41);
    assert.equal(ids[40], ids[3]);
    assert.deepEqual(looseObjectFiles(dir), []);
    const packs = packFiles(dir, '.pack');
    assert.equal(packs.length, 1);
    assert.deepEqual(packFiles(dir, '.idx'), [packs[0]!.replace(/\.pack$/, '.idx')]);
    assert.equal(readdirSync(join(dir, 'objects', 'pack')).length, 2, 'no temp files left');
    const verify = git(['verify-pack', '-v', join(dir, 'objects', 'pack', packs[0]!)], { cwd: dir });
    assert.match(verify, /non delta: 40 objects/);
    for (const [i, id] of ids.entries()) {
      assert.equal(gitBytes(['cat-file', 'blob', id], { cwd: dir }).toString(), Buffer.from(objects[i]!.body).toString());
    }
    // Below the threshold (and for objects already stored): loose files.
    const small = await b.objects.writeBatch([objects[0]!, { type: 'blob', body: utf8('one more') }]);
    assert.equal(small[0], ids[0]);
    assert.equal(looseObjectFiles(dir).length, 1);
    assert.equal(packFiles(dir, '.pack').length, 1);
    const fresh = await openRepository(dir);
    try {
      for (const [i, id] of ids.entries()) assert.deepEqual((await fresh.objects.read(id))?.body, objects[i]!.body);
    } finally {
      await fresh.close();
    }
  }, { packThreshold: 10, fsync: true });
});

test('gc packs every loose object and ref; fsck is clean; open readers keep finding objects', async () => {
  await withRepo(async (b, dir) => {
    const { commits } = await writeHistory(b, 8);
    const tip = commits[7]!;
    git(['tag', '-a', '-m', 'release', 'v1', tip], { cwd: dir });
    assert.equal(await b.refs.compareAndSwap('refs/heads/topic/one', undefined, tip), true);
    const objects = gitObjects(dir);
    const refs = gitRefs(dir);
    assert.ok(looseObjectFiles(dir).length >= objects.size);
    const reader = await openRepository(dir); // opened before gc: its pack list is stale afterwards
    const progress: string[] = [];
    const result = await b.gc({ onProgress: (m) => progress.push(m) });
    assert.equal(result.packedObjects, objects.size);
    assert.equal(result.removedLooseFiles, objects.size);
    assert.ok(progress.some((m) => m.includes('loose objects')));
    assert.deepEqual(looseObjectFiles(dir), []);
    assert.equal(packFiles(dir, '.pack').length, 1);
    assert.match(git(['count-objects', '-v'], { cwd: dir }), /^count: 0$/m);
    git(['fsck', '--strict', '--no-dangling'], { cwd: dir });
    const verify = git(['verify-pack', '-v', join(dir, 'objects', 'pack', packFiles(dir, '.pack')[0]!)], { cwd: dir });
    assert.match(verify, /chain length = 1: \d+ objects?/, 'the pack has deltas');
    // Refs: all in packed-refs, with the tag peeled, and no loose files left (HEAD stays).
    assert.deepEqual(readdirSync(join(dir, 'refs', 'heads')), []);
    assert.equal(readFileSync(join(dir, 'HEAD'), 'utf8'), 'ref: refs/heads/main\n');
    const packed = readFileSync(join(dir, 'packed-refs'), 'utf8');
    assert.match(packed, /^# pack-refs with: peeled fully-peeled sorted \n/);
    assert.ok(packed.includes(`refs/tags/v1\n^${tip}\n`));
    assert.deepEqual(gitRefs(dir), refs);
    assert.deepEqual(await b.refs.list(''), refs);
    await assertReadsAll(b, objects);
    await assertReadsAll(reader, objects);
    await reader.close();
    // Nothing loose left: a second gc has nothing to do.
    assert.deepEqual(await b.gc(), { packedObjects: 0, removedLooseFiles: 0, removedPacks: 0 });
    assert.equal(packFiles(dir, '.pack').length, 1);
    git(['fsck', '--strict', '--no-dangling'], { cwd: dir });
  });
});

test('gc merges every pack and loose object into one pack, leaving .keep packs alone', async () => {
  await withRepo(async (b, dir) => {
    // Three packs (two batches and git's own repack of a third history), then loose objects on top.
    const blobs = (tag: string) => Array.from({ length: 30 }, (_, i) => ({ type: 'blob' as const, body: utf8(`${tag} ${i}\n${'x'.repeat(i * 10)}`) }));
    await b.objects.writeBatch(blobs('first'));
    await b.objects.writeBatch(blobs('second'));
    await writeHistory(b, 6);
    git(['repack', '-q'], { cwd: dir }); // packs the loose history, leaves our packs as they are
    await b.objects.write('blob', utf8('loose after the packs'));
    const kept = await b.objects.writeBatch(blobs('kept'));
    const keptPack = packFiles(dir, '.pack').find((f) => git(['verify-pack', '-v', join(dir, 'objects', 'pack', f)], { cwd: dir }).includes(kept[0]!))!;
    writeFileSync(join(dir, 'objects', 'pack', keptPack.replace(/\.pack$/, '.keep')), '');
    assert.equal(packFiles(dir, '.pack').length, 4);
    const objects = gitObjects(dir);
    const all = [...blobs('first'), ...blobs('second')];
    const reader = await openRepository(dir); // holds the old packs open across the gc
    const result = await b.gc();
    assert.equal(result.removedPacks, 3);
    assert.deepEqual(packFiles(dir, '.pack').sort(), [keptPack, packFiles(dir, '.pack').find((f) => f !== keptPack)!].sort());
    assert.deepEqual(looseObjectFiles(dir), []);
    git(['fsck', '--strict', '--no-dangling'], { cwd: dir });
    await assertReadsAll(b, objects);
    await assertReadsAll(reader, objects);
    await reader.close();
    const fresh = await openRepository(dir);
    try {
      for (const o of [...all, ...blobs('kept')]) {
        const id = fresh.objects.hash(o.type, o.body);
        assert.deepEqual((await fresh.objects.read(id))?.body, o.body, id);
      }
    } finally {
      await fresh.close();
    }
    // Abbreviated ids are found in packs as well as loose.
    const history = [...objects.keys()];
    for (const id of history.slice(0, 5)) assert.ok((await b.objects.findByPrefix!(id.slice(0, 6))).includes(id), id);
    const looseNow = await b.objects.write('blob', utf8('loose again'));
    assert.deepEqual(await b.objects.findByPrefix!(looseNow), [looseNow]);
    // One pack plus a loose object: gc folds both into a new pack; after that there is nothing to do.
    assert.equal((await b.gc()).removedPacks, 1);
    assert.deepEqual(await b.gc(), { packedObjects: 0, removedLooseFiles: 0, removedPacks: 0 });
  }, { packThreshold: 10 });
});

test('fsck verifies packs, streaming them: a damaged index or pack is reported naming the file', async () => {
  await withRepo(async (b, dir) => {
    const { commits } = await writeHistory(b, 4);
    await b.gc();
    assert.deepEqual((await fsck(b)).problems, []);
    const idx = join(dir, 'objects', 'pack', packFiles(dir, '.idx')[0]!);
    const bytes = readFileSync(idx);
    bytes[bytes.length - 1]! ^= 0xff; // the index's own trailing checksum: opening does not hash it
    chmodSync(idx, 0o644);
    writeFileSync(idx, bytes);
    const reopened = await openRepository(dir);
    try {
      assert.ok(await reopened.objects.read(commits[3]!), 'reads do not need the index checksum');
      const report = await fsck(reopened);
      assert.equal(report.problems.length, 1);
      assert.equal(report.problems[0]!.file, idx);
      assert.match(report.problems[0]!.message, /checksum/);
    } finally {
      await reopened.close();
    }
    // The index repaired, a byte of the pack itself damaged: its streamed checksum no longer matches.
    bytes[bytes.length - 1]! ^= 0xff;
    writeFileSync(idx, bytes);
    const packFile = idx.replace(/\.idx$/, '.pack');
    const packBytes = readFileSync(packFile);
    packBytes[packBytes.length >> 1]! ^= 0x10;
    chmodSync(packFile, 0o644);
    writeFileSync(packFile, packBytes);
    const damaged = await openRepository(dir);
    try {
      const report = await fsck(damaged);
      const packProblem = report.problems.find((p) => p.file === packFile);
      assert.ok(packProblem, JSON.stringify(report.problems));
      assert.match(packProblem.message, /checksum is [0-9a-f]{40} but contents hash to [0-9a-f]{40}/);
    } finally {
      await damaged.close();
    }
  });
});

test('objects of an alternate object directory are readable', async () => {
  const t = tempDir('nymote-fs-');
  try {
    const base = await initRepository(join(t.dir, 'base.git'));
    const id = await base.objects.write('blob', utf8('shared'));
    await base.close();
    const b = await initRepository(join(t.dir, 'child.git'));
    await b.close();
    writeFileSync(join(t.dir, 'child.git', 'objects', 'info', 'alternates'), '../../base.git/objects\n');
    const child = await openRepository(join(t.dir, 'child.git'));
    assert.equal(await child.objects.has(id), true);
    assert.equal(Buffer.from((await child.objects.read(id))!.body).toString(), 'shared');
    // Writing an object the alternate has does not copy it.
    await child.objects.write('blob', utf8('shared'));
    assert.deepEqual(looseObjectFiles(join(t.dir, 'child.git')), []);
    await child.close();
  } finally {
    t.cleanup();
  }
});

test('gc while other backends read and write: every object stays readable', async () => {
  await withRepo(async (b, dir) => {
    await writeHistory(b, 30);
    const objects = gitObjects(dir);
    let done = false;
    // Fresh backends each round, so no cache hides the disk, and each one's pack list goes stale mid-gc.
    const reader = (async () => {
      let rounds = 0;
      while (!done || rounds === 0) {
        const r = await openRepository(dir);
        try {
          await assertReadsAll(r, objects);
        } finally {
          await r.close();
        }
        rounds++;
      }
      return rounds;
    })();
    const writer = (async () => {
      const w = await openRepository(dir);
      const ids: string[] = [];
      try {
        for (let i = 0; !done || i === 0; i++) ids.push(await w.objects.write('blob', utf8(`written during gc ${i}`)));
      } finally {
        await w.close();
      }
      return ids;
    })();
    // Handled from the start, so a failure in either shows as itself, not as an unhandled rejection.
    const background = Promise.all([reader, writer]);
    background.catch(() => {});
    const result = await b.gc();
    done = true;
    const [rounds, written] = await background;
    assert.ok(rounds >= 1);
    assert.ok(result.packedObjects >= objects.size);
    const fresh = await openRepository(dir);
    try {
      await assertReadsAll(fresh, objects);
      for (const id of written) assert.equal(await fresh.objects.has(id), true, id);
    } finally {
      await fresh.close();
    }
    git(['fsck', '--strict', '--no-dangling'], { cwd: dir });
  });
});

test('a watcher does not keep its process alive', async () => {
  await withRepo(async (_b, dir) => {
    const fsIndex = new URL('../src/backend/fs/index.js', import.meta.url).href;
    // Neither stop() nor close(): an unref'd watcher must still let the process end by itself.
    const script = `
      import { openRepository } from ${JSON.stringify(fsIndex)};
      const b = await openRepository(process.argv[1]);
      b.refs.watch(() => {});
      const stop = b.refs.watch(() => {});
      stop();
    `;
    const start = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir], { stdio: 'inherit' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 0);
    assert.ok(Date.now() - start < 4000);
  });
});
