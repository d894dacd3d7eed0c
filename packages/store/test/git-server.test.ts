// The real git client against our smart HTTP server: clone, fetch, push and ls-remote, protocol v0 and
// v2, plus requests git would never send (corrupt packs, bad paths, gzip bodies).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { git, tempDir } from './helpers/git.js';
import { openStore, nodeZlib } from '../src/node.js';
import { nodeSha1 } from '../src/backend/fs/hash.js';
import { createGitHttpHandler, type GitHttpOptions } from '../src/http/git-http.js';
import { buildPack, objectsToSend } from '../src/sync/send-objects.js';
import { FLUSH_PKT, pktLine } from '../src/sync/pkt-line.js';
import type { Store } from '../src/store.js';
import type { ObjectId } from '../src/git/id.js';

const GIT_ENV = (home: string): NodeJS.ProcessEnv => ({
  ...process.env,
  GIT_AUTHOR_NAME: 'Pusher', GIT_AUTHOR_EMAIL: 'pusher@example.org',
  GIT_COMMITTER_NAME: 'Pusher', GIT_COMMITTER_EMAIL: 'pusher@example.org',
  GIT_CONFIG_NOSYSTEM: '1', HOME: home, GIT_TERMINAL_PROMPT: '0', GIT_PROTOCOL_FROM_USER: '1',
  LANG: 'C', LC_ALL: 'C',
});

/**
 * Runs git without blocking the event loop (the server answering it lives in this process).
 * Resolves with stdout and stderr; rejects with both when git fails, unless `allowFail`.
 */
