// clone, remote, fetch, pull and push through the command line: replicas on local paths, and a
// clone over HTTP from the real git http-backend.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEnv, git, nymote, type Result } from './helpers.js';

interface Replicas {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** `nymote store --repo REPO args`. */
  run(repo: string, args: readonly string[], input?: string): Promise<Result>;
  ok(repo: string, args: readonly string[], input?: string): Promise<string>;
}

async function withDir(body: (r: Replicas) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nymote-sync-cli-'));
  const env = cliEnv(dir);
  const run = (repo: string, args: readonly string[], input?: string) =>
    nymote(['store', '--repo', repo, ...args], input === undefined ? { env } : { env, input });
  try {
    await body({
      dir, env, run,
      async ok(repo, args, input) {
        const r = await run(repo, args, input);
        if (r.status !== 0) throw new Error(`nymote store ${args.join(' ')} exited ${r.status}: ${r.err}`);
        return r.out.trim();
      },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('sync commands', { concurrency: true }, () => {
  test('remote add, list, -v, remove; git remote -v shows the same', () => withDir(async ({ dir, ok, run }) => {
    const repo = join(dir, 'a.git');
    await ok(repo, ['init']);
    await ok(repo, ['remote', 'add', 'origin', 'https://example.invalid/mail.git']);
    await ok(repo, ['remote', 'add', 'usb', join(dir, 'usb.git')]);
    assert.equal(await ok(repo, ['remote']), 'origin\nusb');
    assert.equal(await ok(repo, ['remote', '-v']), git(repo, ['remote', '-v']).trim());
    assert.match(git(repo, ['remote', '-v']), /^origin\thttps:\/\/example.invalid\/mail.git \(fetch\)$/m);
    const dup = await run(repo, ['remote', 'add', 'origin', 'x']);
    assert.equal(dup.status, 1);
    assert.match(dup.err, /remote "origin" already exists/);
    assert.equal((await run(repo, ['remote', 'add', 'x'])).status, 2);
    await ok(repo, ['remote', 'remove', 'origin']);
    assert.equal(git(repo, ['remote']).trim(), 'usb');
    const missing = await run(repo, ['fetch', 'origin']);
    assert.equal(missing.status, 1);
    assert.match(missing.err, /no remote "origin"/);
  }));

  test('two replicas edit one contact offline and pull from each other: same tree, every field kept', () => withDir(async ({ dir, env, ok, run }) => {
    const a = join(dir, 'a.git');
    const b = join(dir, 'b.git');
    await ok(a, ['init']);
    await ok(a, ['set', 'contacts/alice.json', '{"name":"Alice","email":"a@old","phone":"1"}']);
    const cloned = await nymote(['store', 'clone', a, b], { env });
    assert.equal(cloned.status, 0, cloned.err);
    assert.match(cloned.out, /branch main at [0-9a-f]{40}/);
    await ok(a, ['remote', 'add', 'b', b]);

    // Offline, concurrently, different fields.
    await ok(a, ['set', 'contacts/alice.json', '{"name":"Alice","email":"a@new","phone":"1"}']);
    await ok(b, ['set', 'contacts/alice.json', '{"name":"Alice","email":"a@old","phone":"2","city":"Lyon"}']);

    const pa = await run(a, ['pull', 'b']);
    assert.equal(pa.status, 0, pa.err);
    assert.match(pa.err, /merged b\/main into main/);
    const pb = await run(b, ['pull']);
    assert.equal(pb.status, 0, pb.err);
    assert.match(pb.err, /fast-forward main to origin\/main/);
    const merged = { name: 'Alice', email: 'a@new', phone: '2', city: 'Lyon' };
    for (const r of [a, b]) assert.deepEqual(JSON.parse(await ok(r, ['get', 'contacts/alice.json'])), merged);
    assert.equal(git(a, ['rev-parse', 'main^{tree}']), git(b, ['rev-parse', 'main^{tree}']));
    assert.equal(git(a, ['rev-parse', 'main']), git(b, ['rev-parse', 'main']));
    git(a, ['fsck', '--strict']);
    git(b, ['fsck', '--strict']);
  }));

  test('pull with a conflict: exit 1, conflict lines, the local branch unchanged, the fetch kept', () => withDir(async ({ dir, env, ok, run }) => {
    const a = join(dir, 'a.git');
    const b = join(dir, 'b.git');
    await ok(a, ['init']);
    await ok(a, ['set', 'contacts/alice.json', '{"name":"Alice","email":"a@old"}']);
    assert.equal((await nymote(['store', 'clone', '-q', a, b], { env })).status, 0);
    const theirs = await ok(a, ['set', 'contacts/alice.json', '{"name":"Alice","email":"a@one"}']);
    const mine = await ok(b, ['set', 'contacts/alice.json', '{"name":"Alice","email":"a@two"}']);
    const r = await run(b, ['pull']);
    assert.equal(r.status, 1);
    assert.match(r.out, /^conflict contacts\/alice\.json.*email/);
    assert.match(r.err, /merging origin\/main into main: 1 conflicting key; nothing was changed/);
    assert.equal(git(b, ['rev-parse', 'main']).trim(), mine);
    assert.equal(git(b, ['rev-parse', 'origin/main']).trim(), theirs);
  }));

  test('push: fast-forward, then a refused non-fast-forward (exit 1, nothing changes), then --force', () => withDir(async ({ dir, env, ok, run }) => {
    const up = join(dir, 'up.git');
    const mine = join(dir, 'mine.git');
    const other = join(dir, 'other.git');
    await ok(up, ['init']);
    await ok(up, ['set', 'k', 'v0']);
    for (const r of [mine, other]) assert.equal((await nymote(['store', 'clone', up, r], { env })).status, 0);
    await ok(mine, ['set', 'k', 'v1']);
    const p1 = await ok(mine, ['push']);
    assert.match(p1, /^[0-9a-f]{7}\.\.[0-9a-f]{7} +main -> main$/);
    assert.equal(git(up, ['rev-parse', 'main']), git(mine, ['rev-parse', 'main']));

    await ok(other, ['set', 'k', 'v2']);
    const refused = await run(other, ['push']);
    assert.equal(refused.status, 1);
    assert.match(refused.err, /^nymote: push to .*up\.git refused: .*refs\/heads\/main.*pull first.*--force/);
    assert.equal(git(up, ['rev-parse', 'main']), git(mine, ['rev-parse', 'main']), 'the remote is unchanged');
    const forced = await ok(other, ['push', '--force']);
    assert.match(forced, /\(forced update\)$/);
    assert.equal(git(up, ['rev-parse', 'main']), git(other, ['rev-parse', 'main']));

    const f = await ok(mine, ['fetch']);
    assert.match(f, /[0-9a-f]{7}\.\.[0-9a-f]{7} +main +-> origin\/main/);
    assert.equal(git(mine, ['rev-parse', 'origin/main']), git(other, ['rev-parse', 'main']));
    assert.equal(await ok(mine, ['fetch']), '', 'nothing new: nothing printed');
  }));

  test('clone over HTTP from git http-backend, with progress like git', async () => {
    // The store package's test helper, from its build output (the packages are built together).
    const helper = new URL('../../../store/dist/test/helpers/http-backend.js', import.meta.url).href;
    const { startHttpBackend } = (await import(helper)) as {
      startHttpBackend(root: string): Promise<{ url: string; close(): Promise<void> }>;
    };
    await withDir(async ({ dir, env, ok }) => {
      const served = join(dir, 'served');
      const up = join(served, 'up.git');
      await ok(up, ['init']);
      await ok(up, ['set', 'contacts/alice.json', '{"name":"Alice"}']);
      const server = await startHttpBackend(served);
      try {
        const dest = join(dir, 'dest.git');
        const r = await nymote(['store', 'clone', '--progress', `${server.url}/up.git`, dest], { env });
        assert.equal(r.status, 0, r.err);
        assert.match(r.err, /^Receiving objects: 100% \((\d+)\/\1\), done\.$/m);
        assert.match(r.err, /^Resolving deltas: 100% \((\d+)\/\1\), done\.$/m);
        assert.equal(JSON.parse(await ok(dest, ['get', 'contacts/alice.json'])).name, 'Alice');
        assert.match(git(dest, ['remote', '-v']), new RegExp(`^origin\\t${server.url}/up.git \\(fetch\\)$`, 'm'));
        await ok(dest, ['set', 'contacts/bob.json', '{"name":"Bob"}']);
        await ok(dest, ['push', '-q']);
        assert.equal(git(up, ['rev-parse', 'main']), git(dest, ['rev-parse', 'main']));
      } finally {
        await server.close();
      }
    });
  });
});
