// `nymote dav log / undo` on the DAV file area: a real server process, then the history of what it stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEnv, git, nymote, startServing } from './helpers.js';

const PASSWORD = 'correct horse battery';
const auth = { Authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}` };

test('files written over WebDAV show in "dav log"; undoing one keeps the later changes to the same folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nymote-dav-files-'));
  const env = cliEnv(dir);
  try {
    assert.equal((await nymote(['user', '--data', dir, 'add', 'alice'], { env, input: `${PASSWORD}\n` })).status, 0);
    const server = await startServing(['dav', '--data', dir, 'serve', '--port', '0'], env, /^nymote: serving contacts and calendars at (http:\/\/127\.0\.0\.1:\d+)\/dav\//);
    try {
      const home = `${server.banner[1]!}/dav/files/alice/`;
      assert.equal((await fetch(`${home}docs/`, { method: 'MKCOL', headers: auth })).status, 201);
      assert.equal((await fetch(`${home}docs/a.txt`, { method: 'PUT', headers: auth, body: 'first' })).status, 201);
      assert.equal((await fetch(`${home}docs/b.txt`, { method: 'PUT', headers: auth, body: 'second' })).status, 201);
    } finally {
      assert.equal(await server.stop('SIGTERM'), 0);
    }
    const log = await nymote(['dav', '--data', dir, 'log', 'alice', '-n', '3'], { env });
    assert.equal(log.status, 0, log.err);
    const lines = log.out.trim().split('\n');
    assert.deepEqual(lines.map((l) => l.replace(/^\S+ {2}\S+ {2}/, '')), ['Add file docs/b.txt', 'Add file docs/a.txt', 'Create folder docs']);
    // Both adds changed the folder's .collection.json (each file's record); it merges field by field.
    const undo = await nymote(['dav', '--data', dir, 'undo', 'alice', lines[1]!.split(' ')[0]!], { env });
    assert.equal(undo.status, 0, undo.err);
    const repo = join(dir, 'store.git');
    assert.equal(git(repo, ['ls-tree', '-r', '--name-only', 'users/alice', 'files']).trim(), 'files/docs/.collection.json\nfiles/docs/b.txt');
    const marker = JSON.parse(git(repo, ['show', 'users/alice:files/docs/.collection.json'])) as { files: Record<string, unknown> };
    assert.deepEqual(Object.keys(marker.files), ['b.txt']);
    git(repo, ['fsck', '--strict']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
