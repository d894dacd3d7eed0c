// The IMAP server against imapflow, a real client, over 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { PASSWORD, message, startMailServer, type MailServer } from './imap-helpers.js';

let m: MailServer;
before(async () => { m = await startMailServer(); });
after(async () => { await m.close(); });

const client = (user = 'alice') => new ImapFlow({ host: '127.0.0.1', port: m.imapPort, secure: false, auth: { user, pass: PASSWORD }, logger: false });

test('imapflow: special-use mailboxes, append, fetch, flags, search, copy, move, expunge', async () => {
  const c = client();
  await c.connect();
  try {
    const list = await c.list();
    const byUse = Object.fromEntries(list.filter((b) => b.specialUse && b.specialUse !== '\\Inbox').map((b) => [b.specialUse, b.path]));
    assert.deepEqual(byUse, { '\\Archive': 'Archive', '\\Drafts': 'Drafts', '\\Junk': 'Junk', '\\Sent': 'Sent', '\\Trash': 'Trash' });
    assert.ok(list.some((b) => b.path === 'INBOX'));

    const appended = await c.append('INBOX', message('First'), ['\\Flagged']);
    assert.ok(appended && appended.uid === 1, String(appended && appended.uid));
    await c.append('INBOX', message('Second', 'Some words to find.'));
    await c.append('INBOX', message('Grüße', 'Unicode body'));

    const lock = await c.getMailboxLock('INBOX');
    try {
      assert.equal((c.mailbox as { exists: number }).exists, 3);
      const one = await c.fetchOne('1', { envelope: true, flags: true, bodyStructure: true, source: true, internalDate: true, size: true });
      assert.ok(one);
      assert.equal(one.envelope?.subject, 'First');
      assert.equal(one.envelope?.from?.[0]?.address, 'ann@example.net');
      assert.ok(one.flags?.has('\\Flagged'));
      assert.equal(one.bodyStructure?.type, 'text/plain');
      assert.equal(one.source?.toString(), message('First'));
      assert.equal(one.size, message('First').length);

      const third = await c.fetchOne('3', { envelope: true });
      assert.ok(third);
      assert.equal(third.envelope?.subject, 'Grüße');

      assert.deepEqual(await c.search({ body: 'words to find' }), [2]);
      assert.deepEqual(await c.search({ flagged: true }), [1]);
      assert.deepEqual(await c.search({ subject: 'grüße' }), [3]);
      assert.deepEqual(await c.search({ seen: false }, { uid: true }), [1, 2, 3]);

      await c.messageFlagsAdd('2', ['\\Seen', 'Work']);
      const two = await c.fetchOne('2', { flags: true });
      assert.ok(two && two.flags?.has('\\Seen') && two.flags.has('Work'));

      const copied = await c.messageCopy('1', 'Archive');
      assert.ok(copied && copied.uidMap?.get(1) === 1, String(copied && [...(copied.uidMap ?? [])]));
      const moved = await c.messageMove('2', 'Trash');
      assert.ok(moved && moved.uidMap?.get(2) === 1);
      assert.equal((c.mailbox as { exists: number }).exists, 2);

      await c.messageFlagsAdd('1', ['\\Deleted']);
      await c.messageDelete('1');
      assert.equal((c.mailbox as { exists: number }).exists, 1);
      const left = await c.fetchOne('*', { uid: true, envelope: true });
      assert.ok(left);
      assert.equal(left.uid, 3, 'UIDs are kept, not renumbered');
    } finally {
      lock.release();
    }
    const status = await c.status('Trash', { messages: true, uidNext: true, unseen: true }) as { messages?: number; uidNext?: number; unseen?: number };
    assert.equal(status.messages, 1);
    assert.equal(status.uidNext, 2);
    assert.equal(status.unseen, 0);
  } finally {
    await c.logout();
  }
  // Every change was a commit with a readable message.
  const subjects = (await m.store.log({ at: 'users/alice', limit: 20 })).entries.map((e) => e.message.trim());
  assert.ok(subjects.includes('Move 1 message from INBOX to Trash'), subjects.join('\n'));
  assert.ok(subjects.includes('Append “First” to INBOX'), subjects.join('\n'));
});

test('two clients in IDLE on one mailbox both see a delivery within a second', async () => {
  const a = client('bob');
  const b = client('bob');
  await a.connect();
  await b.connect();
  try {
    await a.mailboxOpen('INBOX');
    await b.mailboxOpen('INBOX');
    const seen = (c: ImapFlow) => new Promise<number>((resolve) => c.on('exists', (e: { count: number }) => resolve(e.count)));
    const [sa, sb] = [seen(a), seen(b)];
    void a.idle();
    void b.idle();
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    const mx = nodemailer.createTransport({ host: '127.0.0.1', port: m.smtpPort, secure: false, ignoreTLS: true });
    await mx.sendMail({ from: 'carol@example.net', to: 'bob@example.org', subject: 'Ping', text: 'Are you there?' });
    const counts = await Promise.race([Promise.all([sa, sb]), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no EXISTS within a second')), 1000))]);
    assert.deepEqual(counts, [1, 1]);
    assert.ok(Date.now() - started < 1000);
  } finally {
    await a.logout();
    await b.logout();
  }
});

test('undo of an expunge while a client is connected: the message comes back with its flags, under a new UID', async () => {
  const c = client('bob');
  await c.connect();
  try {
    await c.mailboxOpen('INBOX');
    await c.append('INBOX', message('Keep me', 'x', 'ann@example.net', 'bob@example.org'), ['\\Flagged', 'Important']);
    const last = await c.fetchOne('*', { uid: true });
    assert.ok(last);
    const uid = last.uid;
    await c.messageDelete(String(uid), { uid: true });
    const expunge = (await m.store.head('users/bob'))!;
    const back = new Promise<number>((resolve) => c.on('exists', (e: { count: number }) => resolve(e.count)));
    void c.idle();
    await m.mailstores.of('bob').undo(expunge);
    await back;
    const again = await c.fetchOne('*', { uid: true, flags: true, envelope: true });
    assert.ok(again);
    assert.equal(again.envelope?.subject, 'Keep me');
    assert.ok(again.uid > uid);
    assert.ok(again.flags?.has('\\Flagged') && again.flags.has('Important') && again.flags.has('\\Deleted'));
  } finally {
    await c.logout();
  }
});
