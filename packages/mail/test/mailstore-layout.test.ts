// Where messages go under a mailbox: new mailboxes in layout 2 (two levels of small directories),
// mailboxes made by earlier versions in layout 1 (directories of 256 UIDs), read and written as they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryBackend, Store } from '@nymote/store';
import { MailError, Mailstore } from '../src/index.js';
import { parseMessagePath, rawPath, recordPath } from '../src/mailstore/layout.js';

const author = { name: 'Admin', email: 'admin@example.org' };
const text = new TextEncoder();
const mail = (subject: string) => text.encode(`From: ann@example.org\r\nSubject: ${subject}\r\n\r\nHello.\r\n`);
const json = (v: unknown) => text.encode(`${JSON.stringify(v)}\n`);

async function mailstore(): Promise<Mailstore> {
  const m = new Mailstore(new Store(memoryBackend(), { author }), 'alice', { clock: () => Date.UTC(2026, 10, 26, 12) });
  await m.ensureDefaults();
  return m;
}

/** A mailbox "Old" as an earlier version wrote it: no "layout" in its record, messages in <uid/256>/. */
async function addLayout1Box(m: Mailstore, count: number): Promise<void> {
  await m.store.update(async (tree) => {
    const base = 'mail/boxes/Old';
    await tree.set(`${base}/.mailbox.json`, json({ name: 'Old', uidValidity: 7, uidNext: count + 1, highestModseq: 5, subscribed: true }));
    for (let uid = 1; uid <= count; uid++) {
      const raw = mail(`Old ${uid}`);
      await tree.set(`${base}/${Math.floor(uid / 256)}/${uid}.eml`, raw);
      await tree.set(`${base}/${Math.floor(uid / 256)}/${uid}.json`, json({ flags: [], modseq: 5, internalDate: '2025-01-01T00:00:00Z', size: raw.length }));
    }
  }, { branch: m.branch, message: 'an earlier version' });
}

const names = async (m: Mailstore, key: string) => (await m.store.list(key, { branch: m.branch })).map((e) => e.name);

test('paths: both layouts parse, a UID in the wrong directory does not', () => {
  assert.equal(rawPath(257, 1), '1/257.eml');
  assert.equal(recordPath(257, 2), '0/8/257.json');
  assert.equal(rawPath(5000, 2), '2/156/5000.eml');
  assert.deepEqual(parseMessagePath('1/257.eml'), { uid: 257, kind: 'raw' });
  assert.deepEqual(parseMessagePath('0/8/257.json'), { uid: 257, kind: 'record' });
  assert.deepEqual(parseMessagePath('2/156/5000.eml'), { uid: 5000, kind: 'raw' });
  for (const bad of ['0/257.eml', '0/9/257.json', '1/8/257.json', '0/0/0/1.eml', '0/0/1.txt', '0/0/01.eml', '.mailbox.json']) {
    assert.equal(parseMessagePath(bad), undefined, bad);
  }
});

test('a new mailbox is in layout 2: a flag change rewrites directories of at most 64 entries', async () => {
  const m = await mailstore();
  for (let i = 0; i < 300; i++) await m.append('INBOX', mail(`M ${i}`));
  assert.equal((await m.mailboxes()).find((b) => b.name === 'INBOX')!.layout, 2);
  assert.deepEqual(await names(m, 'mail/boxes/INBOX'), ['.mailbox.json', '0']);
  assert.equal((await names(m, 'mail/boxes/INBOX/0')).length, 10); // UIDs 1–300 in directories 0–9 of 32
  assert.equal((await names(m, 'mail/boxes/INBOX/0/8')).length, 64);
  await m.setFlags('INBOX', [257], 'add', ['\\Seen']);
  assert.deepEqual((await m.view('INBOX')).get(257)!.flags, ['\\Seen']);
  assert.match(new TextDecoder().decode(await m.store.get('mail/boxes/INBOX/0/8/257.json', { branch: m.branch })), /"\\\\Seen"/);
});

