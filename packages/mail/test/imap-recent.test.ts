// \Recent (RFC 3501 2.3.2), kept as Dovecot keeps it but per process: a message is recent in the
// first session told of it (SELECT read-write, or EXISTS later); EXAMINE shows without taking;
// STATUS RECENT counts what no session took; IMAP4rev2 sessions have no \Recent at all.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PASSWORD, message, startMailServer, type MailServer } from './imap-helpers.js';
import { RawClient } from './imap-raw-client.js';

let m: MailServer;
before(async () => { m = await startMailServer(['alice', 'bob', 'carol', 'dave', 'erin']); });
after(async () => { await m.close(); });

async function login(user: string, port = m.imapPort): Promise<RawClient> {
  const c = await RawClient.connect(port);
  await c.line();
  assert.match((await c.command('l', `LOGIN ${user} "${PASSWORD}"`)).tagged, /^l OK /);
  return c;
}

/** EXISTS and RECENT lines of a command's answer. */
async function counts(c: RawClient, tag: string, command: string): Promise<string[]> {
  const r = await c.command(tag, command);
  assert.match(r.tagged, new RegExp(`^${tag} OK `), r.tagged);
  return r.untagged.filter((l) => /^\* \d+ (EXISTS|RECENT)$/.test(l));
}

async function fill(server: MailServer, user: string, subjects: string[]): Promise<void> {
  const store = server.mailstores.of(user);
  await store.ensureDefaults();
  for (const s of subjects) await store.append('INBOX', new TextEncoder().encode(message(s)));
}

const status = async (c: RawClient, tag: string) => (await c.command(tag, 'STATUS INBOX (RECENT)')).untagged;

test('the first session to SELECT takes the recent messages; the next sees none', async () => {
  await fill(m, 'alice', ['one']);
  const a = await login('alice');
  const b = await login('alice');
  try {
    assert.deepEqual(await counts(a, 'a1', 'SELECT INBOX'), ['* 1 EXISTS', '* 1 RECENT']);
    assert.deepEqual((await a.command('a2', 'FETCH 1 (FLAGS)')).untagged, ['* 1 FETCH (FLAGS (\\Recent))']);
    assert.deepEqual(await counts(b, 'b1', 'SELECT INBOX'), ['* 1 EXISTS', '* 0 RECENT']);
    assert.deepEqual((await b.command('b2', 'FETCH 1 (FLAGS)')).untagged, ['* 1 FETCH (FLAGS ())']);
    // Selecting again does not bring it back: it was recent once, in a's first selection.
    assert.deepEqual(await counts(a, 'a3', 'SELECT INBOX'), ['* 1 EXISTS', '* 0 RECENT']);
    assert.deepEqual((await a.command('a4', 'FETCH 1 (FLAGS)')).untagged, ['* 1 FETCH (FLAGS ())']);
    // \Recent cannot be stored (RFC 3501's flag excludes it; Dovecot answers BAD too).
    assert.match((await a.command('a5', 'STORE 1 +FLAGS (\\Recent)')).tagged, /^a5 BAD /);
  } finally {
    a.close();
    b.close();
  }
});

test('EXAMINE and STATUS show the recent messages without taking them; SELECT takes them', async () => {
  await fill(m, 'bob', ['one', 'two']);
  const x = await login('bob');
  const y = await login('bob');
  try {
    assert.deepEqual(await status(x, 'x1'), ['* STATUS "INBOX" (RECENT 2)']);
    assert.deepEqual(await counts(x, 'x2', 'EXAMINE INBOX'), ['* 2 EXISTS', '* 2 RECENT']);
    assert.deepEqual((await x.command('x3', 'FETCH 1:2 (FLAGS)')).untagged, ['* 1 FETCH (FLAGS (\\Recent))', '* 2 FETCH (FLAGS (\\Recent))']);
    assert.deepEqual((await x.command('x4', 'SEARCH RECENT')).untagged, ['* SEARCH 1 2']);
    assert.deepEqual(await status(y, 'y1'), ['* STATUS "INBOX" (RECENT 2)'], 'EXAMINE took nothing');
    assert.deepEqual(await counts(y, 'y2', 'SELECT INBOX'), ['* 2 EXISTS', '* 2 RECENT']);
    assert.deepEqual(await status(x, 'x5'), ['* STATUS "INBOX" (RECENT 0)'], 'SELECT took them');
    assert.deepEqual(await counts(x, 'x6', 'EXAMINE INBOX'), ['* 2 EXISTS', '* 0 RECENT']);
  } finally {
    x.close();
    y.close();
  }
});

