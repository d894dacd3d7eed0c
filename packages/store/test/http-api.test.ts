// The HTTP JSON API over real sockets on 127.0.0.1: Node's fetch, raw http requests for what fetch
// would tidy up (paths with "..", streamed bodies), and curl as an independent peer.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { openStore } from '../src/node.js';
import { createStoreServer, type StoreServer } from '../src/http/index.js';
import type { HttpHandler, StoreServerOptions } from '../src/http/types.js';
import { bytesType, jsonType, type ContentType } from '../src/merge/index.js';
import type { Schema } from '../src/merge-trees.js';
import type { Store } from '../src/store.js';
import { tempDir } from './helpers/git.js';

const schema: Schema = (key) => (key.endsWith('.json') ? jsonType : bytesType) as ContentType<unknown>;
const NODE_ENTRY = fileURLToPath(new URL('../src/node.js', import.meta.url));

interface Ctx {
  store: Store;
  server: StoreServer;
  dir: string;
  base: string;
  port: number;
  /** fetch relative to the server, as JSON in and out. */
  json(path: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }>;
}

async function withServer(options: Partial<StoreServerOptions>, body: (c: Ctx) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir('nymote-http-');
  const store = await openStore(dir, { create: true, schema, author: { name: 'Server', email: 'server@example.org' } });
  const server = createStoreServer({ store, schema, ...options });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  const json = async (path: string, init: RequestInit = {}) => {
    const r = await fetch(base + path, init);
    const text = await r.text();
    let parsed: unknown = text;
    if (r.headers.get('content-type')?.startsWith('application/json')) parsed = JSON.parse(text);
    return { status: r.status, body: parsed as any, headers: r.headers };
  };
  try {
    await body({ store, server, dir, base, port, json });
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
    cleanup();
  }
}

const put = (value: string | Uint8Array, headers: Record<string, string> = {}): RequestInit => ({ method: 'PUT', body: value, headers });
const post = (value: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(value), headers: { 'Content-Type': 'application/json' } });

/** A request exactly as written (fetch would normalize "..", and buffers bodies). */
function raw(port: number, method: string, path: string, options: { headers?: Record<string, string | number>; body?: AsyncIterable<Uint8Array> | Uint8Array } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: options.headers ?? {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    const b = options.body;
    if (b === undefined) req.end();
    else if (b instanceof Uint8Array) req.end(b);
    else {
      void (async () => {
        try {
          for await (const chunk of b) if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
          req.end();
        } catch {
          // The server may close the connection mid-body (413); the response tells what happened.
        }
      })();
    }
  });
}

function curl(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('/usr/bin/curl', ['-sS', ...args], { maxBuffer: 1 << 24 }, (e, out, err) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }));
  });
}