test('a mailbox in layout 1 is read, flagged, appended to, expunged and undone in layout 1', async () => {
  const m = await mailstore();
  await addLayout1Box(m, 300);
  let v = await m.view('Old');
  assert.equal(v.exists, 300);
  assert.equal(v.get(257)!.size, mail('Old 257').length);
  await m.setFlags('Old', [257, 3], 'add', ['\\Deleted']);
  assert.match(new TextDecoder().decode(await m.store.get('mail/boxes/Old/1/257.json', { branch: m.branch })), /\\\\Deleted/);
  const added = await m.append('Old', mail('New'));
  assert.equal(added.uid, 301);
  assert.ok(await m.store.get('mail/boxes/Old/1/301.eml', { branch: m.branch }));
  assert.deepEqual(await m.expunge('Old'), [3, 257]);
  const expunged = (await m.store.log({ at: m.branch, limit: 1 })).entries[0]!.id;
  assert.deepEqual(await names(m, 'mail/boxes/Old'), ['.mailbox.json', '0', '1']);
  assert.equal((await m.mailboxes()).find((b) => b.name === 'Old')!.layout, undefined, 'still layout 1');
  v = await m.view('Old');
  assert.equal(v.exists, 299);
  // Undo brings both back, with new UIDs, in the mailbox's own layout.
  await m.undo(expunged);
  v = await m.view('Old');
  assert.equal(v.exists, 301);
  assert.deepEqual(v.uids.slice(-2), [302, 303]);
  assert.ok(await m.store.get('mail/boxes/Old/1/303.json', { branch: m.branch }));
});

test('copy and move between layouts: each mailbox keeps its own', async () => {
  const m = await mailstore();
  await addLayout1Box(m, 40);
  const copied = await m.copy('Old', [1, 2, 33], 'Archive');
  assert.deepEqual(copied.to, [1, 2, 3]);
  assert.ok(await m.store.get('mail/boxes/Archive/0/0/3.eml', { branch: m.branch }));
  const moved = await m.copy('Archive', [1, 2], 'Old', { move: true });
  assert.deepEqual(moved.to, [41, 42]);
  assert.ok(await m.store.get('mail/boxes/Old/0/42.json', { branch: m.branch }));
  assert.equal(await m.store.get('mail/boxes/Archive/0/0/1.eml', { branch: m.branch }).catch(() => undefined), undefined);
  assert.equal((await m.view('Old')).exists, 42);
  assert.deepEqual((await m.view('Archive')).uids, [3]);
});

test('renaming INBOX leaves it empty in layout 2; the renamed mailbox keeps its layout', async () => {
  const m = await mailstore();
  await m.store.update(async (tree) => {
    // An INBOX of an earlier version: no layout in its record.
    const meta = JSON.parse(new TextDecoder().decode((await tree.get('mail/boxes/INBOX/.mailbox.json'))!));
    delete meta.layout;
    await tree.set('mail/boxes/INBOX/.mailbox.json', json(meta));
  }, { branch: m.branch, message: 'an earlier version' });
  await m.append('INBOX', mail('Kept'));
  assert.ok(await m.store.get('mail/boxes/INBOX/0/1.eml', { branch: m.branch }));
  await m.rename('INBOX', 'Before');
  const boxes = await m.mailboxes();
  assert.equal(boxes.find((b) => b.name === 'Before')!.layout, undefined);
  assert.equal((await m.view('Before')).exists, 1);
  assert.equal(boxes.find((b) => b.name === 'INBOX')!.layout, 2);
  assert.equal((await m.append('INBOX', mail('After'))).uid, 2);
  assert.ok(await m.store.get('mail/boxes/INBOX/0/0/2.eml', { branch: m.branch }));
});

test('a mailbox in a layout this version does not know is read as far as it can, never written', async () => {
  const m = await mailstore();
  await m.append('INBOX', mail('One'));
  await m.store.update(async (tree) => {
    const meta = JSON.parse(new TextDecoder().decode((await tree.get('mail/boxes/INBOX/.mailbox.json'))!));
    await tree.set('mail/boxes/INBOX/.mailbox.json', json({ ...meta, layout: 3 }));
  }, { branch: m.branch, message: 'a later version' });
  const head = await m.store.head(m.branch);
  await assert.rejects(m.append('INBOX', mail('Two')), (e: unknown) => e instanceof MailError && e.code === 'CANNOT' && /layout 3/.test(e.message));
  await assert.rejects(m.setFlags('INBOX', [1], 'add', ['\\Seen']), (e: unknown) => e instanceof MailError && e.code === 'CANNOT');
  assert.equal(await m.store.head(m.branch), head, 'nothing was committed');
});