test('a delivery while two sessions are selected is recent in the one told first, with RECENT along with EXISTS', async () => {
  await fill(m, 'carol', ['one']);
  const a = await login('carol');
  const b = await login('carol');
  const e = await login('carol');
  try {
    assert.deepEqual(await counts(a, 'a1', 'SELECT INBOX'), ['* 1 EXISTS', '* 1 RECENT']);
    assert.deepEqual(await counts(b, 'b1', 'SELECT INBOX'), ['* 1 EXISTS', '* 0 RECENT']);
    assert.deepEqual(await counts(e, 'e1', 'EXAMINE INBOX'), ['* 1 EXISTS', '* 0 RECENT']);
    await fill(m, 'carol', ['two']);
    // The read-only session is told first: it shows the message as recent but does not take it.
    assert.deepEqual(await counts(e, 'e2', 'NOOP'), ['* 2 EXISTS', '* 1 RECENT']);
    assert.deepEqual(await counts(b, 'b2', 'NOOP'), ['* 2 EXISTS', '* 1 RECENT']);
    assert.deepEqual(await counts(a, 'a2', 'NOOP'), ['* 2 EXISTS', '* 1 RECENT'], 'a keeps message 1 recent, not message 2');
    assert.deepEqual((await b.command('b3', 'FETCH 1:2 (FLAGS)')).untagged, ['* 1 FETCH (FLAGS ())', '* 2 FETCH (FLAGS (\\Recent))']);
    assert.deepEqual((await a.command('a3', 'FETCH 1:2 (FLAGS)')).untagged, ['* 1 FETCH (FLAGS (\\Recent))', '* 2 FETCH (FLAGS ())']);
    assert.deepEqual(await status(e, 'e3'), ['* STATUS "INBOX" (RECENT 0)']);

    // An IDLE session is told at once, so it takes the next one.
    a.write('a4 IDLE\r\n');
    assert.match(await a.line(), /^\+ /);
    await fill(m, 'carol', ['three']);
    assert.equal(await a.line(), '* 3 EXISTS');
    assert.equal(await a.line(), '* 2 RECENT');
    a.write('DONE\r\n');
    assert.match((await a.until('a4')).tagged, /^a4 OK /);
    assert.deepEqual(await counts(b, 'b4', 'NOOP'), ['* 3 EXISTS', '* 1 RECENT']);
    assert.deepEqual((await b.command('b5', 'UID SEARCH RECENT')).untagged, ['* SEARCH 2']);
    assert.deepEqual((await a.command('a5', 'UID SEARCH RECENT')).untagged, ['* SEARCH 1 3']);

    // A message the session itself appends to its mailbox is recent in it.
    const raw = message('four');
    const append = await b.command('b6', `APPEND INBOX {${raw.length}+}\r\n${raw}`);
    assert.match(append.tagged, /^b6 OK /);
    assert.deepEqual(append.untagged, ['* 4 EXISTS', '* 2 RECENT']);
    // Expunging a recent message lowers the count the next EXISTS tells.
    await b.command('b7', 'STORE 2 +FLAGS.SILENT (\\Deleted)');
    assert.deepEqual((await b.command('b8', 'EXPUNGE')).untagged, ['* 2 EXPUNGE']);
    await fill(m, 'carol', ['five']);
    assert.deepEqual(await counts(b, 'b9', 'NOOP'), ['* 4 EXISTS', '* 2 RECENT']);
  } finally {
    a.close();
    b.close();
    e.close();
  }
});

