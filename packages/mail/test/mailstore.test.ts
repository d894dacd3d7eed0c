import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryBackend, Store } from '@nymote/store';
import { openStore } from '@nymote/store/node';
import { MailError, Mailstore } from '../src/index.js';

const author = { name: 'Admin', email: 'admin@example.org' };
const mail = (subject: string, body = 'Hello.') => new TextEncoder().encode(`From: Ann <ann@example.org>\r\nTo: bob@example.org\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.org>\r\n\r\n${body}\r\n`);

function memoryMailstore(clock = () => Date.UTC(2026, 10, 26, 12)) {
  return new Mailstore(new Store(memoryBackend(), { author }), 'alice', { clock });
}

test('defaults: INBOX and the special-use mailboxes, in one commit, once', async () => {
  const m = memoryMailstore();
  await m.ensureDefaults();
  await m.ensureDefaults();
  const boxes = await m.mailboxes();
  assert.deepEqual(boxes.map((b) => [b.name, b.specialUse ?? '']), [
    ['Archive', '\\Archive'], ['Drafts', '\\Drafts'], ['INBOX', ''], ['Junk', '\\Junk'], ['Sent', '\\Sent'], ['Trash', '\\Trash'],
  ]);
  assert.equal(new Set(boxes.map((b) => b.uidValidity)).size, boxes.length, 'each mailbox its own UIDVALIDITY');
  const log = await m.store.log({ at: m.branch });
  assert.deepEqual(log.entries.map((e) => e.message.trim()), ['Create the default mailboxes']);
});

test('append, flags with MODSEQ, expunge: UIDs grow and are never reused', async () => {
  const m = memoryMailstore();
  await m.ensureDefaults();
  const a = await m.append('inbox', mail('One'), { flags: ['\\seen', 'Work'] });
  const b = await m.append('INBOX', mail('Two'), { delivery: { from: 'ann@example.org' } });
  assert.deepEqual([a.uid, b.uid], [1, 2]);
  assert.ok(b.modseq > a.modseq);
  let v = await m.view('INBOX');
  assert.deepEqual(v.uids, [1, 2]);
  assert.deepEqual(v.get(1)!.flags, ['Work', '\\Seen']);
  assert.equal(v.get(2)!.size, mail('Two').length);
  assert.deepEqual(Buffer.from(await m.message(v.get(2)!.blob!)).toString(), Buffer.from(mail('Two')).toString());

  const flagged = await m.setFlags('INBOX', [1, 2, 99], 'add', ['\\Deleted']);
  assert.deepEqual(flagged.changed.map((c) => c.uid), [1, 2]);
  assert.ok(flagged.modseq > b.modseq);
  const again = await m.setFlags('INBOX', [1], 'add', ['\\Deleted']);
  assert.deepEqual(again.changed, [], 'no change, no commit');
  // UNCHANGEDSINCE: message 1 changed at flagged.modseq, so a store conditional on an older MODSEQ skips it.
  const cond = await m.setFlags('INBOX', [1, 2], 'remove', ['\\Deleted'], { unchangedSince: flagged.modseq - 1 });
  assert.deepEqual(cond.modified, [1, 2]);

  assert.deepEqual(await m.expunge('INBOX', [2]), [2]);
  assert.deepEqual(await m.expunge('INBOX'), [1]);
  const c = await m.append('INBOX', mail('Three'));
  assert.equal(c.uid, 3);
  v = await m.view('INBOX');
  assert.deepEqual(v.uids, [3]);
  assert.equal(v.seqOf(3), 1);
  assert.equal(v.seqOf(1), 0);
  const messages = (await m.store.log({ at: m.branch })).entries.map((e) => e.message.trim());
  assert.deepEqual(messages.slice(0, 6), [
    'Append “Three” to INBOX',
    'Expunge 1 message from INBOX',
    'Expunge 1 message from INBOX',
    'Mark 2 messages in INBOX as \\Deleted',
    'Deliver “Two” from ann@example.org to INBOX',
    'Append “One” to INBOX',
  ]);
});

