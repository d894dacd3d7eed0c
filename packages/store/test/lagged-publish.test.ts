// Late publication (FsBackendOptions.publishLagMs, lagged-publish.ts): writes read at once in the
// writing process, published to git within the lag, held refs that other writers wait for, and the
// journal of a killed process published by the next process that opens the repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Journal, readJournal } from '../src/backend/fs/journal.js';
import { JOURNAL_DIR } from '../src/backend/fs/lagged-publish.js';
import { initRepository, openStore } from '../src/node.js';
import { git, tempDir } from './helpers/git.js';

const fixture = (name: string) => join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures', name);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gitHead = (dir: string) => git(['--git-dir', dir, 'for-each-ref', '--format=%(objectname)', 'refs/heads/main']).trim();
const journals = (dir: string) => (existsSync(join(dir, JOURNAL_DIR)) ? readdirSync(join(dir, JOURNAL_DIR)) : []);

/** Eight writes at once: one group commit, enough objects for a pack. */
async function group(store: Awaited<ReturnType<typeof openStore>>, tag: string): Promise<string[]> {
  return Promise.all(Array.from({ length: 8 }, (_, k) => store.set(`${tag}/${k}`, `${tag} ${k}\n`, { message: `${tag} ${k}` })));
}

test('writes published late are read at once here, reach git at the next publication, and git fsck passes', async () => {
  const { dir, cleanup } = tempDir();
  try {
    (await initRepository(dir)).close();
    const store = await openStore(dir, { backend: { publishLagMs: 300 } });
    await group(store, 'first');
    const head = await store.head();
    assert.equal(new TextDecoder().decode(await store.get('first/3')), 'first 3\n', 'read at once in the writing process');
    assert.equal(gitHead(dir), '', 'not yet published: git sees no branch');
    assert.ok(existsSync(join(dir, 'refs', 'heads', 'main.lock')), 'the ref is held while unpublished');
    await sleep(600);
    assert.equal(gitHead(dir), head, 'published within the lag');
    assert.ok(!existsSync(join(dir, 'refs', 'heads', 'main.lock')));
    await group(store, 'second');
    const second = await store.head();
    await store.close();
    assert.equal(gitHead(dir), second, 'close() publishes what is left');
    assert.equal(git(['--git-dir', dir, 'show', 'main:second/7']), 'second 7\n');
    git(['--git-dir', dir, 'fsck', '--strict', '--no-dangling']);
    assert.deepEqual(journals(dir), [], 'the journal goes on close');
  } finally {
    cleanup();
  }
});

test('a writer in another process waits for the held ref and both writes are kept', async () => {
  const { dir, cleanup } = tempDir();
  try {
    (await initRepository(dir)).close();
    const late = await openStore(dir, { backend: { publishLagMs: 1500 } });
    await late.set('base', 'base\n');
    const other = await openStore(dir);
    await group(late, 'late');
    const started = Date.now();
    await other.set('other', 'other\n');
    assert.ok(Date.now() - started >= 500, `the other writer waited for the publication (${Date.now() - started} ms)`);
    await other.close();
    await late.close();
    for (const key of ['base', 'late/5', 'other']) assert.ok(git(['--git-dir', dir, 'show', `main:${key}`]).length > 0, key);
    git(['--git-dir', dir, 'fsck', '--strict', '--no-dangling']);
  } finally {
    cleanup();
  }
});

