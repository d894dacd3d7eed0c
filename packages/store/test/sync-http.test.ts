// Fetch, pull, push and clone against the real git http-backend (protocol v2 and v0), and against
// local paths; a damaged pack must leave the repository exactly as it was.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { git, tempDir } from './helpers/git.js';
import { startHttpBackend, type HttpBackend } from './helpers/http-backend.js';
import {
  addRemote, cloneRepository, fetchRemote, listRemotes, openStore, pullRemote, pushRemote, removeRemote,
} from '../src/node.js';
import { PackIndex } from '../src/git/pack/index.js';
import { isStoreError } from '../src/errors.js';
import {
  Store, fetchFrom, httpTransport, jsonType, memoryBackend, pullFrom, pushTo, schemaByPrefix, type SyncProgress,
} from '../src/index.js';
import { portableSha1 } from '../src/git/sha1.js';
import { nodeZlib } from '../src/backend/fs/zlib.js';

let tmp: { dir: string; cleanup: () => void };
let root: string;
const servers: HttpBackend[] = [];
let n = 0;

function lines(count: number, changed = -1): string {
  let s = '';
  for (let i = 0; i < count; i++) s += `line ${i} ${i === changed ? 'CHANGED' : 'of a file long enough to make deltas worth it'}\n`;
  return s;
}

/** A bare repository under the server root with a few commits made by git; returns its name. */
function upstream(commits = 3): string {
  const name = `up${++n}.git`;
  const work = join(tmp.dir, `work${n}`);
  git(['init', '-q', '-b', 'main', work]);
  for (let c = 0; c < commits; c++) {
    writeFileSync(join(work, 'big.txt'), lines(400, c));
    writeFileSync(join(work, `note${c}.txt`), `note ${c}\n`);
    git(['add', '.'], { cwd: work });
    git(['commit', '-q', '-m', `commit ${c}`], { cwd: work });
  }
  git(['clone', '-q', '--bare', work, join(root, name)]);
  return name;
}

/** A commit made by git straight into a bare repository (a change "someone else" pushed). */
function gitCommit(repo: string, file: string, content: string, branch = 'main'): string {
  const work = join(tmp.dir, `edit${++n}`);
  git(['clone', '-q', '-b', branch, repo, work]);
  writeFileSync(join(work, file), content);
  git(['add', '.'], { cwd: work });
  git(['commit', '-q', '-m', `edit ${file}`], { cwd: work });
  git(['push', '-q', 'origin', branch], { cwd: work });
  return git(['rev-parse', 'HEAD'], { cwd: work }).trim();
}

async function server(options: Parameters<typeof startHttpBackend>[1] = {}): Promise<HttpBackend> {
  const s = await startHttpBackend(root, options);
  servers.push(s);
  return s;
}

/** Every file under a repository with its size, and every ref: to show nothing changed. */
function snapshot(repo: string): string {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push(`${relative(repo, p)} ${st.size}`);
    }
  };
  walk(repo);
  out.push(git(['for-each-ref'], { cwd: repo }));
  return out.join('\n');
}

/** Flips a byte in the pack carried on side-band 1 of an upload-pack reply. */
function damagePack(body: Buffer): Buffer {
  const out = Buffer.from(body);
  const packets: number[] = [];
  for (let at = 0; at + 4 <= out.length; ) {
    const len = parseInt(out.toString('latin1', at, at + 4), 16);
    if (len >= 5 && out[at + 4] === 1) packets.push(at);
    at += len < 4 ? 4 : len;
  }
  assert.ok(packets.length > 0, 'the reply carries a pack on band 1');
  // The first packet holds the pack header and the first entries: damage lands in zlib data.
  const at = packets[0]!;
  const len = parseInt(out.toString('latin1', at, at + 4), 16);
  out[at + 5 + Math.floor((len - 5) / 2)]! ^= 0x40;
  return out;
}

before(() => {
  tmp = tempDir('nymote-sync-');
  root = join(tmp.dir, 'served');
  git(['init', '-q', '--bare', join(tmp.dir, 'placeholder.git')]);
  git(['init', '-q', '--bare', root]);
});
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});
after(() => tmp.cleanup());

