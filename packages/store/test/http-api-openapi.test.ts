// openapi.json describes exactly what the server serves: every documented operation is routed, every
// route is documented, and every reference in the document resolves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { openStore } from '../src/node.js';
import { createStoreServer, ROUTES } from '../src/http/index.js';
import { tempDir } from './helpers/git.js';

const DOC = JSON.parse(readFileSync(fileURLToPath(new URL('../../openapi.json', import.meta.url)), 'utf8')) as {
  openapi: string;
  info: { description: string };
  paths: Record<string, Record<string, unknown>>;
};
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

const documented = () => Object.entries(DOC.paths).flatMap(([path, item]) =>
  Object.keys(item).filter((k) => METHODS.includes(k)).map((m) => `${m.toUpperCase()} ${path}`)).sort();

test('openapi.json documents every route and nothing else', () => {
  assert.match(DOC.openapi, /^3\.1\./);
  assert.deepEqual(documented(), ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  // HEAD is served wherever GET is; the document says so once rather than per path.
  assert.match(DOC.info.description, /HEAD is accepted wherever GET is/);
});

test('every $ref in openapi.json resolves', () => {
  const refs: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string') refs.push(x);
        else walk(x);
      }
    }
  };
  walk(DOC);
  assert.ok(refs.length > 20);
  for (const ref of new Set(refs)) {
    assert.match(ref, /^#\//);
    let node: unknown = DOC;
    for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown> | undefined)?.[part];
    assert.ok(node !== undefined, `${ref} does not resolve`);
  }
});

test('every documented operation is served: none answers "no such resource" or 405', async () => {
  const { dir, cleanup } = tempDir('nymote-openapi-');
  const store = await openStore(dir, { create: true });
  const server = createStoreServer({ store, heartbeatMs: 60_000 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const commit = await store.set('k/v', 'x');
    const fill = (path: string) => path
      .replace('{branch}', 'main').replace('{commit}', commit).replace('{key}', 'k/v');
    for (const op of documented()) {
      const [method, path] = op.split(' ') as [string, string];
      const ac = new AbortController();
      const r = await fetch(base + fill(path), {
        method, signal: ac.signal,
        ...(method === 'POST' || method === 'PUT' ? { body: '{}' } : {}),
      });
      const type = r.headers.get('content-type') ?? '';
      const body = type.startsWith('application/json') ? await r.json() as { error?: { message?: string } } : undefined;
      ac.abort(); // the watch stream would stay open
      assert.notEqual(r.status, 405, op);
      assert.ok(!(r.status === 404 && body?.error?.message?.startsWith('no such resource')), `${op} is not routed`);
    }
    // The reverse: an undocumented method on a documented path is refused.
    assert.equal((await fetch(`${base}/api/merge`, { method: 'GET' })).status, 405);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await store.close();
    cleanup();
  }
});
