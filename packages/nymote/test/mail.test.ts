// `nymote mail import / log / undo` on a real data directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEnv, git, nymote } from './helpers.js';

const PASSWORD = 'correct horse battery';

function mbox(n: number): string {
  let out = '';
  for (let i = 1; i <= n; i++) {
    out += `From sender${i}@example.org Thu Nov 26 10:${String(i % 60).padStart(2, '0')}:00 2026\n`;
    out += `From: Sender ${i} <sender${i}@example.org>\nSubject: Message ${i}\n${i % 2 ? 'Status: RO\n' : ''}\nBody ${i}.\n>From a quoted line.\n\n`;
  }
  return out;
}

test('mail import an mbox file, log it, undo it; errors name what is wrong', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nymote-mail-cli-'));
  const env = cliEnv(dir);
  try {
    assert.equal((await nymote(['user', '--data', dir, 'add', 'alice'], { env, input: `${PASSWORD}\n` })).status, 0);
    writeFileSync(join(dir, 'old.mbox'), mbox(2500));
    const imported = await nymote(['mail', '--data', dir, 'import', 'alice', 'Archive/2025', join(dir, 'old.mbox')], { env });
    assert.equal(imported.status, 0, imported.err);
    assert.match(imported.out, /^imported 2,500 messages \(0\.\d MiB\) into alice's Archive\/2025, UIDs 1:2500 in [\d.]+ s\n$/);
    assert.match(imported.err, /created mailbox Archive\/2025/);
    assert.match(imported.err, /read 2,000 messages/);

    const repo = join(dir, 'store.git');
    assert.match(git(repo, ['show', 'users/alice:mail/boxes/Archive%2F2025/1/78/2500.eml']), /^Subject: Message 2500\r\n\r\nBody 2500\.\r\nFrom a quoted line\.\r\n$/m);
    assert.match(git(repo, ['show', 'users/alice:mail/boxes/Archive%2F2025/0/0/1.json']), /"flags":\["\\\\Seen"\].*"internalDate":"2026-11-26T10:01:00Z"/);

    const log = await nymote(['mail', '--data', dir, 'log', 'alice', 'Archive/2025'], { env });
    assert.equal(log.status, 0, log.err);
    const lines = log.out.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^[0-9a-f]{12} {2}\S+ {2}Import 2,500 messages into Archive\/2025 from old\.mbox$/);
    assert.match(lines[1]!, /Create mailbox Archive\/2025$/);
    const all = await nymote(['mail', '--data', dir, 'log', 'alice'], { env });
    assert.match(all.out.trim().split('\n').at(-1)!, /Create the default mailboxes$/);

    const undo = await nymote(['mail', '--data', dir, 'undo', 'alice', lines[0]!.split(' ')[0]!], { env });
    assert.equal(undo.status, 0, undo.err);
    assert.match(undo.out, /^undid "Import 2,500 messages into Archive\/2025 from old\.mbox"/);
    assert.equal(git(repo, ['ls-tree', '--name-only', 'users/alice:mail/boxes/Archive%2F2025']).trim(), '.mailbox.json');
    git(repo, ['fsck', '--strict']);

    const missing = await nymote(['mail', '--data', dir, 'import', 'alice', 'INBOX', join(dir, 'nope.mbox')], { env });
    assert.equal(missing.status, 1);
    assert.match(missing.err, /cannot read .*nope\.mbox: no such file/);
    assert.equal((await nymote(['mail', '--data', dir, 'log', 'bob'], { env })).status, 1);
    assert.equal((await nymote(['mail', '--data', dir, 'log', 'alice', 'Nowhere'], { env })).status, 1);
    assert.equal((await nymote(['mail', '--data', dir, 'undo', 'alice', 'ffffffff'], { env })).status, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