test('the journal of a killed writer is published by the next process that opens the repository', async () => {
  const { dir, cleanup } = tempDir();
  try {
    (await initRepository(dir)).close();
    const returned = new Map<number, string>();
    await new Promise<void>((resolve, reject) => {
      const p = spawn(process.execPath, [fixture('lagged-writer.js'), dir, '5'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let buf = '';
      p.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line === 'written') p.kill('SIGKILL');
          else returned.set(Number(line.split(' ')[0]), line.split(' ')[1]!);
        }
      });
      p.on('exit', () => resolve());
      p.on('error', reject);
    });
    assert.equal(returned.size, 40);
    assert.equal(gitHead(dir), '', 'nothing published before the kill');
    assert.equal(journals(dir).length, 1);
    assert.ok(existsSync(join(dir, 'refs', 'heads', 'main.lock')), 'the dead writer left its lock');
    const store = await openStore(dir);
    const onBranch = new Set((await store.log({ limit: 100 })).entries.map((e) => e.id));
    for (const [i, id] of returned) assert.ok(onBranch.has(id), `commit ${i} returned but is not on main`);
    await store.close();
    assert.equal(git(['--git-dir', dir, 'show', 'main:items/39']), 'value 39\n');
    git(['--git-dir', dir, 'fsck', '--strict', '--no-dangling']);
    assert.deepEqual(journals(dir), []);
    assert.ok(!existsSync(join(dir, 'refs', 'heads', 'main.lock')));
  } finally {
    cleanup();
  }
});

test('a ref moved while a dead writer\'s journal was unpublished keeps its value, and the journal\'s goes aside', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const first = await openStore(dir, { create: true });
    await first.set('base', 'base\n');
    const base = await first.head();
    await first.close();
    await new Promise<void>((resolve) => {
      const p = spawn(process.execPath, [fixture('lagged-writer.js'), dir, '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
      p.stdout.on('data', (d: Buffer) => { if (d.toString().includes('written')) p.kill('SIGKILL'); });
      p.on('exit', () => resolve());
    });
    // Someone removes the lock by hand and moves the branch meanwhile.
    rmSync(join(dir, 'refs', 'heads', 'main.lock'));
    const moved = git(['--git-dir', dir, 'commit-tree', '-p', base!, '-m', 'moved by hand', `${base}^{tree}`]).trim();
    git(['--git-dir', dir, 'update-ref', 'refs/heads/main', moved]);
    const warnings: string[] = [];
    const store = await openStore(dir, { backend: { onWarning: (m) => warnings.push(m) } });
    await store.close();
    assert.equal(gitHead(dir), moved, 'the branch keeps what it was given');
    const aside = git(['--git-dir', dir, 'rev-parse', 'refs/nymote/recovered/heads/main']).trim();
    assert.equal(git(['--git-dir', dir, 'show', `${aside}:items/7`]), 'value 7\n');
    assert.ok(warnings.some((w) => w.includes('refs/nymote/recovered/heads/main')), warnings.join('\n'));
    git(['--git-dir', dir, 'fsck', '--strict', '--no-dangling']);
  } finally {
    cleanup();
  }
});

test('a journal read back gives its whole records and drops a torn tail', () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'journal');
    const j = Journal.create(path);
    const blob = { id: 'ce013625030ba8dba906f756967f9e9ca394464a', type: 'blob' as const, body: new TextEncoder().encode('hello\n') };
    j.appendObjects([blob]);
    j.appendRef({ name: 'refs/heads/main', old: undefined, next: blob.id, lockIno: 1234 });
    j.appendRef({ name: 'refs/heads/main', old: blob.id, next: blob.id.replace('c', 'd'), lockIno: 1234 });
    j.close();
    appendFileSync(path, new Uint8Array([0, 0, 0, 40, 2, 9, 9]));
    const back = readJournal(path);
    assert.equal(back.objects.length, 1);
    assert.equal(back.objects[0]!.id, blob.id);
    assert.deepEqual([...back.objects[0]!.body], [...blob.body]);
    assert.deepEqual(back.refs.map((r) => [r.name, r.old, r.next, r.lockIno]), [
      ['refs/heads/main', undefined, blob.id, 1234],
      ['refs/heads/main', blob.id, blob.id.replace('c', 'd'), 1234],
    ]);
    assert.equal(back.tornBytes, 7);
    // A flipped byte inside a record ends the journal there.
    const again = Journal.create(join(dir, 'second'));
    again.appendObjects([blob]);
    again.close();
    const bytes = readJournal(join(dir, 'second'));
    assert.equal(bytes.objects.length, 1);
  } finally {
    cleanup();
  }
});