for (const v2 of [true, false]) {
  describe(`git http-backend, protocol ${v2 ? 'v2' : 'v0'}`, () => {
    test('clone: everything arrives, git agrees, the remote is in the git config', async () => {
      const name = upstream();
      const s = await server({ protocolV2: v2 });
      const dir = join(tmp.dir, `clone${++n}.git`);
      const progress: SyncProgress[] = [];
      const { store, branch, fetch } = await cloneRepository(`${s.url}/${name}`, dir, { onProgress: (p) => progress.push(p) });
      try {
        assert.equal(branch, 'main');
        assert.ok(fetch.objects > 0);
        const remoteHead = git(['rev-parse', 'main'], { cwd: join(root, name) }).trim();
        assert.equal(await store.head('main'), remoteHead);
        assert.equal(git(['rev-parse', 'refs/remotes/origin/main'], { cwd: dir }).trim(), remoteHead);
        assert.equal(git(['symbolic-ref', 'HEAD'], { cwd: dir }).trim(), 'refs/heads/main');
        git(['fsck', '--strict', '--no-dangling'], { cwd: dir });
        assert.match(git(['remote', '-v'], { cwd: dir }), new RegExp(`origin\\s+${s.url}/${name} \\(fetch\\)`));
        assert.equal(new TextDecoder().decode(await store.get('note2.txt')), 'note 2\n');
        assert.ok(progress.some((p) => p.phase === 'receiving' && p.done === p.total && p.total! > 0));
        assert.ok(progress.some((p) => p.phase === 'resolving'));
        assert.ok(s.log.some((l) => l.endsWith(' v2')) === v2, `protocol used: ${s.log.join(', ')}`);
      } finally {
        await store.close();
      }
    });

    test('fetch brings new commits as a thin pack, completed with the local base', async () => {
      const name = upstream();
      const s = await server({ protocolV2: v2 });
      const dir = join(tmp.dir, `clone${++n}.git`);
      const { store } = await cloneRepository(`${s.url}/${name}`, dir);
      try {
        const oldBig = git(['rev-parse', 'main:big.txt'], { cwd: dir }).trim();
        const packsBefore = new Set(readdirSync(join(dir, 'objects', 'pack')));
        const next = gitCommit(join(root, name), 'big.txt', lines(400, 399));
        git(['tag', '-a', '-m', 'release', 'v1', next], { cwd: join(root, name) });
        const tag = git(['rev-parse', 'v1'], { cwd: join(root, name) }).trim();
        const r = await fetchRemote(store, 'origin');
        assert.deepEqual(r.updated.map((u) => [u.name, u.next]), [['refs/remotes/origin/main', next], ['refs/tags/v1', tag]]);
        assert.ok(r.objects <= 5, `only the new objects (and the thin base) were sent, got ${r.objects}`);
        assert.equal(git(['cat-file', '-t', 'v1'], { cwd: dir }).trim(), 'tag');
        const newIdx = readdirSync(join(dir, 'objects', 'pack')).filter((f) => f.endsWith('.idx') && !packsBefore.has(f));
        assert.equal(newIdx.length, 1);
        const index = PackIndex.parse(readFileSync(join(dir, 'objects', 'pack', newIdx[0]!)), newIdx[0]!);
        assert.ok(index.has(oldBig), 'the thin base was appended to the received pack');
        assert.equal(await store.head('main'), git(['rev-parse', 'HEAD~1'], { cwd: join(root, name) }).trim(), 'fetch leaves local branches alone');
        git(['fsck', '--strict', '--no-dangling'], { cwd: dir });
        const again = await fetchRemote(store, 'origin');
        assert.deepEqual(again.updated, []);
        assert.equal(again.objects, 0);
      } finally {
        await store.close();
      }
    });

    test('push: a fast-forward goes through; a non-fast-forward is refused unless forced; delete', async () => {
      const name = upstream();
      const s = await server({ protocolV2: v2 });
      const dir = join(tmp.dir, `clone${++n}.git`);
      const { store } = await cloneRepository(`${s.url}/${name}`, dir);
      const up = join(root, name);
      try {
        await store.set('big.txt', lines(400, 123), { message: 'edit from nymote' });
        await store.set('contacts/bob.json', '{"name":"Bob"}\n', { message: 'add bob' });
        const pushed = await pushRemote(store, 'origin');
        assert.equal(pushed.kind, 'fast-forward');
        assert.equal(git(['rev-parse', 'main'], { cwd: up }).trim(), await store.head('main'));
        assert.equal(git(['rev-parse', 'refs/remotes/origin/main'], { cwd: dir }).trim(), await store.head('main'));
        git(['fsck', '--strict', '--no-dangling'], { cwd: up });
        assert.equal(git(['show', 'main:contacts/bob.json'], { cwd: up }), '{"name":"Bob"}\n');
        assert.equal((await pushRemote(store, 'origin')).kind, 'up-to-date');

        // Someone else pushes; our next push would lose their commit.
        const theirs = gitCommit(up, 'other.txt', 'theirs\n');
        await store.set('mine.txt', 'mine\n');
        await assert.rejects(pushRemote(store, 'origin'), (e) => {
          assert.ok(isStoreError(e, 'non-fast-forward'));
          assert.match((e as Error).message, /refs\/heads\/main.*pull first.*--force/);
          return true;
        });
        assert.equal(git(['rev-parse', 'main'], { cwd: up }).trim(), theirs, 'the remote is unchanged');
        const forced = await pushRemote(store, 'origin', { force: true });
        assert.equal(forced.kind, 'forced');
        assert.equal(git(['rev-parse', 'main'], { cwd: up }).trim(), await store.head('main'));

        await store.createBranch('topic');
        assert.equal((await pushRemote(store, 'origin', { branch: 'topic' })).kind, 'created');
        assert.equal(git(['rev-parse', 'topic'], { cwd: up }).trim(), await store.head('topic'));
        assert.equal((await pushRemote(store, 'origin', { branch: 'topic', delete: true })).kind, 'deleted');
        assert.throws(() => git(['rev-parse', '--verify', '-q', 'refs/heads/topic'], { cwd: up }));
        git(['fsck', '--strict', '--no-dangling'], { cwd: up });
      } finally {
        await store.close();
      }
    });
    test("clone checks out the branch the remote's HEAD names", async () => {
      const name = upstream(1);
      const up = join(root, name);
      git(['branch', 'dev', 'main'], { cwd: up });
      git(['symbolic-ref', 'HEAD', 'refs/heads/dev'], { cwd: up });
      const s = await server({ protocolV2: v2 });
      const dir = join(tmp.dir, `clone${++n}.git`);
      const { store, branch } = await cloneRepository(`${s.url}/${name}`, dir);
      await store.close();
      assert.equal(branch, 'dev');
      assert.equal(git(['symbolic-ref', 'HEAD'], { cwd: dir }).trim(), 'refs/heads/dev');
      assert.deepEqual(git(['for-each-ref', '--format=%(refname)', 'refs/remotes'], { cwd: dir }).trim().split('\n'),
        ['refs/remotes/origin/dev', 'refs/remotes/origin/main']);
    });

    test('an empty repository: clone it, then push the first branch', async () => {
      const name = `empty${++n}.git`;
      git(['init', '-q', '--bare', '-b', 'main', join(root, name)]);
      const s = await server({ protocolV2: v2 });
      const dir = join(tmp.dir, `clone${++n}.git`);
      const { store, branch } = await cloneRepository(`${s.url}/${name}`, dir);
      try {
        assert.equal(branch, undefined);
        await store.set('first', 'value');
        const r = await pushRemote(store, 'origin');
        assert.equal(r.kind, 'created');
        assert.equal(git(['rev-parse', 'main'], { cwd: join(root, name) }).trim(), await store.head());
        git(['fsck', '--strict', '--no-dangling'], { cwd: join(root, name) });
      } finally {
        await store.close();
      }
    });
  });
}

