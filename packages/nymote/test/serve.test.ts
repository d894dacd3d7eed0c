// `nymote store serve`: a real process serving a real repository; requests over 127.0.0.1.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitIn, nymote, startServing, withStore, type Running, type Sandbox } from './helpers.js';

interface Served extends Running {
  url: string;
}

/** Starts `nymote store serve ...`; resolves with the URL it prints. */
async function serve(s: Sandbox, args: string[], env: NodeJS.ProcessEnv = s.env): Promise<Served> {
  const running = await startServing(['store', '--repo', s.repo, 'serve', ...args], env,
    /^nymote: serving (.*) at (http:\/\/127\.0\.0\.1:\d+) \(API \/api, git \/git\)\n/);
  assert.equal(running.banner[1], s.repo);
  return { ...running, url: running.banner[2]! };
}

describe('store serve', { concurrency: true }, () => {
  test('serves the API on a chosen port, with the CLI schema; SIGTERM ends it with status 0', () => withStore(async (s) => {
    const server = await serve(s, ['--port', '0']);
    try {
      assert.ok(!server.url.endsWith(':0'));
      const w = await fetch(`${server.url}/api/branches/main/keys/contacts/alice.json`, { method: 'PUT', body: '{"name":"Alice"}' });
      assert.equal(w.status, 201);
      const { commit } = await w.json() as { commit: string };
      // The CLI sees what the API wrote, with the author the CLI would use.
      assert.equal(await s.ok(['get', 'contacts/alice.json']), '{"name":"Alice"}');
      assert.match(await s.ok(['log']), new RegExp(commit));
      // .json keys are JSON, as in the CLI: invalid JSON is refused.
      const bad = await fetch(`${server.url}/api/branches/main/keys/contacts/bob.json`, { method: 'PUT', body: '{' });
      assert.equal(bad.status, 400);
      const r = await fetch(`${server.url}/api/branches/main/keys/contacts/alice.json`);
      assert.equal(r.headers.get('content-type'), 'application/json');
      // Git over HTTP: the real git clones what the API wrote, and pushes a fast-forward back.
      const work = join(s.dir, 'work');
      gitIn(s.dir, ['clone', '--quiet', `${server.url}/git`, work]);
      assert.equal(readFileSync(join(work, 'contacts', 'alice.json'), 'utf8'), '{"name":"Alice"}');
      writeFileSync(join(work, 'contacts', 'bob.json'), '{"name":"Bob"}');
      gitIn(work, ['add', '-A']);
      gitIn(work, ['commit', '--quiet', '-m', 'Bob, from git']);
      gitIn(work, ['push', '--quiet', 'origin', 'main']);
      assert.equal(await s.ok(['get', 'contacts/bob.json']), '{"name":"Bob"}');
      assert.match(server.stderr(), /PUT \/api\/branches\/main\/keys\/contacts\/alice.json 201/);
      assert.equal(await server.stop('SIGTERM'), 0);
    } finally {
      server.kill();
    }
  }));

  test('an open watch stream sees a CLI write, and SIGINT still ends the server with status 0', () => withStore(async (s) => {
    const server = await serve(s, ['--port', '0']);
    try {
      const res = await fetch(`${server.url}/api/branches/main/watch?prefix=notes`);
      const reader = res.body!.getReader();
      let text = new TextDecoder().decode((await reader.read()).value);
      const commit = await s.ok(['set', 'notes/a', 'hello']);
      while (!text.includes('event: change')) {
        const r = await reader.read();
        if (r.done) break;
        text += new TextDecoder().decode(r.value);
      }
      assert.match(text, new RegExp(`id: ${commit}\nevent: change\ndata: .*"new":"hello"`));
      assert.equal(await server.stop('SIGINT'), 0);
      // The stream ended with the server.
      for (let r = await reader.read().catch(() => ({ done: true })); !r.done; r = await reader.read().catch(() => ({ done: true })));
    } finally {
      server.kill();
    }
  }));

  test('--token or $NYMOTE_TOKEN: requests without it get 401', () => withStore(async (s) => {
    for (const [args, env] of [[['--port', '0', '--token', 'abc'], s.env], [['--port', '0'], { ...s.env, NYMOTE_TOKEN: 'abc' }]] as const) {
      const server = await serve(s, [...args], env);
      try {
        assert.equal((await fetch(`${server.url}/api/branches`)).status, 401);
        assert.equal((await fetch(`${server.url}/api/branches`, { headers: { Authorization: 'Bearer abc' } })).status, 200);
        assert.equal(await server.stop('SIGTERM'), 0);
      } finally {
        server.kill();
      }
    }
  }));

  test('usage errors and a busy port', () => withStore(async (s) => {
    const bad = await s.store(['serve', '--port', 'http']);
    assert.equal(bad.status, 2);
    assert.match(bad.err, /--port must be a port number/);
    const server = await serve(s, ['--port', '0']);
    try {
      const port = new URL(server.url).port;
      const busy = await s.store(['serve', '--port', port]);
      assert.equal(busy.status, 1);
      assert.match(busy.err, /the port is in use/);
    } finally {
      server.kill();
    }
    const missing = await nymote(['store', '--repo', `${s.dir}/nothing.git`, 'serve', '--port', '0'], { env: s.env });
    assert.equal(missing.status, 1);
    assert.match(missing.err, /nymote store init/);
  }));
});
