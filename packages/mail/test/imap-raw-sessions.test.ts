// Several sessions on one mailbox, on the wire: each sees the others' flag changes and expunges at
// its next command, EXPUNGE never while FETCH, STORE or SEARCH answer (RFC 3501 7.4.1), VANISHED
// with QRESYNC; UIDs are never reused, and UIDVALIDITY survives a restart.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PASSWORD, message, startMailServer, type MailServer } from './imap-helpers.js';
import { RawClient } from './imap-raw-client.js';

let m: MailServer;
before(async () => { m = await startMailServer(['alice', 'bob', 'carol', 'erin']); });
after(async () => { await m.close(); });

async function session(user: string, port = m.imapPort, enable?: string): Promise<RawClient> {
  const c = await RawClient.connect(port);
  await c.line();
  assert.match((await c.command('l', `LOGIN ${user} "${PASSWORD}"`)).tagged, /^l OK /);
  if (enable) assert.match((await c.command('e', `ENABLE ${enable}`)).tagged, /^e OK /);
  assert.match((await c.command('s', 'SELECT INBOX')).tagged, /^s OK /);
  return c;
}

async function fill(user: string, subjects: string[]): Promise<void> {
  const store = m.mailstores.of(user);
  await store.ensureDefaults();
  for (const s of subjects) await store.append('INBOX', new TextEncoder().encode(message(s)));
}

