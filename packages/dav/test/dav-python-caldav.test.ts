// python3-caldav (Debian), a real CalDAV client library, against our server: discovery, MKCALENDAR,
// an event saved, found by time range (expanded and not), changed, deleted; a contact by plain PUT.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { PASSWORD, fsck, startServer, type TestServer } from './dav-helpers.js';

// The Debian package installs into the system Python, which need not be the python3 first on PATH.
const PYTHON = '/usr/bin/python3';
// Compiled to dist/test/; the fixture stays in the sources.
const SCRIPT = fileURLToPath(new URL('../../test/fixtures/caldav-client.py', import.meta.url));

function hasCaldav(): boolean {
  if (!existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ['-c', 'import caldav'], { stdio: 'ignore' }).status === 0;
}

let s: TestServer;
before(async () => { s = await startServer(['alice']); });
after(async () => { await s.close(); });

test('python3-caldav: principal, calendars, save, search, update, delete; a contact by PUT', { skip: hasCaldav() || process.env['CI'] ? false : 'python3-caldav is not installed (apt-get install python3-caldav)' }, async () => {
  const stdout = await new Promise<string>((resolve, reject) => {
    // Asynchronous on purpose: the server answers on this process's event loop.
    execFile(PYTHON, [SCRIPT, `${s.url}/dav/`, 'alice', PASSWORD], { timeout: 60_000 }, (err, out, errOut) => {
      if (err) reject(new Error(`${err.message}\n${errOut}`));
      else resolve(out);
    });
  });
  const r = JSON.parse(stdout) as Record<string, unknown>;
  const base = `${s.url}/dav/`;
  assert.equal(r['principal'], `${base}principals/alice/`);
  assert.deepEqual(r['calendars'], [`${base}calendars/alice/default/`]);
  assert.equal(r['made'], `${base}calendars/alice/python/`);
  assert.deepEqual(r['calendars_after_make'], [`${base}calendars/alice/default/`, `${base}calendars/alice/python/`]);
  assert.equal(r['event_url'], `${base}calendars/alice/python/py-standup%40example.org.ics`);
  // Daily from 1 December, five times; 2 to 4 December holds two occurrences.
  assert.deepEqual(r['expanded'], [['Stand-up', '2026-12-02T09:00:00+00:00'], ['Stand-up', '2026-12-03T09:00:00+00:00']]);
  assert.deepEqual(r['unexpanded'], [['Stand-up', '2026-12-01T09:00:00+00:00']]);
  assert.deepEqual(r['outside'], []);
  assert.equal(r['updated_summary'], 'Stand-up (moved)');
  assert.equal(r['count_before_delete'], 1);
  assert.equal(r['count_after_delete'], 0);
  assert.deepEqual(r['calendars_at_end'], [`${base}calendars/alice/default/`]);
  const contact = r['contact'] as Record<string, unknown>;
  assert.equal(contact['put'], 201);
  assert.equal(contact['put_again'], 412, 'If-None-Match: * on an existing contact');
  assert.match(String(contact['etag']), /^"[0-9a-f]{40}"$/);
  assert.equal(contact['get'], 200);
  assert.equal(contact['get_etag'], contact['etag']);
  assert.match(String(contact['body']), /FN:Ann Example/);

  // Each change the client made is one commit with a readable message.
  assert.deepEqual(s.log('users/alice').slice(0, 6), [
    'Add contact Ann Example to address book Contacts',
    'Delete calendar Python',
    'Delete event Stand-up (moved) from calendar Python',
    'Change event Stand-up (moved) in calendar Python',
    'Add event Stand-up to calendar Python',
    'Create calendar Python',
  ]);
  fsck(s.repo);
});