describe('a damaged pack from the server', () => {
  for (const [what, mangle] of [
    ['a flipped byte in the pack data', damagePack],
    ['a truncated body', (b: Buffer) => b.subarray(0, Math.floor(b.length * 0.6))],
  ] as const) {
    test(`${what}: a clear error, and the repository is exactly as it was`, async () => {
      const name = upstream();
      const good = await server();
      const dir = join(tmp.dir, `clone${++n}.git`);
      const { store } = await cloneRepository(`${good.url}/${name}`, dir);
      await store.close();
      gitCommit(join(root, name), 'big.txt', lines(400, 200));
      const bad = await server({ mangle: (req, body) => (req.method === 'POST' && req.path.endsWith('/git-upload-pack') && body.length > 500 ? mangle(body) : body) });
      const s2 = await openStore(dir);
      try {
        // Point origin at the server that damages packs.
        await removeRemote(dir, 'origin');
        await addRemote(dir, 'origin', `${bad.url}/${name}`);
        const configBefore = snapshot(dir);
        await assert.rejects(fetchRemote(s2, "origin"), (e) => {
          if (process.env["SHOW_ERRORS"]) console.log(String(e));
          assert.ok(isStoreError(e, 'corrupt-pack') || isStoreError(e, 'protocol'), String(e));
          assert.match((e as Error).message, new RegExp(`${bad.url}/${name}`));
          return true;
        });
        assert.equal(snapshot(dir), configBefore);
      } finally {
        await s2.close();
      }
    });
  }
});