test('two sessions see each other\'s flag changes and expunges, at the next command that allows them', async () => {
  await fill('alice', ['one', 'two', 'three', 'four']);
  const a = await session('alice');
  const b = await session('alice');
  const q = await session('alice', m.imapPort, 'QRESYNC');
  try {
    // A flag change by b: a hears of it at its next command, as an untagged FETCH.
    assert.match((await b.command('b1', 'STORE 1 +FLAGS (\\Flagged)')).tagged, /^b1 OK /);
    // a selected first: the four messages are \Recent in a, and only there.
    assert.deepEqual((await a.command('a1', 'NOOP')).untagged, ['* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))']);

    // b expunges message 2; a's FETCH, STORE and SEARCH still answer with the old numbers and
    // without EXPUNGE, and flag changes still show.
    await b.command('b2', 'STORE 2 +FLAGS.SILENT (\\Deleted)');
    const expunge = await b.command('b3', 'EXPUNGE');
    assert.deepEqual(expunge.untagged, ['* 2 EXPUNGE'], 'no EXISTS: the EXPUNGE says the count went down');
    await b.command('b4', 'STORE 3 +FLAGS.SILENT (\\Seen)'); // UID 4, now number 3
    const fetch = await a.command('a2', 'FETCH 1:4 (UID)');
    assert.ok(fetch.untagged.every((l) => !/EXPUNGE|EXISTS/.test(l)), fetch.untagged.join('\n'));
    assert.ok(fetch.untagged.includes('* 4 FETCH (UID 4)'), 'message 4 keeps its number during FETCH');
    assert.ok(fetch.untagged.includes('* 4 FETCH (UID 4 FLAGS (\\Seen \\Recent))'), `the flag change shows: ${fetch.untagged.join('\n')}`);
    const search = await a.command('a3', 'SEARCH ALL');
    assert.deepEqual(search.untagged, ['* SEARCH 1 2 3 4']);
    const store = await a.command('a4', 'STORE 4 +FLAGS (\\Answered)');
    assert.ok(store.untagged.every((l) => !/EXPUNGE/.test(l)), store.untagged.join('\n'));
    assert.deepEqual(store.untagged, ['* 4 FETCH (UID 4 FLAGS (\\Answered \\Seen \\Recent))']);
    // NOOP may renumber: now the EXPUNGE comes.
    assert.deepEqual((await a.command('a5', 'NOOP')).untagged, ['* 2 EXPUNGE']);
    assert.deepEqual((await a.command('a6', 'FETCH 3 (UID)')).untagged, ['* 3 FETCH (UID 4)']);

    // The QRESYNC session hears of the expunge as VANISHED, by UID, and of the flags with MODSEQ.
    const qn = await q.command('q1', 'NOOP');
    assert.equal(qn.untagged[0], '* VANISHED 2');
    assert.ok(!qn.untagged.some((l) => /EXPUNGE/.test(l)));
    assert.ok(qn.untagged.some((l) => /^\* 1 FETCH \(UID 1 FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$/.test(l)), qn.untagged.join('\n'));
    assert.ok(qn.untagged.some((l) => /^\* 3 FETCH \(UID 4 FLAGS \(\\Answered \\Seen\) MODSEQ \(\d+\)\)$/.test(l)), qn.untagged.join('\n'));

    // An APPEND elsewhere is announced to an idle session without a command.
    const idle = await a.command('a7', 'NOOP');
    assert.deepEqual(idle.untagged, []);
    a.write('a8 IDLE\r\n');
    assert.match(await a.line(), /^\+ /);
    await m.mailstores.of('alice').append('INBOX', new TextEncoder().encode(message('five')));
    assert.equal(await a.line(), '* 4 EXISTS');
    assert.equal(await a.line(), '* 4 RECENT', 'a is told first, and takes the new message');
    a.write('DONE\r\n');
    assert.match((await a.until('a8')).tagged, /^a8 OK /);
  } finally {
    a.close();
    b.close();
    q.close();
  }
});

test('eight sessions storing and appending at once: each sees every change of the others, with its MODSEQ, and so does an IDLE session', async () => {
  const N = 8;
  await fill('carol', Array.from({ length: N }, (_, i) => `m${i + 1}`));
  const sessions = await Promise.all(Array.from({ length: N }, () => session('carol', m.imapPort, 'CONDSTORE')));
  const idler = await session('carol', m.imapPort, 'CONDSTORE');
  /** Last FLAGS and MODSEQ told for each UID, from untagged FETCH lines. */
  const told = (lines: string[], into = new Map<number, { flags: string; modseq: number }>()) => {
    for (const l of lines) {
      const f = /^\* \d+ FETCH \(UID (\d+) FLAGS \(([^)]*)\) MODSEQ \((\d+)\)\)$/.exec(l);
      // \Recent is per session (the first to select took them all): the stored flags are compared.
      if (f) into.set(Number(f[1]), { flags: f[2]!.replace(/ ?\\Recent/, ''), modseq: Number(f[3]) });
    }
    return into;
  };
  try {
    idler.write('i1 IDLE\r\n');
    assert.match(await idler.line(), /^\+ /);
    // All at once: the store takes them together (one group), each its own commit and MODSEQ.
    const stores = await Promise.all(sessions.map((c, i) => c.command('s1', `UID STORE ${i + 1} +FLAGS (\\Flagged)`)));
    const after = await Promise.all(sessions.map((c) => c.command('s2', 'NOOP')));
    const truth = told((await sessions[0]!.command('s3', `UID FETCH 1:${N} (FLAGS MODSEQ)`)).untagged);
    assert.equal(truth.size, N);
    assert.equal(new Set([...truth.values()].map((t) => t.modseq)).size, N, 'one MODSEQ per change');
    for (const t of truth.values()) assert.equal(t.flags, '\\Flagged');
    for (let i = 0; i < N; i++) {
      assert.match(stores[i]!.tagged, /^s1 OK /);
      const seen = told([...stores[i]!.untagged, ...after[i]!.untagged]);
      assert.deepEqual(seen, truth, `session ${i} was told every change, last as it is`);
    }
    const idled = new Map<number, { flags: string; modseq: number }>();
    while (idled.size < N || [...idled].some(([uid, t]) => t.modseq !== truth.get(uid)!.modseq)) told([await idler.line()], idled);
    assert.deepEqual(idled, truth);

    // Appends at once: distinct UIDs, and everyone ends up told of every message.
    const appends = await Promise.all(sessions.map((c, i) => c.command('a1', `APPEND INBOX {${message(`new${i}`).length}+}\r\n${message(`new${i}`)}`)));
    const uids = appends.map((a) => Number(/APPENDUID \d+ (\d+)\]/.exec(a.tagged)?.[1]));
    assert.deepEqual([...uids].sort((a, b) => a - b), Array.from({ length: N }, (_, i) => N + i + 1));
    const noops = await Promise.all(sessions.map((c) => c.command('a2', 'NOOP')));
    for (let i = 0; i < N; i++) {
      const exists = [...appends[i]!.untagged, ...noops[i]!.untagged].filter((l) => /EXISTS$/.test(l));
      assert.equal(exists.at(-1), `* ${2 * N} EXISTS`, `session ${i}: ${exists.join(', ')}`);
    }
    for (;;) if ((await idler.line()) === `* ${2 * N} EXISTS`) break;
    idler.write('DONE\r\n');
    assert.match((await idler.until('i1')).tagged, /^i1 OK /);
  } finally {
    for (const c of [...sessions, idler]) c.close();
  }
});