test('copy and move keep flags and dates, share the bytes, and give COPYUID data', async () => {
  const m = memoryMailstore();
  await m.ensureDefaults();
  await m.append('INBOX', mail('A'), { flags: ['\\Flagged'], internalDate: '2026-01-02T03:04:05+01:00' });
  await m.append('INBOX', mail('B'));
  const copied = await m.copy('INBOX', [2, 1, 7], 'Archive');
  assert.deepEqual(copied.from, [1, 2]);
  assert.deepEqual(copied.to, [1, 2]);
  const archive = await m.view('Archive');
  assert.equal(copied.uidValidity, archive.meta.uidValidity);
  assert.deepEqual(archive.get(1)!.flags, ['\\Flagged']);
  assert.equal(archive.get(1)!.internalDate, '2026-01-02T03:04:05+01:00');
  assert.equal(archive.get(1)!.blob, (await m.view('INBOX')).get(1)!.blob, 'the same blob: stored once');
  const moved = await m.copy('INBOX', [1], 'Trash', { move: true });
  assert.deepEqual(moved.to, [1]);
  assert.deepEqual((await m.view('INBOX')).uids, [2]);
  await assert.rejects(m.copy('INBOX', [2], 'Nowhere'), (e) => e instanceof MailError && e.code === 'TRYCREATE');
  await assert.rejects(m.append('Nowhere', mail('x')), (e) => e instanceof MailError && e.code === 'TRYCREATE');
});

test('create, rename with children, rename INBOX, delete; UIDVALIDITY never repeats', async () => {
  let now = Date.UTC(2026, 10, 26, 12);
  const m = memoryMailstore(() => now);
  await m.ensureDefaults();
  await m.create('Projects');
  await m.create('Projects/Nymote');
  await assert.rejects(m.create('Projects'), (e) => e instanceof MailError && e.code === 'ALREADYEXISTS');
  await assert.rejects(m.create('a//b'), (e) => e instanceof MailError && e.code === 'CANNOT');
  await assert.rejects(m.delete('INBOX'), (e) => e instanceof MailError && e.code === 'CANNOT');
  await m.append('Projects/Nymote', mail('Plan'));
  const before = (await m.view('Projects/Nymote')).meta.uidValidity;
  await m.rename('Projects', 'Work');
  const names = (await m.mailboxes()).map((b) => b.name);
  assert.ok(names.includes('Work') && names.includes('Work/Nymote') && !names.includes('Projects'), names.join());
  const renamed = await m.view('Work/Nymote');
  assert.deepEqual(renamed.uids, [1]);
  assert.notEqual(renamed.meta.uidValidity, before);

  await m.append('INBOX', mail('In'));
  await m.rename('INBOX', 'Old mail');
  assert.deepEqual((await m.view('Old mail')).uids, [1]);
  const inbox = await m.view('INBOX');
  assert.deepEqual(inbox.uids, []);
  assert.equal((await m.append('INBOX', mail('Next'))).uid, 2, 'INBOX keeps its UIDNEXT');

  await m.delete('Work/Nymote');
  const v1 = (await m.create('Work/Nymote')).uidValidity;
  await m.delete('Work/Nymote');
  const v2 = (await m.create('Work/Nymote')).uidValidity;
  assert.ok(v2 > v1 && v1 > before, 'recreated in the same second: still a new UIDVALIDITY');
  now += 1;
});