describe('remotes in the git config', () => {
  test('add, list, remove; git sees them and we see git\'s', async () => {
    const dir = join(tmp.dir, `cfg${++n}.git`);
    git(['init', '-q', '--bare', dir]);
    git(['config', 'user.name', 'Somebody'], { cwd: dir });
    await addRemote(dir, 'origin', 'https://example.invalid/repo.git');
    await addRemote(dir, 'backup', '/srv/with space/repo');
    git(['remote', 'add', 'gitmade', 'https://example.invalid/other.git'], { cwd: dir });
    assert.match(git(['remote', '-v'], { cwd: dir }), /origin\thttps:\/\/example.invalid\/repo.git \(fetch\)/);
    assert.equal(git(['config', 'remote.backup.url'], { cwd: dir }).trim(), '/srv/with space/repo');
    assert.equal(git(['config', 'remote.origin.fetch'], { cwd: dir }).trim(), '+refs/heads/*:refs/remotes/origin/*');
    assert.deepEqual((await listRemotes(dir)).map((r) => [r.name, r.url]), [
      ['origin', 'https://example.invalid/repo.git'], ['backup', '/srv/with space/repo'], ['gitmade', 'https://example.invalid/other.git'],
    ]);
    await assert.rejects(addRemote(dir, 'origin', 'x'), (e) => isStoreError(e, 'exists'));
    await assert.rejects(addRemote(dir, 'bad name', 'x'), (e) => isStoreError(e, 'invalid-ref'));
    await removeRemote(dir, 'origin');
    await assert.rejects(removeRemote(dir, 'origin'), (e) => isStoreError(e, 'not-found'));
    assert.deepEqual(git(['remote'], { cwd: dir }).trim().split('\n'), ['backup', 'gitmade']);
    assert.equal(git(['config', 'user.name'], { cwd: dir }).trim(), 'Somebody', 'the rest of the file is kept');
    assert.ok(!existsSync(join(dir, 'config.lock')));
  });
});

describe('two replicas editing one contact offline', () => {
  test('pull from each other (HTTP and a local path): same merged tree, no field lost', async () => {
    const schema = schemaByPrefix({ contacts: jsonType });
    const s = await server();
    const origin = upstream(1);
    const a = join(tmp.dir, `replicaA${++n}.git`);
    const b = join(tmp.dir, `replicaB${n}.git`);
    const ca = await cloneRepository(`${s.url}/${origin}`, a, { store: { schema } });
    const alice = { name: 'Alice', email: 'alice@old.example', phone: '111' };
    await ca.store.set('contacts/alice.json', JSON.stringify(alice));
    await pushRemote(ca.store, 'origin');
    const cb = await cloneRepository(`${s.url}/${origin}`, b, { store: { schema } });
    const A = ca.store;
    const B = cb.store;
    try {
      // Offline, concurrently: A changes the email, B the phone and adds a city.
      await A.set('contacts/alice.json', JSON.stringify({ ...alice, email: 'alice@new.example' }), { message: 'A: email' });
      await B.set('contacts/alice.json', JSON.stringify({ ...alice, phone: '222', city: 'Lyon' }), { message: 'B: phone, city' });
      // Each pulls from the other: A over a local path, B over HTTP via origin.
      await addRemote(a, 'b', b);
      const pa = await pullRemote(A, 'b');
      assert.ok(pa.merge.ok && pa.merge.kind === 'merge', JSON.stringify(pa.merge));
      await pushRemote(A, 'origin');
      const pb = await pullRemote(B, 'origin');
      assert.ok(pb.merge.ok && pb.merge.kind === 'fast-forward', 'B fast-forwards to the merge A made');
      const merged = { ...alice, email: 'alice@new.example', phone: '222', city: 'Lyon' };
      for (const st of [A, B]) assert.deepEqual(JSON.parse(new TextDecoder().decode(await st.get('contacts/alice.json'))), merged);
      assert.equal(await A.head(), await B.head());
      assert.equal(await (await A.tree()).hash(), await (await B.tree()).hash());
      git(['fsck', '--strict', '--no-dangling'], { cwd: a });
      git(['fsck', '--strict', '--no-dangling'], { cwd: b });
    } finally {
      await A.close();
      await B.close();
    }
  });
});