test('SEARCH RECENT, NEW (recent and unseen) and OLD (not recent)', async () => {
  await fill(m, 'dave', ['old']);
  const p = await login('dave');
  assert.deepEqual(await counts(p, 'p1', 'SELECT INBOX'), ['* 1 EXISTS', '* 1 RECENT']);
  p.close();
  await fill(m, 'dave', ['seen', 'unseen']);
  await m.mailstores.of('dave').setFlags('INBOX', [2], 'add', ['\\Seen']);
  const q = await login('dave');
  try {
    assert.deepEqual(await counts(q, 'q1', 'SELECT INBOX'), ['* 3 EXISTS', '* 2 RECENT']);
    assert.deepEqual((await q.command('q2', 'SEARCH RECENT')).untagged, ['* SEARCH 2 3']);
    assert.deepEqual((await q.command('q3', 'SEARCH NEW')).untagged, ['* SEARCH 3']);
    assert.deepEqual((await q.command('q4', 'SEARCH OLD')).untagged, ['* SEARCH 1']);
    assert.deepEqual((await q.command('q5', 'UID SEARCH NOT RECENT')).untagged, ['* SEARCH 1']);
    assert.deepEqual((await q.command('q6', 'SEARCH OR NEW OLD')).untagged, ['* SEARCH 1 3']);
    assert.deepEqual((await q.command('q7', 'FETCH 1:3 (FLAGS)')).untagged, ['* 1 FETCH (FLAGS ())', '* 2 FETCH (FLAGS (\\Seen \\Recent))', '* 3 FETCH (FLAGS (\\Recent))']);
  } finally {
    q.close();
  }
});

test('an IMAP4rev2 session never sees \\Recent nor RECENT, and takes nothing', async () => {
  await fill(m, 'erin', ['one']);
  const r = await login('erin');
  try {
    assert.match((await r.command('r0', 'ENABLE IMAP4rev2')).tagged, /^r0 OK /);
    assert.deepEqual(await counts(r, 'r1', 'SELECT INBOX'), ['* 1 EXISTS']);
    assert.deepEqual((await r.command('r2', 'FETCH 1 (FLAGS)')).untagged, ['* 1 FETCH (FLAGS ())']);
    await fill(m, 'erin', ['two']);
    assert.deepEqual(await counts(r, 'r3', 'NOOP'), ['* 2 EXISTS']);
    assert.deepEqual((await r.command('r4', 'FETCH 1:2 (FLAGS)')).untagged, ['* 1 FETCH (FLAGS ())', '* 2 FETCH (FLAGS ())']);
    // What it was told of is still recent for an IMAP4rev1 session.
    const v1 = await login('erin');
    try {
      assert.deepEqual(await counts(v1, 'v1', 'SELECT INBOX'), ['* 2 EXISTS', '* 2 RECENT']);
      assert.deepEqual((await v1.command('v2', 'FETCH 2 (FLAGS)')).untagged, ['* 2 FETCH (FLAGS (\\Recent))']);
      // ENABLE IMAP4rev2 with the mailbox selected: \Recent is gone at once.
      assert.match((await v1.command('v3', 'ENABLE IMAP4rev2')).tagged, /^v3 OK /);
      assert.deepEqual((await v1.command('v4', 'FETCH 2 (FLAGS)')).untagged, ['* 2 FETCH (FLAGS ())']);
      assert.deepEqual((await v1.command('v5', 'SEARCH RETURN (ALL) RECENT')).untagged.filter((l) => /ESEARCH/.test(l)), ['* ESEARCH (TAG "v5")']);
    } finally {
      v1.close();
    }
  } finally {
    r.close();
  }
});

test('after a restart nothing is recent', async () => {
  const first = await startMailServer(['frank'], { keep: true });
  try {
    await fill(first, 'frank', ['one']);
  } finally {
    await first.close();
  }
  const again = await startMailServer(['frank'], { dir: first.dir });
  const c = await login('frank', again.imapPort);
  try {
    assert.deepEqual(await counts(c, 'c1', 'SELECT INBOX'), ['* 1 EXISTS', '* 0 RECENT']);
    await fill(again, 'frank', ['two']);
    const d = await login('frank', again.imapPort);
    try {
      assert.deepEqual(await status(d, 'd1'), ['* STATUS "INBOX" (RECENT 1)'], 'new mail since the restart is recent');
    } finally {
      d.close();
    }
    assert.deepEqual(await counts(c, 'c2', 'NOOP'), ['* 2 EXISTS', '* 1 RECENT']);
  } finally {
    c.close();
    await again.close();
  }
});