function gitAsync(home: string, args: string[], cwd?: string, allowFail = false): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: GIT_ENV(home), maxBuffer: 1 << 28 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      if (err && !allowFail) reject(new Error(`git ${args.join(' ')} failed (${code}):\n${stderr}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

async function serve(options: GitHttpOptions): Promise<{ server: Server; url: string; log: string[] }> {
  const log: string[] = [];
  const handler = createGitHttpHandler({ ...options, log: (l) => log.push(l) });
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/git' || url.startsWith('/git/')) void handler(req, res, url.slice(4) || '/');
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/git`, log };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A raw HTTP exchange, for requests git would not make. */
function http(url: string, method: string, headers: Record<string, string>, body?: Uint8Array): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function refsOf(repo: string): Map<string, string> {
  const out = git(['for-each-ref', '--format=%(objectname) %(refname)'], { cwd: repo });
  return new Map(out.split('\n').filter(Boolean).map((l) => [l.slice(41), l.slice(0, 40)] as const).map(([n, id]) => [n, id]));
}

describe('git smart HTTP server', () => {
  let store: Store;
  let dir: string;
  let home: string;
  const cleanups: (() => void)[] = [];
  let server: Server;
  let url: string;
  let log: string[];
  let tagId: ObjectId;

  before(async () => {
    const repo = tempDir('nymote-git-server-');
    const h = tempDir('nymote-git-home-');
    cleanups.push(repo.cleanup, h.cleanup);
    dir = repo.dir;
    home = h.dir;
    let t = 1_700_000_000_000;
    store = await openStore(dir, { create: true, clock: () => (t += 60_000) });
    for (let i = 0; i < 12; i++) await store.set(`notes/n${i % 4}.txt`, `note ${i}\n`.repeat(i + 1));
    await store.set('config/app.json', '{"a":1}\n');
    await store.createBranch('feature');
    await store.set('feature/x.txt', 'feature work\n', { branch: 'feature' });
    await store.createBranch('old');
    git(['-c', 'user.name=T', '-c', 'user.email=t@x', 'tag', '-a', '-m', 'release 1', 'v1', 'refs/heads/main'], { cwd: dir });
    git(['tag', 'light', 'refs/heads/feature'], { cwd: dir });
    tagId = git(['rev-parse', 'refs/tags/v1'], { cwd: dir }).trim();
    ({ server, url, log } = await serve({ store, allowPush: true }));
  });

  after(async () => {
    await close(server);
    await store.close();
    for (const c of cleanups) c();
  });

  for (const version of [0, 2]) {
    describe(`protocol v${version}`, () => {
      const v = ['-c', `protocol.version=${version}`];

      test('ls-remote lists HEAD, branches and tags with peeled tags', async () => {
        const { stdout } = await gitAsync(home, [...v, 'ls-remote', url]);
        const expected = git(['ls-remote', dir]);
        assert.equal(stdout, expected);
        assert.ok(stdout.includes(`${tagId}\trefs/tags/v1\n`));
        assert.match(stdout, /refs\/tags\/v1\^\{\}/);
        const symref = await gitAsync(home, [...v, 'ls-remote', '--symref', url, 'HEAD']);
        assert.match(symref.stdout, /^ref: refs\/heads\/main\tHEAD$/m);
      });

      test('clone, then fetch only the new objects, then push a fast-forward', async () => {
        const work = tempDir('nymote-git-clone-');
        try {
          const clone = join(work.dir, 'c');
          await gitAsync(home, [...v, 'clone', '-q', url, clone]);
          assert.equal(git(['rev-parse', 'HEAD'], { cwd: clone }).trim(), await store.head('main'));
          assert.equal(git(['rev-parse', 'origin/feature'], { cwd: clone }).trim(), await store.head('feature'));
          assert.equal(git(['rev-parse', 'v1'], { cwd: clone }).trim(), tagId);
          assert.equal(git(['cat-file', '-p', 'HEAD:config/app.json'], { cwd: clone }), '{"a":1}\n');
          git(['fsck', '--strict', '--no-dangling'], { cwd: clone });

          // Incremental fetch: exactly the objects of the new commits, unpacked loose so we can count them.
          const before = (await store.head('main'))!;
          await store.set('notes/n1.txt', `fetched ${version}\n`);
          const after = await store.set(`new/${version}.txt`, 'new\n');
          const expected = git(['rev-list', '--objects', after, `^${before}`], { cwd: dir }).split('\n').filter(Boolean).length;
          // An annotated tag on a fetched commit comes along (include-tag / tag following).
          git(['-c', 'user.name=T', '-c', 'user.email=t@x', 'tag', '-a', '-m', 'auto', `auto-v${version}`, after], { cwd: dir });
          const autoTag = git(['rev-parse', `auto-v${version}`], { cwd: dir }).trim();
          const countLoose = (): number => Number(/^count: (\d+)$/m.exec(git(['count-objects', '-v'], { cwd: clone }))![1]);
          const loose0 = countLoose();
          await gitAsync(home, [...v, '-c', 'fetch.unpackLimit=100000', 'fetch', '-q', 'origin'], clone);
          assert.equal(git(['rev-parse', 'origin/main'], { cwd: clone }).trim(), after);
          assert.equal(countLoose() - loose0, expected + 1, 'the new objects and the tag, nothing more');
          assert.equal(git(['rev-parse', `refs/tags/auto-v${version}`], { cwd: clone }).trim(), autoTag);

          // Fast-forward push: the store sees the new head, and git finds our repository sound.
          git(['merge', '-q', '--ff-only', 'origin/main'], { cwd: clone });
          git(['-c', 'user.name=P', '-c', 'user.email=p@x', 'commit', '-q', '--allow-empty', '-m', 'empty'], { cwd: clone });
          await gitAsync(home, ['-C', clone, 'config', 'user.name', 'Pusher']);
          const { writeFileSync, mkdirSync } = await import('node:fs');
          mkdirSync(join(clone, 'pushed'), { recursive: true });
          writeFileSync(join(clone, 'pushed', `v${version}.txt`), 'from git\n'.repeat(100));
          git(['add', '.'], { cwd: clone });
          git(['-c', 'user.name=P', '-c', 'user.email=p@x', 'commit', '-q', '-m', `push v${version}`], { cwd: clone });
          const pushed = git(['rev-parse', 'HEAD'], { cwd: clone }).trim();
          const seen: ObjectId[] = [];
          const stop = store.watch((c) => { if (c.branch === 'main') seen.push(c.commit!); });
          await gitAsync(home, [...v, 'push', '-q', 'origin', 'main'], clone);
          assert.equal(await store.head('main'), pushed);
          assert.equal(new TextDecoder().decode(await store.get(`pushed/v${version}.txt`)), 'from git\n'.repeat(100));
          for (let i = 0; i < 50 && !seen.includes(pushed); i++) await new Promise((r) => setTimeout(r, 20));
          stop();
          assert.ok(seen.includes(pushed), 'the store watcher saw the push');
          git(['fsck', '--strict', '--no-dangling'], { cwd: dir });

          // A push bigger than git's http.postBuffer goes chunked, after a probe request of just a flush.
          const { randomBytes } = await import('node:crypto');
          writeFileSync(join(clone, 'pushed', 'big.bin'), randomBytes(3 << 20));
          git(['add', '.'], { cwd: clone });
          git(['-c', 'user.name=P', '-c', 'user.email=p@x', 'commit', '-q', '-m', 'big'], { cwd: clone });
          const big = git(['rev-parse', 'HEAD'], { cwd: clone }).trim();
          await gitAsync(home, [...v, '-c', 'http.postBuffer=65536', 'push', '-q', 'origin', 'main'], clone);
          assert.equal(await store.head('main'), big);
          assert.equal((await store.get('pushed/big.bin'))!.length, 3 << 20);
          const pushedBig = big;

          // A forced non-fast-forward push reaches the server, which refuses it.
          git(['reset', '-q', '--hard', pushed], { cwd: clone });
          git(['-c', 'user.name=P', '-c', 'user.email=p@x', 'commit', '-q', '--allow-empty', '-m', 'rewrite'], { cwd: clone });
          const r = await gitAsync(home, [...v, 'push', '--force', 'origin', 'main'], clone, true);
          assert.notEqual(r.code, 0);
          assert.match(r.stderr, /non-fast-forward/);
          assert.equal(await store.head('main'), pushedBig);

          // A new branch, a tag, then deleting the branch.
          await gitAsync(home, [...v, 'push', '-q', 'origin', `HEAD:refs/heads/topic-${version}`, `HEAD:refs/tags/t${version}`], clone);
          assert.equal(await store.head(`topic-${version}`), git(['rev-parse', 'HEAD'], { cwd: clone }).trim());
          assert.ok(await store.backend.refs.read(`refs/tags/t${version}`));
          await gitAsync(home, [...v, 'push', '-q', 'origin', `:refs/heads/topic-${version}`], clone);
          assert.equal(await store.head(`topic-${version}`).catch(() => undefined), undefined);

          // Negotiation over several rounds: the client has many commits the server lacks, so it sends
          // haves in batches until it finds common ones, then a pack of only what it misses.
          const clientOnly = tempDir('nymote-git-diverged-');
          try {
            const d = join(clientOnly.dir, 'd');
            git(['clone', '-q', '--no-local', clone, d]);
            git(['remote', 'add', 'srv', url], { cwd: d });
            for (let i = 0; i < 120; i++) git(['-c', 'user.name=P', '-c', 'user.email=p@x', 'commit', '-q', '--allow-empty', '-m', `local ${i}`], { cwd: d });
            const remoteNew = await store.set(`rounds/${version}.txt`, 'after divergence\n');
            const trace = await gitAsync(home, [...v, '-c', 'fetch.negotiationAlgorithm=consecutive', 'fetch', 'srv', 'main'], d);
            void trace;
            assert.equal(git(['rev-parse', 'FETCH_HEAD'], { cwd: d }).trim(), remoteNew);
            git(['fsck', '--no-dangling'], { cwd: d });
          } finally {
            clientOnly.cleanup();
          }

          // Refs outside branches and tags are refused.
          const notes = await gitAsync(home, [...v, 'push', 'origin', 'HEAD:refs/notes/x'], clone, true);
          assert.notEqual(notes.code, 0);
          assert.match(notes.stderr, /remote rejected/);
          assert.equal(await store.backend.refs.read('refs/notes/x'), undefined);
          await store.backend.refs.compareAndSwap(`refs/tags/t${version}`, await store.backend.refs.read(`refs/tags/t${version}`), undefined);
        } finally {
          work.cleanup();
        }
      });
    });
  }

  test('a clone of an empty repository', async () => {
    const empty = tempDir('nymote-git-empty-');
    const work = tempDir('nymote-git-clone-');
    const s = await openStore(empty.dir, { create: true });
    const srv = await serve({ store: s, allowPush: true });
    try {
      for (const version of [0, 2]) {
        const r = await gitAsync(home, ['-c', `protocol.version=${version}`, 'clone', srv.url, join(work.dir, `e${version}`)]);
        assert.match(r.stderr, /empty repository/);
      }
      // And the first push into it.
      const c = join(work.dir, 'e0');
      git(['-c', 'user.name=P', '-c', 'user.email=p@x', 'commit', '-q', '--allow-empty', '-m', 'first'], { cwd: c });
      await gitAsync(home, ['push', '-q', 'origin', 'HEAD:refs/heads/main'], c);
      assert.equal(await s.head('main'), git(['rev-parse', 'HEAD'], { cwd: c }).trim());
    } finally {
      await close(srv.server);
      await s.close();
      empty.cleanup();
      work.cleanup();
    }
  });

  test('pushing is refused with 403 unless allowed', async () => {
    const srv = await serve({ store });
    try {
      const r = await http(`${srv.url}/info/refs?service=git-receive-pack`, 'GET', {});
      assert.equal(r.status, 403);
      const p = await http(`${srv.url}/git-receive-pack`, 'POST', { 'Content-Type': 'application/x-git-receive-pack-request' }, FLUSH_PKT);
      assert.equal(p.status, 403);
      const ok = await http(`${srv.url}/info/refs?service=git-upload-pack`, 'GET', {});
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['content-type'], 'application/x-git-upload-pack-advertisement');
      assert.match(String(ok.headers['cache-control']), /no-cache/);
      assert.ok(ok.body.toString().startsWith('001e# service=git-upload-pack\n0000'));
    } finally {
      await close(srv.server);
    }
  });

  test('corrupt or truncated pushed packs leave every ref untouched', async () => {
    const main = (await store.head('main'))!;
    const parent = (await store.objects.commit(main)).parents[0]!;
    // A real pack for a commit the server does not have yet.
    const commitBody = new TextEncoder().encode(`tree ${(await store.objects.commit(main)).tree}\nparent ${main}\nauthor A <a@x> 1700000000 +0000\ncommitter A <a@x> 1700000000 +0000\n\nnot stored\n`);
    const commitId = nodeSha1(new Uint8Array([...new TextEncoder().encode(`commit ${commitBody.length}\0`), ...commitBody]));
    const pack = await buildPack([{ type: 'commit', body: commitBody }], { zlib: nodeZlib, sha1: nodeSha1 });
    const refsBefore = refsOf(dir);
    const push = (packBytes: Uint8Array, ref = 'refs/heads/main', next = commitId) => http(`${url}/git-receive-pack`, 'POST',
      { 'Content-Type': 'application/x-git-receive-pack-request' },
      Buffer.concat([pktLine(`${main} ${next} ${ref}\0report-status\n`), FLUSH_PKT, packBytes]));
    const corrupt = pack.slice();
    corrupt[20] ^= 0xff;
    for (const [name, bytes] of [['truncated', pack.subarray(0, pack.length - 7)], ['corrupt', corrupt], ['empty', new Uint8Array(0)], ['garbage', new TextEncoder().encode('hello, world, not a pack at all')]] as const) {
      const r = await push(bytes);
      assert.equal(r.status, 200, name);
      const text = r.body.toString('latin1');
      assert.doesNotMatch(text, /unpack ok/, name);
      assert.match(text, /unpack /, name);
      assert.match(text, /ng refs\/heads\/main /, name);
      assert.deepEqual(refsOf(dir), refsBefore, name);
    }
    // A sound pack that leaves out what its commit needs: refused for missing objects.
    const orphanBody = new TextEncoder().encode(`tree ${'1'.repeat(40)}\nparent ${main}\nauthor A <a@x> 1700000000 +0000\ncommitter A <a@x> 1700000000 +0000\n\norphan\n`);
    const orphanId = nodeSha1(new Uint8Array([...new TextEncoder().encode(`commit ${orphanBody.length}\0`), ...orphanBody]));
    const orphan = await buildPack([{ type: 'commit', body: orphanBody }], { zlib: nodeZlib, sha1: nodeSha1 });
    const r = await push(orphan, 'refs/heads/main', orphanId);
    assert.match(r.body.toString('latin1'), /unpack ok/);
    assert.match(r.body.toString('latin1'), /ng refs\/heads\/main missing necessary objects/);
    assert.deepEqual(refsOf(dir), refsBefore);
    // The sound pack goes in when it is a fast-forward; sent to the wrong ref it would not be.
    const bad = await push(pack, 'refs/heads/feature');
    assert.match(bad.body.toString('latin1'), /ng refs\/heads\/feature/);
    assert.deepEqual(refsOf(dir), refsBefore);
    void parent;
  });

  test('bad requests get 4xx answers and the server keeps serving', async () => {
    const cases: [string, string, Record<string, string>, Uint8Array | undefined, number][] = [
      ['/nope', 'GET', {}, undefined, 404],
      ['/info/refs', 'GET', {}, undefined, 403],
      ['/info/refs?service=git-frobnicate', 'GET', {}, undefined, 403],
      ['/git-upload-pack', 'GET', {}, undefined, 405],
      ['/git-upload-pack', 'POST', { 'Content-Type': 'text/plain' }, FLUSH_PKT, 415],
      ['/git-upload-pack', 'POST', { 'Content-Type': 'application/x-git-upload-pack-request' }, new TextEncoder().encode('zzzz'), 400],
      ['/git-upload-pack', 'POST', { 'Content-Type': 'application/x-git-upload-pack-request' }, pktLine('want nothing\n'), 400],
      ['/git-upload-pack', 'POST', { 'Content-Type': 'application/x-git-upload-pack-request' }, Buffer.concat([pktLine(`want ${'2'.repeat(40)}\n`), FLUSH_PKT, pktLine('done\n')]), 400],
      ['/git-upload-pack', 'POST', { 'Content-Type': 'application/x-git-upload-pack-request', 'Content-Encoding': 'gzip' }, new TextEncoder().encode('not gzip'), 400],
      ['/git-upload-pack', 'POST', { 'Content-Type': 'application/x-git-upload-pack-request', 'Content-Encoding': 'br' }, FLUSH_PKT, 415],
      ['/git-upload-pack', 'POST', { 'Content-Type': 'application/x-git-upload-pack-request', 'Git-Protocol': 'version=2' }, Buffer.concat([pktLine('command=frob\n'), FLUSH_PKT]), 400],
      ['/git-receive-pack', 'POST', { 'Content-Type': 'application/x-git-receive-pack-request' }, pktLine('0123 refs/heads/x\n'), 400],
    ];
    for (const [path, method, headers, body, status] of cases) {
      const r = await http(`${url}${path}`, method, headers, body);
      assert.equal(r.status, status, `${method} ${path} ${body ? new TextDecoder().decode(body).slice(0, 40) : ''}: ${r.body.toString()}`);
    }
    const head = await http(`${url}/HEAD`, 'GET', {});
    assert.equal(head.body.toString(), 'ref: refs/heads/main\n');
    // Still alive.
    const { stdout } = await gitAsync(home, ['ls-remote', url, 'refs/heads/main']);
    assert.equal(stdout.slice(0, 40), await store.head('main'));
  });

  test('random request bodies never get a 5xx nor stop the server', async () => {
    const { default: fc } = await import('fast-check');
    const main = (await store.head('main'))!;
    const refsBefore = refsOf(dir);
    const prefixes = [
      new Uint8Array(0),
      pktLine(`want ${main} side-band-64k\n`),
      Buffer.concat([pktLine('command=fetch\n'), pktLine('agent=x\n')]),
      Buffer.concat([pktLine(`want ${main}\n`), FLUSH_PKT]),
      pktLine(`${main} ${'6'.repeat(40)} refs/heads/main\0report-status\n`),
    ];
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('/git-upload-pack', '/git-receive-pack'),
      fc.boolean(),
      fc.nat(prefixes.length - 1),
      fc.uint8Array({ maxLength: 300 }),
      async (path, v2, prefix, tail) => {
        const headers: Record<string, string> = { 'Content-Type': `application/x${path.replace('/', '-')}-request` };
        if (v2) headers['Git-Protocol'] = 'version=2';
        const r = await http(`${url}${path}`, 'POST', headers, Buffer.concat([prefixes[prefix]!, tail]));
        assert.ok(r.status < 500, `${r.status} ${r.body.toString().slice(0, 200)}`);
      },
    ), { numRuns: 150 });
    assert.deepEqual(refsOf(dir), refsBefore);
    const { stdout } = await gitAsync(home, ['ls-remote', url, 'refs/heads/main']);
    assert.equal(stdout.slice(0, 40), main);
  });

  test('a gzip request body (as git sends large negotiations) gets a pack', async () => {
    const main = (await store.head('main'))!;
    const feature = (await store.head('feature'))!;
    const body = Buffer.concat([
      pktLine(`want ${main} multi_ack_detailed side-band-64k ofs-delta\n`), pktLine(`want ${feature}\n`), FLUSH_PKT,
      pktLine(`have ${feature}\n`), pktLine('done\n'),
    ]);
    const r = await http(`${url}/git-upload-pack`, 'POST',
      { 'Content-Type': 'application/x-git-upload-pack-request', 'Content-Encoding': 'gzip' }, gzipSync(body));
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/x-git-upload-pack-result');
    const text = r.body.toString('latin1');
    assert.ok(text.startsWith(`0031ACK ${feature} common\n`.replace('0031', '0038')) || text.startsWith(`0038ACK ${feature} common`), text.slice(0, 80));
    assert.ok(text.includes(`ACK ${feature}\n`));
    assert.ok(text.includes('PACK'));
    const expected = await objectsToSend(store.objects, [main, feature], [feature]);
    assert.ok(expected.length > 0);
    assert.ok(log.some((l) => l.includes('/git-upload-pack 200')));
  });
});