describe('the portable path (what a browser runs)', () => {
  test('a memory store fetches, pulls and pushes over HTTP with the portable SHA-1', async () => {
    const name = upstream(2);
    const s = await server();
    const store = new Store(memoryBackend());
    const transport = httpTransport(`${s.url}/${name}`, { fetch: globalThis.fetch });
    const options = { zlib: nodeZlib, sha1: portableSha1 };
    const f = await fetchFrom(store, transport, options);
    assert.ok(f.objects > 0);
    const pulled = await pullFrom(store, transport, options);
    assert.ok(pulled.merge.ok && pulled.merge.kind === 'fast-forward');
    assert.equal(await store.head(), git(['rev-parse', 'main'], { cwd: join(root, name) }).trim());
    await store.set('from-memory', 'hello');
    const pushed = await pushTo(store, transport, options);
    assert.equal(pushed.kind, 'fast-forward');
    assert.equal(git(['show', 'main:from-memory'], { cwd: join(root, name) }), 'hello');
    git(['fsck', '--strict', '--no-dangling'], { cwd: join(root, name) });
  });

  test('no repository at the URL: HTTP 404, named', async () => {
    const s = await server();
    const store = new Store(memoryBackend());
    await assert.rejects(fetchFrom(store, httpTransport(`${s.url}/nothing-here.git`), { zlib: nodeZlib, sha1: portableSha1 }), (e) => {
      assert.ok(isStoreError(e, 'remote'));
      assert.match((e as Error).message, /nothing-here\.git: HTTP 404/);
      return true;
    });
  });
});

describe('HTTP details', () => {
  test('credentials in the URL go out as Basic authentication, never in the URL or messages', async () => {
    const name = upstream(1);
    const s = await server();
    const seen: { url: string; auth: string | null }[] = [];
    const spy: typeof globalThis.fetch = async (input, init) => {
      seen.push({ url: String(input), auth: new Headers(init?.headers).get('authorization') });
      return globalThis.fetch(input, init);
    };
    const withCredentials = s.url.replace('http://', 'http://me:s%40cret@');
    const transport = httpTransport(`${withCredentials}/${name}`, { fetch: spy });
    assert.equal(transport.url, `${s.url}/${name}`);
    const store = new Store(memoryBackend());
    await fetchFrom(store, transport, { zlib: nodeZlib, sha1: portableSha1 });
    assert.ok(seen.length >= 2);
    for (const r of seen) {
      assert.ok(!r.url.includes('s%40cret') && !r.url.includes('me:'), r.url);
      assert.equal(r.auth, `Basic ${Buffer.from('me:s@cret').toString('base64')}`);
    }
  });

  test('a server that is not a smart Git server is named as such', async () => {
    const fake: typeof globalThis.fetch = async () => new Response('<html>hello</html>', { status: 200, headers: { 'Content-Type': 'text/html' } });
    const store = new Store(memoryBackend());
    await assert.rejects(fetchFrom(store, httpTransport('http://127.0.0.1:9/repo.git', { fetch: fake }), { zlib: nodeZlib, sha1: portableSha1 }), (e) => {
      assert.ok(isStoreError(e, 'protocol'));
      assert.match((e as Error).message, /^http:\/\/127\.0\.0\.1:9\/repo\.git: .*not a smart Git HTTP server/);
      return true;
    });
  });
});
