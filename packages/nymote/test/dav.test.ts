// `nymote dav serve / log / undo`: a real process over a real data directory; requests over 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import selfsigned from 'selfsigned';
import { cliEnv, git, nymote, startServing } from './helpers.js';

const PASSWORD = 'correct horse battery';
const auth = { Authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}` };
const card = (uid: string, name: string) => `BEGIN:VCARD\r\nVERSION:4.0\r\nUID:${uid}\r\nFN:${name}\r\nEND:VCARD\r\n`;

test('dav serve answers CardDAV for a user of "nymote user add"; log and undo show and revert the changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nymote-dav-cli-'));
  const env = cliEnv(dir);
  try {
    const added = await nymote(['user', '--data', dir, 'add', 'alice'], { env, input: `${PASSWORD}\n` });
    assert.equal(added.status, 0, added.err);

    const server = await startServing(['dav', '--data', dir, 'serve', '--port', '0'], env,
      /^nymote: serving contacts and calendars at (http:\/\/127\.0\.0\.1:\d+)\/dav\/ \(data (.*)\)\n/);
    assert.equal(server.banner[2], dir);
    const url = server.banner[1]!;
    try {
      const book = `${url}/dav/addressbooks/alice/default/`;
      assert.equal((await fetch(`${book}ann.vcf`, { method: 'PUT', headers: auth, body: card('ann', 'Ann') })).status, 201);
      assert.equal((await fetch(`${book}ben.vcf`, { method: 'PUT', headers: auth, body: card('ben', 'Ben') })).status, 201);
      assert.equal((await fetch(`${book}ann.vcf`, { method: 'PUT', body: card('ann', 'Ann') })).status, 401);
    } finally {
      assert.equal(await server.stop('SIGTERM'), 0);
    }
    assert.match(server.stderr(), /PUT \/dav\/addressbooks\/alice\/default\/ann.vcf 201 alice/);

    const repo = join(dir, 'store.git');
    assert.deepEqual(git(repo, ['log', '--format=%s', 'users/alice']).trim().split('\n'), [
      'Add contact Ben to address book Contacts',
      'Add contact Ann to address book Contacts',
      'Create the default calendar and address book',
      'Start the data of user alice',
    ]);
    const log = await nymote(['dav', '--data', dir, 'log', 'alice', 'addressbooks/default'], { env });
    assert.equal(log.status, 0, log.err);
    const lines = log.out.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^[0-9a-f]{12} {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}Add contact Ben to address book Contacts$/);
    const annCommit = lines[1]!.split(' ')[0]!;

    const undo = await nymote(['dav', '--data', dir, 'undo', 'alice', annCommit], { env });
    assert.equal(undo.status, 0, undo.err);
    assert.match(undo.out, /^undid "Add contact Ann to address book Contacts"/);
    assert.equal(git(repo, ['log', '-1', '--format=%s', 'users/alice']).trim(), 'Undo "Add contact Ann to address book Contacts"');
    assert.equal(git(repo, ['ls-tree', '--name-only', 'users/alice', 'addressbooks/default/']).trim().split('\n').sort().join(' '),
      'addressbooks/default/.collection.json addressbooks/default/ben.vcf');
    git(repo, ['fsck', '--strict']);

    assert.equal((await nymote(['dav', '--data', dir, 'log', 'nobody'], { env })).status, 1);
    assert.equal((await nymote(['dav', '--data', dir, 'undo', 'alice', 'ffffffff'], { env })).status, 1);
    assert.equal((await nymote(['dav', '--data', dir, 'serve', '--port', 'x'], { env })).status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dav serve --tls-cert/--tls-key serves HTTPS; a bad pair is refused before listening', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nymote-dav-tls-'));
  const env = cliEnv(dir);
  try {
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha256' });
    writeFileSync(join(dir, 'cert.pem'), pems.cert);
    writeFileSync(join(dir, 'key.pem'), pems.private);
    assert.equal((await nymote(['user', '--data', dir, 'add', 'alice'], { env, input: `${PASSWORD}\n` })).status, 0);
    const server = await startServing(['dav', '--data', dir, 'serve', '--port', '0', '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')], env,
      /^nymote: serving contacts and calendars at https:\/\/127\.0\.0\.1:(\d+)\/dav\/ /);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        httpsRequest({ host: '127.0.0.1', port: Number(server.banner[1]), path: '/dav/', method: 'PROPFIND', ca: pems.cert, servername: 'localhost', agent: false, headers: auth },
          (res) => { res.resume(); resolve(res.statusCode!); }).on('error', reject).end();
      });
      assert.equal(status, 207);
    } finally {
      assert.equal(await server.stop('SIGTERM'), 0);
    }
    const swapped = await nymote(['dav', '--data', dir, 'serve', '--port', '0', '--tls-cert', join(dir, 'key.pem'), '--tls-key', join(dir, 'cert.pem')], { env });
    assert.equal(swapped.status, 1);
    assert.match(swapped.err, /key\.pem and .*cert\.pem are not a PEM certificate and its key/);
    const alone = await nymote(['dav', '--data', dir, 'serve', '--tls-cert', join(dir, 'cert.pem')], { env });
    assert.equal(alone.status, 2);
    assert.match(alone.err, /--tls-cert and --tls-key go together/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
