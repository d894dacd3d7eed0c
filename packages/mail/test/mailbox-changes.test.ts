// The change feed sessions share: mailbox views loaded one after another, each from the one before,
// so that what a session tells its client (mailboxChanges) comes from the diffs made once for all
// sessions, not from a walk over the whole mailbox per session. The answers must be those of a full
// comparison, whatever the changes and however far behind a session is.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryBackend, Store } from '@nymote/store';
import { mailboxChanges } from '../src/imap/mailbox-changes.js';
import { Mailstore, MailboxView } from '../src/index.js';

const author = { name: 'Admin', email: 'admin@example.org' };
const mail = (n: number) => new TextEncoder().encode(`Subject: m${n}\r\nMessage-ID: <m${n}@example.org>\r\n\r\nBody ${n}.\r\n`);

/** A small deterministic random number generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The same view with no history (a new Mailstore's): mailboxChanges must walk every message. */
async function unrelated(m: Mailstore, view: MailboxView): Promise<MailboxView> {
  return MailboxView.load(m.store, view.treeId);
}

test('views loaded one after another name what changed; sessions far behind or off the chain compare everything', async () => {
  const m = new Mailstore(new Store(memoryBackend(), { author }), 'alice');
  await m.ensureDefaults();
  for (let i = 0; i < 20; i++) await m.append('INBOX', mail(i));
  const rnd = random(7);
  // Sessions: the view each one's client knows, refreshed at different paces (the last one never
  // within the history a view keeps, so it is compared in full).
  const known: MailboxView[] = Array.from({ length: 4 }, () => undefined as unknown as MailboxView);
  const first = await m.view('INBOX');
  known.fill(first);
  let sawShort = false;
  for (let step = 0; step < 150; step++) {
    const view = await m.view('INBOX');
    const r = rnd();
    if (r < 0.45 && view.exists > 0) {
      const uids = view.uids.filter(() => rnd() < 0.2);
      await m.setFlags('INBOX', uids.length ? uids : [view.uids[0]!], rnd() < 0.5 ? 'add' : 'remove', [rnd() < 0.5 ? '\\Seen' : 'Work']);
    } else if (r < 0.75) {
      await m.append('INBOX', mail(100 + step));
    } else if (view.exists > 0) {
      const uids = view.uids.filter(() => rnd() < 0.15);
      await m.setFlags('INBOX', uids, 'add', ['\\Deleted']);
      await m.expunge('INBOX');
    } else {
      await m.setSubscribed('INBOX', step % 2 === 0);
    }
    const next = await m.view('INBOX');
    for (let s = 0; s < known.length; s++) {
      if (s === 3 ? step % 70 !== 69 : rnd() > 1 / (s + 1)) continue;
      const fast = mailboxChanges(known[s]!, next);
      const full = mailboxChanges(await unrelated(m, known[s]!), next);
      assert.deepEqual(fast, full, `step ${step}, session ${s}`);
      if (next.changedSince(known[s]!) !== undefined && known[s] !== next) sawShort = true;
      known[s] = next;
    }
  }
  assert.ok(sawShort, 'some sessions used the history');
  assert.equal(known[3]!.changedSince(first), undefined, 'more loads than a view remembers: no history');
});

test('sessions asking for the same new tree at once share one load, which follows from the last view', async () => {
  const m = new Mailstore(new Store(memoryBackend(), { author }), 'alice');
  await m.ensureDefaults();
  await m.append('INBOX', mail(1));
  const before = await m.view('INBOX');
  await m.append('INBOX', mail(2));
  await m.setFlags('INBOX', [1], 'add', ['\\Flagged']);
  const views = await Promise.all(Array.from({ length: 8 }, () => m.view('INBOX')));
  assert.ok(views.every((v) => v === views[0]), 'one view for all');
  assert.deepEqual(views[0]!.changedSince(before), [1, 2]);
  const c = mailboxChanges(before, views[0]!);
  assert.equal(c.exists, 2);
  assert.deepEqual(c.flagChanges.map((f) => [f.uid, f.seq, f.flags]), [[1, 1, ['\\Flagged']]]);
});

test('an overlay (expunges held back) takes the place of the view it overlays', async () => {
  const m = new Mailstore(new Store(memoryBackend(), { author }), 'alice');
  await m.ensureDefaults();
  for (let i = 1; i <= 3; i++) await m.append('INBOX', mail(i));
  const known = await m.view('INBOX');
  await m.setFlags('INBOX', [2], 'add', ['\\Deleted']);
  await m.expunge('INBOX');
  await m.setFlags('INBOX', [3], 'add', ['\\Seen']);
  const next = await m.view('INBOX');
  const overlay = MailboxView.overlay(known, next);
  assert.deepEqual(overlay.uids, [1, 2, 3]);
  await m.setFlags('INBOX', [1], 'add', ['\\Answered']);
  await m.append('INBOX', mail(4));
  const later = await m.view('INBOX');
  const offChain = MailboxView.overlay(await unrelated(m, known), await unrelated(m, next));
  assert.equal(later.changedSince(offChain), undefined);
  assert.deepEqual(mailboxChanges(overlay, later), mailboxChanges(offChain, later));
  const c = mailboxChanges(overlay, later);
  assert.deepEqual(c.expungedUids, [2]);
  assert.deepEqual(c.flagChanges.map((f) => f.uid), [1], 'the flags of 3 were told with the overlay');
  assert.equal(c.exists, 3);
});

test('a view whose tree was never stored (a write given up) is not diffed from: the next view is read whole', async () => {
  const m = new Mailstore(new Store(memoryBackend(), { author }), 'alice');
  await m.ensureDefaults();
  for (let i = 0; i < 3; i++) await m.append('INBOX', mail(i));
  const stored = await m.view('INBOX');
  // The same view as if of a tree built for a commit that never landed.
  const ghost = Object.assign(Object.create(MailboxView.prototype) as MailboxView, stored, { treeId: 'f'.repeat(40) });
  await m.append('INBOX', mail(3));
  const head = await m.view('INBOX');
  const fromGhost = await MailboxView.load(m.store, head.treeId, ghost);
  assert.deepEqual(fromGhost.uids, head.uids);
  assert.equal(fromGhost.uids.length, 4);
});