/** Reads Server-Sent Events from a fetch response body. */
function sseReader(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    /** The next event (comments skipped unless asked for), or fails after `ms`. */
    async next(ms = 10_000, comments = false): Promise<{ id?: string; event?: string; data?: string; comment?: string }> {
      const deadline = Date.now() + ms;
      for (;;) {
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const ev: { id?: string; event?: string; data?: string; comment?: string } = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) ev.comment = line.slice(1).trim();
            else {
              const i = line.indexOf(':');
              (ev as Record<string, string>)[line.slice(0, i)] = line.slice(i + 1).replace(/^ /, '');
            }
          }
          if (ev.event !== undefined || (comments && ev.comment !== undefined)) return ev;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no event within ${ms} ms; got so far: ${JSON.stringify(buffer)}`);
        let timer: NodeJS.Timeout | undefined;
        const r = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no event within ${ms} ms`)), left))),
        ]).finally(() => clearTimeout(timer));
        if (r.done) throw new Error('the stream ended');
        buffer += decoder.decode(r.value, { stream: true });
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  for (const start = Date.now(); !cond(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('HTTP API', { concurrency: true }, () => {
  test('branches: list, create, read, delete, with JSON errors naming the branch', () => withServer({}, async ({ json }) => {
    assert.deepEqual((await json('/api')).body, { defaultBranch: 'main' });
    assert.deepEqual((await json('/api/branches')).body, []);
    // The default branch exists (empty) before its first commit; others do not.
    assert.deepEqual((await json('/api/branches/main')).body, { name: 'main', head: null, default: true });
    const c1 = (await json('/api/branches/main/keys/a', put('1'))).body.commit;
    assert.deepEqual((await json('/api/branches')).body, [{ name: 'main', head: c1, default: true }]);

    const created = await json('/api/branches', post({ name: 'feature/x', from: 'main' }));
    assert.equal(created.status, 201);
    assert.deepEqual(created.body, { name: 'feature/x', head: c1, default: false });
    assert.equal(created.headers.get('location'), '/api/branches/feature%2Fx');
    assert.equal((await json('/api/branches/feature%2Fx')).body.head, c1);
    assert.equal((await json('/api/branches', post({ name: 'at-commit', from: c1 }))).status, 201);

    const exists = await json('/api/branches', post({ name: 'feature/x' }));
    assert.equal(exists.status, 409);
    assert.deepEqual(exists.body.error, { code: 'exists', message: 'branch "feature/x" already exists', branch: 'feature/x' });
    const bad = await json('/api/branches', post({ name: 'a..b' }));
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid-ref');
    assert.equal(bad.body.error.branch, 'a..b');
    assert.equal((await json('/api/branches', post({ name: 'y', from: 'nope' }))).body.error.branch, 'nope');
    assert.equal((await json('/api/branches', post({}))).body.error.field, 'name');
    assert.equal((await json('/api/branches', { method: 'POST', body: '{not json' })).body.error.code, 'bad-request');

    const del = await json('/api/branches/feature%2Fx', { method: 'DELETE' });
    assert.equal(del.status, 204);
    assert.equal((await json('/api/branches/feature%2Fx')).status, 404);
    assert.equal((await json('/api/branches/feature%2Fx', { method: 'DELETE' })).status, 404);
    const main = await json('/api/branches/main', { method: 'DELETE' });
    assert.equal(main.status, 409);
    assert.equal(main.body.error.code, 'default-branch');
  }));

  test('keys: values with media type, ETag and commit; trees as listings; 404 naming the key', () => withServer({}, async ({ json, base }) => {
    const w = await json('/api/branches/main/keys/contacts/alice.json', put('{"name":"Alice"}', { 'X-Nymote-Message': 'add Alice', 'X-Nymote-Author': 'Ann <ann@example.org>' }));
    assert.equal(w.status, 201);
    const { commit, id } = w.body;
    assert.equal(w.headers.get('etag'), `"${id}"`);
    assert.equal(w.body.changed, true);
    await json('/api/branches/main/keys/contacts/bob?message=bob&author=' + encodeURIComponent('Bo <bo@example.org>'), put(new Uint8Array([0, 255, 1])));

    const r = await fetch(`${base}/api/branches/main/keys/contacts/alice.json`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.headers.get('etag'), `"${id}"`);
    assert.equal(r.headers.get('x-nymote-kind'), 'value');
    assert.ok((await r.text()).includes('Alice'));
    const bin = await fetch(`${base}/api/branches/main/keys/contacts/bob`);
    assert.equal(bin.headers.get('content-type'), 'application/octet-stream');
    assert.deepEqual(new Uint8Array(await bin.arrayBuffer()), new Uint8Array([0, 255, 1]));
    const c2 = bin.headers.get('x-nymote-commit')!;

    const notModified = await fetch(`${base}/api/branches/main/keys/contacts/alice.json`, { headers: { 'If-None-Match': `"${id}"` } });
    assert.equal(notModified.status, 304);

    const listing = await json('/api/branches/main/keys/contacts');
    assert.equal(listing.headers.get('x-nymote-kind'), 'tree');
    assert.deepEqual(listing.body.entries, [{ name: 'alice.json', kind: 'value' }, { name: 'bob', kind: 'value' }]);
    assert.equal(listing.body.commit, c2);
    assert.deepEqual((await json('/api/branches/main/keys/')).body.entries, [{ name: 'contacts', kind: 'tree' }]);
    const all = await json('/api/branches/main/keys?recursive=1');
    assert.deepEqual(all.body.entries.map((e: { key: string }) => e.key), ['contacts/alice.json', 'contacts/bob']);
    assert.equal(all.body.entries[0].id, id);

    // The first commit still has Alice only; the log records who wrote it.
    assert.deepEqual((await json(`/api/commits/${commit}/keys/contacts`)).body.entries, [{ name: 'alice.json', kind: 'value' }]);
    assert.equal((await json(`/api/commits/${commit}/keys/contacts/bob`)).status, 404);
    const info = (await json(`/api/commits/${commit}`)).body;
    assert.equal(info.message, 'add Alice\n');
    assert.deepEqual([info.author.name, info.author.email], ['Ann', 'ann@example.org']);
    assert.equal(info.committer.name, 'Server');

    const missing = await json('/api/branches/main/keys/contacts/carol');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body.error, { code: 'not-found', message: 'no key "contacts/carol" at branch main', key: 'contacts/carol', branch: 'main' });
    assert.equal((await json('/api/branches/nope/keys/a')).body.error.branch, 'nope');
    assert.equal((await json('/api/commits/abc/keys/a')).body.error.code, 'invalid-commit');
    assert.equal((await json(`/api/commits/${'0'.repeat(40)}/keys/a`)).status, 404);

    // Values are checked against their content type before they are stored.
    const invalid = await json('/api/branches/main/keys/contacts/x.json', put('{oops'));
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.error.code, 'invalid-value');
    assert.equal(invalid.body.error.key, 'contacts/x.json');
    const author = await json('/api/branches/main/keys/x', put('1', { 'X-Nymote-Author': 'nobody' }));
    assert.equal(author.body.error.code, 'invalid-author');
    // A value cannot replace a tree of keys.
    assert.equal((await json('/api/branches/main/keys/contacts', put('v'))).body.error.code, 'type-mismatch');
    // Nor can a key go under a value.
    const under = await json('/api/branches/main/keys/contacts/bob/x', put('v'));
    assert.deepEqual([under.status, under.body.error.code], [409, 'type-mismatch']);
    // Writes go to existing branches only (and the default one).
    const noBranch = await json('/api/branches/typo/keys/x', put('1'));
    assert.equal(noBranch.status, 404);
    assert.equal(noBranch.body.error.branch, 'typo');
    // Same value again: no new commit.
    const same = await json('/api/branches/main/keys/contacts/bob', put(new Uint8Array([0, 255, 1])));
    assert.deepEqual([same.status, same.body.commit, same.body.changed], [200, c2, false]);
  }));

  test('test-and-set: If-Match, If-None-Match, expected commit; 409 tells what is there now', () => withServer({}, async ({ json, store }) => {
    // A failed condition on an empty branch makes no commit.
    const early = await json('/api/branches/main/keys/k', put('x', { 'If-Match': `"${'1'.repeat(40)}"` }));
    assert.equal(early.status, 409);
    assert.deepEqual(early.body.current, { id: null, commit: null });
    assert.equal(await store.head(), undefined);

    // The all-zero commit: the branch has no commit yet.
    const first = await json('/api/branches/main/keys/k', put('v1', { 'If-None-Match': '*', 'X-Nymote-Expect-Commit': '0'.repeat(40) }));
    assert.equal(first.status, 201);
    assert.equal((await json(`/api/branches/main/keys/k2?expect=${'0'.repeat(40)}`, put('v1'))).status, 409);
    const again = await json('/api/branches/main/keys/k', put('v1b', { 'If-None-Match': '*' }));
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'conflict');
    assert.equal(again.body.error.key, 'k');
    assert.deepEqual(again.body.current, { id: first.body.id, commit: first.body.commit });

    const ok = await json('/api/branches/main/keys/k', put('v2', { 'If-Match': `"${first.body.id}"` }));
    assert.equal(ok.status, 200);
    const stale = await json('/api/branches/main/keys/k', put('v3', { 'If-Match': `"${first.body.id}"` }));
    assert.equal(stale.status, 409);
    assert.equal(stale.body.current.id, ok.body.id);

    const wrongHead = await json(`/api/branches/main/keys/other?expect=${first.body.commit}`, put('x'));
    assert.equal(wrongHead.status, 409);
    assert.equal(wrongHead.body.current.commit, ok.body.commit);
    const rightHead = await json('/api/branches/main/keys/other', put('x', { 'X-Nymote-Expect-Commit': ok.body.commit }));
    assert.equal(rightHead.status, 201);
    assert.equal((await json('/api/branches/main/keys/other?expect=zzz', put('x'))).body.error.code, 'invalid-commit');

    assert.equal((await json('/api/branches/main/keys/k', { method: 'DELETE', headers: { 'If-Match': `"${first.body.id}"` } })).status, 409);
    const del = await json('/api/branches/main/keys/k?message=gone', { method: 'DELETE', headers: { 'If-Match': `"${ok.body.id}"` } });
    assert.equal(del.status, 200);
    assert.equal((await store.objects.commit(del.body.commit)).message, 'gone\n');
    assert.equal((await json('/api/branches/main/keys/k', { method: 'DELETE' })).status, 404);

    await json('/api/branches/main/keys/dir/a', put('1'));
    await json('/api/branches/main/keys/dir/b', put('2'));
    const tree = await json('/api/branches/main/keys/dir', { method: 'DELETE' });
    assert.equal(tree.status, 409);
    assert.equal(tree.body.error.code, 'type-mismatch');
    assert.equal((await json('/api/branches/main/keys/dir?recursive=1', { method: 'DELETE' })).status, 200);
    assert.equal(await store.kind('dir'), undefined);
  }));

  test('concurrent test-and-set: exactly one of many writers wins', () => withServer({}, async ({ json }) => {
    const first = await json('/api/branches/main/keys/counter', put('0'));
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      json('/api/branches/main/keys/counter', put(String(i + 1), { 'If-Match': `"${first.body.id}"` }))));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 409, 409, 409, 409, 409, 409, 409]);
  }));

  test('log: pages of a branch and of a key', () => withServer({}, async ({ json }) => {
    const commits: string[] = [];
    for (let i = 0; i < 5; i++) commits.push((await json(`/api/branches/main/keys/${i % 2 ? 'odd' : 'even'}`, put(String(i)))).body.commit);
    const p1 = await json('/api/branches/main/log?limit=2');
    assert.deepEqual(p1.body.entries.map((e: { id: string }) => e.id), [commits[4], commits[3]]);
    assert.equal(p1.body.next, commits[3]);
    const p2 = await json(`/api/branches/main/log?limit=10&after=${p1.body.next}`);
    assert.deepEqual(p2.body.entries.map((e: { id: string }) => e.id), [commits[2], commits[1], commits[0]]);
    assert.equal(p2.body.next, undefined);
    assert.equal(p2.body.entries[2].message, 'Set even\n');
    assert.deepEqual(p2.body.entries[2].parents, []);

    const odd = await json('/api/branches/main/log?key=odd');
    assert.deepEqual(odd.body.entries.map((e: { id: string }) => e.id), [commits[3], commits[1]]);
    assert.match(odd.body.entries[0].value, /^[0-9a-f]{40}$/);
    assert.deepEqual((await json(`/api/commits/${commits[1]}/log`)).body.entries.length, 2);
    assert.equal((await json('/api/branches/main/log?limit=0')).status, 400);
    assert.equal((await json('/api/branches/main/log?key=a//b')).body.error.code, 'invalid-key');
    assert.deepEqual((await json('/api/branches/nope/log')).body.error.branch, 'nope');
  }));

  test('merge: fast-forward, field-wise JSON merge, and conflicts as a 409 naming the keys', () => withServer({}, async ({ json, store }) => {
    await json('/api/branches/main/keys/c/alice.json', put('{"name":"Alice","email":"a@old"}'));
    await json('/api/branches/main/keys/note', put('base'));
    await json('/api/branches', post({ name: 'phone' }));
    await json('/api/branches/phone/keys/extra', put('x'));
    const ff = await json('/api/merge', post({ from: 'phone', into: 'main' }));
    assert.deepEqual([ff.status, ff.body.kind], [200, 'fast-forward']);

    await json('/api/branches/phone/keys/c/alice.json', put('{"name":"Alice","email":"a@new"}'));
    await json('/api/branches/main/keys/c/alice.json', put('{"name":"Alice B.","email":"a@old"}'));
    const merged = await json('/api/merge', post({ from: 'phone', message: 'sync phone', author: 'Ann <ann@example.org>' }));
    assert.deepEqual([merged.status, merged.body.kind], [200, 'merge']);
    assert.deepEqual((await json('/api/branches/main/keys/c/alice.json')).body, { name: 'Alice B.', email: 'a@new' });
    assert.equal((await store.objects.commit(merged.body.commit)).message, 'sync phone\n');

    await json('/api/branches/phone/keys/note', put('phone side'));
    await json('/api/branches/main/keys/note', put(new Uint8Array([0xff, 0x00])));
    const conflict = await json('/api/merge', post({ from: 'phone', into: 'main' }));
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.error.code, 'merge-conflict');
    assert.deepEqual(conflict.body.error.keys, ['note']);
    assert.equal(conflict.body.error.into, 'main');
    assert.equal(conflict.body.conflicts.length, 1);
    const c = conflict.body.conflicts[0];
    assert.equal(c.key, 'note');
    assert.deepEqual(c.base, { kind: 'value', value: 'base' });
    assert.deepEqual(c.ours, { kind: 'value', value: { base64: '/wA=' } });
    assert.deepEqual(c.theirs, { kind: 'value', value: 'phone side' });
    assert.equal(typeof c.message, 'string');

    const resolved = await json('/api/merge', post({ from: 'phone', into: 'main', resolutions: { note: 'both' } }));
    assert.deepEqual([resolved.status, resolved.body.kind], [200, 'merge']);
    assert.equal(new TextDecoder().decode(await store.get('note')), 'both');
    assert.equal((await json('/api/merge', post({ from: 'phone' }))).body.kind, 'up-to-date');
    assert.equal((await json('/api/merge', post({ from: 'ghost' }))).status, 404);
    assert.equal((await json('/api/merge', post({ from: 'phone', into: 'ghost' }))).body.error.branch, 'ghost');
    assert.equal((await json('/api/merge', post({ from: 'phone', resolutions: { note: 5 } }))).status, 400);
  }));

  test('bad requests: 400 for bad keys and encodings, 404 unknown routes, 405 wrong methods', () => withServer({}, async ({ json, port }) => {
    const dots = await raw(port, 'GET', '/api/branches/main/keys/a/../b');
    assert.equal(dots.status, 400);
    assert.equal(JSON.parse(dots.body).error.code, 'invalid-key');
    assert.equal(JSON.parse(dots.body).error.key, 'a/../b');
    assert.equal((await raw(port, 'GET', '/api/branches/main/keys/%E0%A4%A')).status, 400);
    assert.equal((await raw(port, 'PUT', '/api/branches/main/keys/a%00b', { body: new Uint8Array([1]) })).status, 400);
    assert.equal((await raw(port, 'GET', '/api/branches/main/keys/.git/config')).status, 400);
    const unknown = await json('/api/nothing');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.path, '/api/nothing');
    assert.equal((await json('/elsewhere')).status, 404);
    assert.equal((await json('/git/info/refs')).status, 404);
    const wrong = await json('/api/branches', { method: 'PATCH' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET, POST, HEAD');
    assert.equal((await json('/api/merge', post([]))).status, 400);
    // HEAD is GET without a body.
    await json('/api/branches/main/keys/a', put('hello'));
    const head = await raw(port, 'HEAD', '/api/branches/main/keys/a');
    assert.deepEqual([head.status, head.body, head.headers['content-length']], [200, '', '5']);
    // Not HTTP at all, or broken headers: Node answers 400 and the server goes on.
    for (const garbage of ['GARBAGE\r\n\r\n', 'GET /api HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n', 'PUT /api/branches/main/keys/a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n']) {
      const reply = await new Promise<string>((resolve) => {
        const sock = connect(port, '127.0.0.1', () => sock.end(garbage));
        let text = '';
        sock.on('data', (d) => (text += d.toString()));
        sock.on('close', () => resolve(text));
        sock.on('error', () => resolve(text));
      });
      assert.match(reply, /^HTTP\/1.1 400 /);
    }
    assert.equal((await json('/api', { headers: { Authorization: 'Basic !!!' } })).status, 200);
    // Still serving after all of that.
    assert.equal((await json('/api/branches')).status, 200);
  }));

  test('413 for bodies over the limit, declared or streamed, without reading them all', () => withServer({ maxBodyBytes: 1024 }, async ({ json, port, store }) => {
    const declared = await json('/api/branches/main/keys/big', put(new Uint8Array(5000)));
    assert.equal(declared.status, 413);
    assert.equal(declared.body.error.code, 'payload-too-large');
    assert.equal(declared.body.error.limit, 1024);
    // A chunked body with no length: refused once past the limit, while the client is still sending.
    let sent = 0;
    async function* endless() {
      for (let i = 0; i < 10_000; i++) {
        sent += 1000;
        yield new Uint8Array(1000);
        await new Promise((r) => setImmediate(r));
      }
    }
    const streamed = await raw(port, 'PUT', '/api/branches/main/keys/big', { body: endless() });
    assert.equal(streamed.status, 413);
    assert.ok(sent < 10_000_000, `the client sent ${sent} bytes`);
    const merge = await json('/api/merge', post({ from: 'x', padding: 'y'.repeat(2000) }));
    assert.equal(merge.status, 413);
    assert.equal(await store.head(), undefined);
    assert.equal((await json('/api/branches/main/keys/small', put(new Uint8Array(1024)))).status, 201);
  }));

  test('--token: 401 with a Basic challenge without it; Bearer and Basic accepted; /git guarded too', async () => {
    const seen: string[] = [];
    const git: HttpHandler = async (req, res, path) => {
      seen.push(`${req.method} ${path} ${req.url}`);
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('git here');
    };
    await withServer({ token: 's3cret', git, maxBodyBytes: 64 * 1024 }, async ({ json, base, port }) => {
      const none = await json('/api/branches');
      assert.equal(none.status, 401);
      assert.equal(none.body.error.code, 'unauthorized');
      assert.match(none.headers.get('www-authenticate')!, /^Basic realm="nymote"/);
      assert.equal((await json('/api/branches', { headers: { Authorization: 'Bearer wrong' } })).status, 401);
      assert.equal((await json('/api/branches', { headers: { Authorization: 'Bearer s3cret-and-more' } })).status, 401);
      assert.equal((await json('/api/branches', { headers: { Authorization: 'Bearer s3cret' } })).status, 200);
      const basic = 'Basic ' + Buffer.from('anyone:s3cret').toString('base64');
      assert.equal((await json('/api/branches', { headers: { Authorization: basic } })).status, 200);
      assert.equal((await json('/api/nothing')).status, 401, 'not even which paths exist is told');
      // Refused before the body is read; a client that streams on regardless is cut off.
      assert.equal((await json('/api/branches/main/keys/a', put('x'))).status, 401);
      let sent = 0;
      const endless = async function* () {
        for (let i = 0; i < 100_000; i++) {
          sent += 1000;
          yield new Uint8Array(1000);
          await new Promise((r) => setImmediate(r));
        }
      };
      assert.equal((await raw(port, 'PUT', '/api/branches/main/keys/a', { body: endless() })).status, 401);
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(sent < 50_000_000, `the client sent ${sent} bytes`);
      assert.equal((await json('/git/info/refs?service=git-upload-pack')).status, 401);
      assert.deepEqual(seen, []);
      const g = await fetch(`${base}/git/info/refs?service=git-upload-pack`, { headers: { Authorization: basic } });
      assert.equal(await g.text(), 'git here');
      await fetch(`${base}/git`, { headers: { Authorization: basic } }).then((r) => r.text());
      assert.deepEqual(seen, ['GET /info/refs /git/info/refs?service=git-upload-pack', 'GET  /git']);
      // curl, as a user would call it.
      const r = await curl(['-u', 'me:s3cret', `${base}/api/branches`]);
      assert.deepEqual([r.code, r.out], [0, '[]']);
      const denied = await curl(['-o', '/dev/null', '-w', '%{http_code}', `${base}/api/branches`]);
      assert.equal(denied.out, '401');
    });
  });

  test('watch: Server-Sent Events of changes under a prefix; closing unsubscribes', () => withServer({ heartbeatMs: 100 }, async ({ json, base, server }) => {
    const res = await fetch(`${base}/api/branches/main/watch?prefix=notes/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const events = sseReader(res);
    assert.equal((await events.next(5000, true)).comment, 'nymote watch');
    const c1 = (await json('/api/branches/main/keys/notes/a', put('hello'))).body.commit;
    await json('/api/branches/main/keys/elsewhere', put('not watched'));
    const c2 = (await json('/api/branches/main/keys/notes/a', put(new Uint8Array([0xff])))).body.commit;
    const c3 = (await json('/api/branches/main/keys/notes/a', { method: 'DELETE' })).body.commit;
    const got = [await events.next(), await events.next(), await events.next()];
    assert.deepEqual(got.map((e) => [e.id, e.event]), [[c1, 'change'], [c2, 'change'], [c3, 'change']]);
    assert.deepEqual(JSON.parse(got[0]!.data!), { branch: 'main', key: 'notes/a', commit: c1, old: null, new: 'hello' });
    assert.deepEqual(JSON.parse(got[1]!.data!), { branch: 'main', key: 'notes/a', commit: c2, old: 'hello', new: { base64: '/w==' } });
    assert.deepEqual(JSON.parse(got[2]!.data!).new, null);
    assert.equal((await events.next(5000, true)).comment, 'heartbeat');
    assert.equal(server.streams.size, 1);
    await events.cancel();
    await until(() => server.streams.size === 0, 'the stream to be dropped');
    assert.equal((await json('/api/branches/nope/watch')).status, 404);
    assert.equal((await json('/api/branches/main/watch?prefix=a/../b')).status, 400);
  }));

  test('watch resumes: Last-Event-ID or ?since= first sends what changed since that commit', () => withServer({}, async ({ json, base }) => {
    const c1 = (await json('/api/branches/main/keys/notes/a', put('one'))).body.commit;
    await json('/api/branches/main/keys/notes/b', put('gone soon'));
    await json('/api/branches/main/keys/notes/a', put('two'));
    await json('/api/branches/main/keys/other', put('not watched'));
    const c5 = (await json('/api/branches/main/keys/notes/b', { method: 'DELETE' })).body.commit;
    await json('/api/branches/main/keys/notes/c', put('three'));
    const head = (await json('/api/branches/main')).body.head;

    const res = await fetch(`${base}/api/branches/main/watch?prefix=notes`, { headers: { 'Last-Event-ID': c1 } });
    const events = sseReader(res);
    // The net change since c1, as of the head: b came and went, so it is not there.
    const missed = [await events.next(), await events.next()];
    assert.deepEqual(missed.map((e) => [e.id, e.event]), [[head, 'change'], [head, 'change']]);
    assert.deepEqual(missed.map((e) => JSON.parse(e.data!)), [
      { branch: 'main', key: 'notes/a', commit: head, old: 'one', new: 'two' },
      { branch: 'main', key: 'notes/c', commit: head, old: null, new: 'three' },
    ]);
    const c7 = (await json('/api/branches/main/keys/notes/a', put('live'))).body.commit;
    const live = await events.next();
    assert.equal(live.id, c7);
    assert.equal(JSON.parse(live.data!).new, 'live');
    await events.cancel();

    // A single watched value; ?since= does the same for clients that cannot set headers.
    const single = sseReader(await fetch(`${base}/api/branches/main/watch?prefix=notes/b&since=${c1}`));
    await json('/api/branches/main/keys/notes/b', put('back'));
    const back = await single.next();
    assert.deepEqual(JSON.parse(back.data!), { branch: 'main', key: 'notes/b', commit: back.id, old: null, new: 'back' });
    await single.cancel();

    // Nothing missed: no catch-up events, just the live ones.
    const current = sseReader(await fetch(`${base}/api/branches/main/watch?prefix=notes&since=${(await json('/api/branches/main')).body.head}`));
    const c9 = (await json('/api/branches/main/keys/notes/a', put('again'))).body.commit;
    assert.equal((await current.next()).id, c9);
    await current.cancel();

    // A commit this repository does not have: the client is told to read afresh.
    const unknown = sseReader(await fetch(`${base}/api/branches/main/watch`, { headers: { 'Last-Event-ID': 'f'.repeat(40) } }));
    const resync = await unknown.next();
    assert.equal(resync.event, 'resync');
    assert.equal(JSON.parse(resync.data!).commit, c9);
    await unknown.cancel();
    assert.equal((await json('/api/branches/main/watch?since=nope')).body.error.code, 'invalid-commit');
    assert.ok(c5);
  }));

  test('closing the server ends open watch streams', async () => {
    let ended: Promise<boolean> | undefined;
    await withServer({}, async ({ base }) => {
      const res = await fetch(`${base}/api/branches/main/watch`);
      const reader = res.body!.getReader();
      await reader.read();
      ended = (async () => {
        for (;;) if ((await reader.read()).done) return true;
      })();
    });
    assert.equal(await ended, true);
  });

  test('curl: writes, reads, and a watch stream (curl -N) that sees a commit made by another process', () => withServer({}, async ({ base, dir }) => {
    const w = await curl(['-X', 'PUT', '--data-binary', '{"name":"Alice"}', '-H', 'X-Nymote-Author: Curl <curl@example.org>', `${base}/api/branches/main/keys/contacts/alice.json`]);
    assert.equal(w.code, 0, w.err);
    const { commit } = JSON.parse(w.out);
    const g = await curl(['-i', `${base}/api/branches/main/keys/contacts/alice.json`]);
    assert.match(g.out, /^HTTP\/1.1 200 OK/);
    assert.match(g.out, new RegExp(`X-Nymote-Commit: ${commit}`, 'i'));
    assert.ok(g.out.endsWith('{"name":"Alice"}'));
    // curl sends header bytes as given: a UTF-8 message arrives intact.
    const utf8 = await curl(['-X', 'PUT', '--data-binary', 'x', '-H', 'X-Nymote-Message: café ✓', `${base}/api/branches/main/keys/notes/n`]);
    const log = await curl([`${base}/api/branches/main/log?limit=1`]);
    assert.equal(JSON.parse(log.out).entries[0].message, 'café ✓\n', utf8.err);
    const head = await curl(['-I', `${base}/api/branches/main/watch`]);
    assert.match(head.out, /^HTTP\/1.1 200 OK/);
    const body = await curl(['-X', 'PUT', '-H', 'If-None-Match: *', '--data-binary', '{}', '-w', '\n%{http_code}', `${base}/api/branches/main/keys/contacts/alice.json`]);
    assert.match(body.out, /\n409$/);

    const watcher = spawn('/usr/bin/curl', ['-sS', '-N', `${base}/api/branches/main/watch?prefix=contacts`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    watcher.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await until(() => out.includes(': nymote watch'), 'curl to connect');
      // Another process commits to the same repository on disk.
      const script = `const { openStore } = await import(${JSON.stringify(NODE_ENTRY)}); const s = await openStore(${JSON.stringify(dir)}); await s.set('contacts/bob', 'Bob', { message: 'from elsewhere' }); await s.close();`;
      await new Promise<void>((resolve, reject) => {
        execFile(process.execPath, ['--input-type=module', '-e', script], (e) => (e ? reject(e) : resolve()));
      });
      await until(() => out.includes('"key":"contacts/bob"'), 'the change from the other process', 10_000);
      assert.match(out, /id: [0-9a-f]{40}\nevent: change\ndata: \{"branch":"main","key":"contacts\/bob","commit":"[0-9a-f]{40}","old":null,"new":"Bob"\}\n\n/);
    } finally {
      watcher.kill();
    }
  }));
});