test('on disk: git reads the mail, views refresh incrementally and across processes\' commits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nymote-mailstore-'));
  try {
    const store = await openStore(join(dir, 'store.git'), { create: true, author });
    const m = new Mailstore(store, 'alice');
    await m.ensureDefaults();
    for (let i = 0; i < 300; i++) await m.append('INBOX', mail(`Message ${i}`));
    const v1 = await m.view('INBOX');
    assert.equal(v1.exists, 300);
    assert.equal(v1.at(300)!.uid, 300);
    // A second Mailstore on the same repository (another process, as far as it knows) flags one.
    const other = new Mailstore(await openStore(join(dir, 'store.git'), { author }), 'alice');
    await other.setFlags('INBOX', [257], 'add', ['\\Seen']);
    const v2 = await m.view('INBOX');
    assert.notEqual(v2.treeId, v1.treeId);
    assert.deepEqual(v2.get(257)!.flags, ['\\Seen']);
    assert.deepEqual(v1.get(257)!.flags, [], 'the old snapshot is unchanged');
    const git = (...args: string[]) => execFileSync('git', ['--git-dir', join(dir, 'store.git'), ...args], { encoding: 'utf8' });
    assert.match(git('show', 'users/alice:mail/boxes/INBOX/0/8/257.eml'), /^Subject: Message 256\r$/m);
    assert.match(git('show', 'users/alice:mail/boxes/INBOX/0/8/257.json'), /"flags":\["\\\\Seen"\]/);
    assert.match(git('log', '-1', '--format=%s', 'users/alice'), /^Mark 1 message in INBOX as \\Seen$/m);
    git('fsck', '--strict');
    await other.store.close();
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('undo: expunged mail comes back under a new UID with its flags; deliveries, flags, deletes and renames reverse', async () => {
  const m = memoryMailstore();
  await m.ensureDefaults();
  const head = async () => (await m.store.head(m.branch))!;
  await m.append('INBOX', mail('Keep'), { flags: ['\\Flagged'] });
  await m.append('INBOX', mail('Gone'), { flags: ['\\Seen', 'Work'] });
  await m.setFlags('INBOX', [2], 'add', ['\\Deleted']);
  await m.expunge('INBOX');
  const expunge = await head();
  const before = (await m.view('INBOX')).meta.highestModseq;
  const undone = await m.undo(expunge);
  assert.equal(undone.subject, 'Expunge 1 message from INBOX');
  let v = await m.view('INBOX');
  assert.deepEqual(v.uids, [1, 3], 'a new UID: 2 is never reused');
  assert.deepEqual(v.get(3)!.flags, ['Work', '\\Deleted', '\\Seen']);
  assert.ok(v.get(3)!.modseq > before, 'a MODSEQ above every earlier one');
  assert.match(Buffer.from(await m.message(v.get(3)!.blob!)).toString(), /Subject: Gone/);
  assert.equal((await m.store.log({ at: m.branch, limit: 1 })).entries[0]!.message.trim(), 'Undo “Expunge 1 message from INBOX”');

  // Undo a flag change on top of a later one: only what that change did is reversed.
  await m.setFlags('INBOX', [1], 'add', ['\\Seen']);
  const seen = await head();
  await m.setFlags('INBOX', [1], 'add', ['Later']);
  await m.undo(seen);
  assert.deepEqual((await m.view('INBOX')).get(1)!.flags, ['Later', '\\Flagged']);

  // Undo a delivery: the message goes.
  await m.append('INBOX', mail('Spam'), { delivery: { from: 'spam@example.net' } });
  await m.undo(await head());
  v = await m.view('INBOX');
  assert.deepEqual(v.uids, [1, 3]);

  // Delete and rename mailboxes, then undo both.
  await m.create('Projects');
  await m.append('Projects', mail('Plan'));
  await m.delete('Projects');
  await m.undo(await head());
  assert.deepEqual((await m.view('Projects')).uids, [1]);
  await m.rename('Projects', 'Work');
  await m.undo(await head());
  assert.deepEqual((await m.view('Projects')).uids, [1]);
  await assert.rejects(m.view('Work'), (e) => e instanceof MailError && e.code === 'NONEXISTENT');

  // A created mailbox that received mail since is not silently deleted.
  await m.create('New');
  const created = await head();
  await m.append('New', mail('Inside'));
  await assert.rejects(m.undo(created), (e) => e instanceof MailError && e.code === 'CANNOT' && /changed since/.test(e.message));
  await assert.rejects(m.undo('0'.repeat(40)), /not found|no object|missing/i);
});