test('an IDLE session hears of a change that came while it was reading the one before', async () => {
  await fill('erin', ['one', 'two']);
  const idler = await session('erin');
  const store = m.mailstores.of('erin');
  const view = store.view.bind(store);
  let release = (): void => {};
  try {
    idler.write('i1 IDLE\r\n');
    assert.match(await idler.line(), /^\+ /);
    // The idler's refresh after the first change has read the mailbox, and waits before telling the
    // client, until the second change is in.
    const gate = new Promise<void>((r) => { release = r; });
    const read = new Promise<void>((reached) => {
      store.view = async (...args: Parameters<typeof view>) => {
        store.view = view;
        const v = await view(...args);
        reached();
        await gate;
        return v;
      };
    });
    await store.setFlags('INBOX', [1], 'add', ['\\Flagged']);
    await read;
    await store.setFlags('INBOX', [2], 'add', ['\\Seen']);
    release();
    assert.match(await idler.line(), /^\* 1 FETCH \(UID 1 FLAGS \(\\Flagged \\Recent\)\)$/);
    assert.match(await idler.line(), /^\* 2 FETCH \(UID 2 FLAGS \(\\Seen \\Recent\)\)$/, 'the second change is told without a third');
    idler.write('DONE\r\n');
    assert.match((await idler.until('i1')).tagged, /^i1 OK /);
  } finally {
    release();
    store.view = view;
    idler.close();
  }
});

test('UIDs are never reused: not after an expunge, nor after undoing an expunge or an append', async () => {
  await fill('bob', ['one', 'two', 'three']);
  const c = await session('bob');
  try {
    await c.command('u1', 'UID STORE 3 +FLAGS.SILENT (\\Deleted)');
    await c.command('u2', 'UID EXPUNGE 3');
    const expunge = (await m.store.head('users/bob'))!;
    await m.mailstores.of('bob').undo(expunge);
    // The expunged message is back, under a new UID; UID SEARCH, which may be told of new
    // messages first, finds it.
    assert.deepEqual((await c.command('u3', 'UID SEARCH ALL')).untagged, ['* 3 EXISTS', '* 3 RECENT', '* SEARCH 1 2 4']);
    const append = await c.command('u4', `APPEND INBOX {${message('five').length}+}\r\n${message('five')}`);
    assert.match(append.tagged, /^u4 OK \[APPENDUID \d+ 5\]/);
    await m.mailstores.of('bob').undo((await m.store.head('users/bob'))!);
    assert.deepEqual((await c.command('u5', 'UID SEARCH ALL')).untagged, ['* 4 EXPUNGE', '* SEARCH 1 2 4']);
    const again = await c.command('u6', `APPEND INBOX {${message('six').length}+}\r\n${message('six')}`);
    assert.match(again.tagged, /^u6 OK \[APPENDUID \d+ 6\]/, 'UID 5 was taken by the undone append');
  } finally {
    c.close();
  }
});

test('UIDVALIDITY and UIDNEXT stay the same across a server restart', async () => {
  const first = await startMailServer(['dave'], { keep: true });
  let dir = first.dir;
  let status: string;
  try {
    const c = await session('dave', first.imapPort);
    await c.command('r1', `APPEND INBOX {${message('kept').length}+}\r\n${message('kept')}`);
    status = (await c.command('r2', 'STATUS INBOX (UIDVALIDITY UIDNEXT MESSAGES)')).untagged[0]!;
    assert.match(status, /^\* STATUS "INBOX" \(UIDVALIDITY \d+ UIDNEXT 2 MESSAGES 1\)$/);
    c.close();
  } finally {
    await first.close();
  }
  const second = await startMailServer(['dave'], { dir });
  dir = second.dir;
  try {
    const c = await session('dave', second.imapPort);
    assert.equal((await c.command('r3', 'STATUS INBOX (UIDVALIDITY UIDNEXT MESSAGES)')).untagged[0], status);
    c.close();
  } finally {
    await second.close();
  }
});

test('SELECT lists the keywords some message has, as they come and go', async () => {
  await fill('carol', ['k1', 'k2']);
  const c = await session('carol');
  try {
    const flagsLine = async (tag: string) => (await c.command(tag, 'SELECT INBOX')).untagged.find((l) => l.startsWith('* FLAGS'));
    assert.equal(await flagsLine('c1'), '* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)');
    await c.command('c2', 'STORE 1 +FLAGS ($Label1 Work)');
    await c.command('c3', 'STORE 2 +FLAGS (Work)');
    const withKeywords = await c.command('c4', 'SELECT INBOX');
    assert.ok(withKeywords.untagged.includes('* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $Label1 Work)'), withKeywords.untagged.join('\n'));
    assert.ok(withKeywords.untagged.some((l) => l.includes('[PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $Label1 Work \\*)]')), withKeywords.untagged.join('\n'));
    await c.command('c5', 'STORE 1:2 -FLAGS ($Label1 Work)');
    assert.equal(await flagsLine('c6'), '* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)');
  } finally {
    c.close();
  }
});
