// The command parser: every command form, shaped like what real clients send.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command, SearchKey } from '../src/imap/protocol/index.js';
import { parse, reject, text } from './imap-protocol-helpers.js';

/** Asserts that every field of `expected` equals the one in `actual` (deeply); other fields are free. */
function like(actual: unknown, expected: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(expected)) assert.deepEqual((actual as Record<string, unknown>)[k], v, `field ${k}`);
}

const range = (start: number | '*', end: number | '*' = start) => ({ start, end });

describe('IMAP commands without arguments', () => {
  for (const name of ['CAPABILITY', 'NOOP', 'LOGOUT', 'STARTTLS', 'NAMESPACE', 'IDLE', 'CHECK', 'CLOSE', 'UNSELECT'] as const) {
    it(name, () => {
      assert.deepEqual(parse(`A1 ${name}`), { tag: 'A1', name });
      // Thunderbird writes command names in lower case.
      assert.deepEqual(parse(`7 ${name.toLowerCase()}`), { tag: '7', name });
    });
  }
  it('refuses arguments where none are allowed', () => {
    const e = reject('A1 NOOP now');
    assert.equal(e.tag, 'A1');
    assert.match(e.message, /NOOP: expected end of command at position 7/);
  });
});

describe('IMAP authentication commands', () => {
  it('LOGIN with atoms, quoted strings and literals (imaplib, mbsync)', () => {
    assert.deepEqual(parse('JMLK2 LOGIN alice secret'), { tag: 'JMLK2', name: 'LOGIN', userid: 'alice', password: 'secret' });
    assert.deepEqual(parse('3 LOGIN "alice@example.org" "pa ss \\"q\\" \\\\"'), { tag: '3', name: 'LOGIN', userid: 'alice@example.org', password: 'pa ss "q" \\' });
    assert.deepEqual(parse('3 LOGIN "alice" {5+}\r\npäss\r\n'.replace('päss', Buffer.from('päss').toString('latin1'))), { tag: '3', name: 'LOGIN', userid: 'alice', password: 'päss' });
  });
  it('AUTHENTICATE with and without an initial response (SASL-IR)', () => {
    assert.deepEqual(parse('A1 AUTHENTICATE PLAIN'), { tag: 'A1', name: 'AUTHENTICATE', mechanism: 'PLAIN' });
    const c = parse('A1 authenticate plain AGFsaWNlAHNlY3JldA==');
    assert.equal(c.name, 'AUTHENTICATE');
    if (c.name !== 'AUTHENTICATE') return;
    assert.equal(c.mechanism, 'PLAIN');
    assert.equal(text(c.initialResponse!), '\0alice\0secret');
    const empty = parse('A1 AUTHENTICATE EXTERNAL =');
    assert.deepEqual(empty.name === 'AUTHENTICATE' && empty.initialResponse?.length, 0);
    assert.match(reject('A1 AUTHENTICATE PLAIN not*base64').message, /base64/);
  });
  it('ENABLE', () => {
    assert.deepEqual(parse('4 ENABLE CONDSTORE qresync UTF8=ACCEPT'), { tag: '4', name: 'ENABLE', capabilities: ['CONDSTORE', 'QRESYNC', 'UTF8=ACCEPT'] });
    assert.match(reject('4 ENABLE').message, /expected a space and a capability name/);
  });
  it('ID (RFC 2971, as imapflow and Thunderbird send it)', () => {
    assert.deepEqual(parse('2 ID ("name" "imapflow" "version" "1.0.0" "vendor" NIL)'), {
      tag: '2', name: 'ID', params: [['name', 'imapflow'], ['version', '1.0.0'], ['vendor', null]],
    });
    assert.deepEqual(parse('2 ID NIL'), { tag: '2', name: 'ID', params: null });
    assert.deepEqual(parse('2 ID ()'), { tag: '2', name: 'ID', params: [] });
  });
});

describe('IMAP mailbox commands', () => {
  it('SELECT and EXAMINE, plain, CONDSTORE and QRESYNC', () => {
    assert.deepEqual(parse('5 SELECT INBOX'), { tag: '5', name: 'SELECT', mailbox: 'INBOX', condstore: false });
    assert.deepEqual(parse('5 select "inbox" (CONDSTORE)'), { tag: '5', name: 'SELECT', mailbox: 'INBOX', condstore: true });
    assert.deepEqual(parse('5 EXAMINE "Archive/2024"'), { tag: '5', name: 'EXAMINE', mailbox: 'Archive/2024', condstore: false });
    assert.deepEqual(parse('A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))'), {
      tag: 'A02', name: 'SELECT', mailbox: 'INBOX', condstore: false,
      qresync: { uidValidity: 67890007, modseq: 20050715194045000n, knownUids: [range(41), range(43, 211), range(214, 541)] },
    });
    const q = parse('B04 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))');
    assert.equal(q.name === 'SELECT' && q.qresync?.seqMatch?.seqs.length, 4);
    const noKnown = parse('B05 EXAMINE INBOX (QRESYNC (1 2 (1:3 7:9)) CONDSTORE)');
    like(noKnown, { condstore: true, qresync: { uidValidity: 1, modseq: 2n, seqMatch: { seqs: [range(1, 3)], uids: [range(7, 9)] } } });
    assert.match(reject('5 SELECT INBOX (QRESYNC (0 5))').message, /UIDVALIDITY must not be 0/);
  });
  it('CREATE, with SPECIAL-USE', () => {
    assert.deepEqual(parse('6 CREATE "Projects/Nymote"'), { tag: '6', name: 'CREATE', mailbox: 'Projects/Nymote', specialUse: [] });
    assert.deepEqual(parse('6 CREATE MySent (USE (\\sent \\Archive))'), { tag: '6', name: 'CREATE', mailbox: 'MySent', specialUse: ['\\Sent', '\\Archive'] });
    const e = reject('6 CREATE X (USE (\\Outbox))');
    assert.equal(e.status, 'NO');
    assert.equal(e.code, 'USEATTR');
  });
  it('DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE', () => {
    assert.deepEqual(parse('7 DELETE Old'), { tag: '7', name: 'DELETE', mailbox: 'Old' });
    assert.deepEqual(parse('7 RENAME "Old" "New/Place"'), { tag: '7', name: 'RENAME', mailbox: 'Old', newName: 'New/Place' });
    assert.deepEqual(parse('7 SUBSCRIBE "Entw&APw-rfe"'), { tag: '7', name: 'SUBSCRIBE', mailbox: 'Entwürfe' });
    assert.deepEqual(parse('7 UNSUBSCRIBE {5}\r\nSpam!\r\n'), { tag: '7', name: 'UNSUBSCRIBE', mailbox: 'Spam!' });
  });
  it('LIST, the IMAP4rev1 form', () => {
    assert.deepEqual(parse('8 LIST "" "*"'), {
      tag: '8', name: 'LIST', reference: '', patterns: ['*'], extended: false,
      selection: { subscribed: false, remote: false, recursiveMatch: false, specialUse: false },
      returns: { subscribed: false, children: false, specialUse: false },
    });
    like(parse('8 list "" %'), { patterns: ['%'] });
    like(parse('8 LIST ~peter/mail/ &U,BTFw-/*'), { reference: '~peter/mail/', patterns: ['台北/*'] });
  });
  it('LIST-EXTENDED, SPECIAL-USE and LIST-STATUS options (Thunderbird, imapflow)', () => {
    like(parse('9 list (SUBSCRIBED) "" "*" RETURN (SPECIAL-USE)'), {
      extended: true, selection: { subscribed: true, remote: false, recursiveMatch: false, specialUse: false },
      returns: { subscribed: false, children: false, specialUse: true },
    });
    like(parse('9 LIST "" "*" RETURN (SPECIAL-USE SUBSCRIBED CHILDREN STATUS (MESSAGES UIDNEXT UNSEEN HIGHESTMODSEQ))'), {
      returns: { subscribed: true, children: true, specialUse: true, status: ['MESSAGES', 'UIDNEXT', 'UNSEEN', 'HIGHESTMODSEQ'] },
    });
    like(parse('9 LIST (SPECIAL-USE RECURSIVEMATCH) "" ("INBOX" "Sent*")'), { patterns: ['INBOX', 'Sent*'] });
    like(parse('9 LIST () "" %'), { extended: true });
    assert.match(reject('9 LIST (RECURSIVEMATCH) "" *').message, /RECURSIVEMATCH needs another selection option/);
    assert.match(reject('9 LIST (FANCY) "" *').message, /unknown LIST selection option FANCY/);
    assert.match(reject('9 LIST "" * (SUBSCRIBED)').message, /expected RETURN/);
  });
  it('LSUB', () => {
    assert.deepEqual(parse('16 lsub "" "*"'), { tag: '16', name: 'LSUB', reference: '', pattern: '*' });
  });
  it('STATUS, with CONDSTORE, SIZE and APPENDLIMIT items', () => {
    assert.deepEqual(parse('10 STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ)'), {
      tag: '10', name: 'STATUS', mailbox: 'INBOX', items: ['MESSAGES', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'HIGHESTMODSEQ'],
    });
    like(parse('10 status Sent (recent deleted size appendlimit)'), { items: ['RECENT', 'DELETED', 'SIZE', 'APPENDLIMIT'] });
    assert.match(reject('10 STATUS INBOX ()').message, /expected a status item/);
    assert.match(reject('10 STATUS INBOX (MESSAGES BOGUS)').message, /unknown status item BOGUS/);
  });
  it('mailbox names: modified UTF-7, or UTF-8 once enabled', () => {
    like(parse('1 SELECT "Entw&APw-rfe"'), { mailbox: 'Entwürfe' });
    like(parse('1 SELECT "&U,BTFw-"'), { mailbox: '台北' });
    like(parse('1 SELECT "Tom &- Jerry"'), { mailbox: 'Tom & Jerry' });
    const utf8 = Buffer.from('1 SELECT "Entwürfe & Co"').toString('latin1');
    like(parse(utf8, { utf8: true }), { mailbox: 'Entwürfe & Co' });
    // Under UTF-8 the modified UTF-7 spelling is just a name with "&" in it.
    like(parse('1 SELECT "Entw&APw-rfe"', { utf8: true }), { mailbox: 'Entw&APw-rfe' });
    assert.match(reject(utf8).message, /not valid modified UTF-7/);
    assert.match(reject('1 SELECT "&Jjo!"').message, /not valid modified UTF-7/);
    assert.match(reject('1 SELECT "\xff\xfe"', { utf8: true }).message, /not valid UTF-8/);
  });
});

describe('IMAP APPEND', () => {
  it('one message with flags and a date (imaplib, mbsync with LITERAL+)', () => {
    const c = parse('ABCD7 APPEND INBOX (\\Seen) "01-Jan-2024 00:00:00 +0000" {11}\r\nHello World\r\n');
    assert.equal(c.name, 'APPEND');
    if (c.name !== 'APPEND') return;
    assert.equal(c.mailbox, 'INBOX');
    assert.deepEqual(c.messages.map((m) => ({ ...m, data: text(m.data) })), [
      { flags: ['\\Seen'], date: { year: 2024, month: 1, day: 1, hour: 0, minute: 0, second: 0, zone: 0 }, data: 'Hello World', binary: false },
    ]);
    const m = parse('8 APPEND "Sent" (\\Seen $NotJunk) " 5-Mar-2024 10:00:00 -0130" {3+}\r\nabc\r\n');
    like(m.name === 'APPEND' && m.messages[0], { flags: ['\\Seen', '$NotJunk'], date: { year: 2024, month: 3, day: 5, hour: 10, minute: 0, second: 0, zone: -90 } });
  });
  it('without flags or date, with empty flags, with literal8 (BINARY)', () => {
    const a = parse('9 APPEND Drafts {2}\r\nhi\r\n');
    like(a.name === 'APPEND' && a.messages[0], { flags: [], binary: false });
    const b = parse('9 APPEND Drafts () ~{3}\r\n\x00\x01\x02\r\n');
    assert.ok(b.name === 'APPEND');
    if (b.name !== 'APPEND') return;
    assert.equal(b.messages[0]!.binary, true);
    assert.deepEqual([...b.messages[0]!.data], [0, 1, 2]);
  });
  it('several messages (MULTIAPPEND)', () => {
    const c = parse('10 APPEND INBOX (\\Seen) {3+}\r\none (\\Flagged) "17-Jul-1996 02:44:25 -0700" {3+}\r\ntwo {5+}\r\nthree\r\n');
    assert.ok(c.name === 'APPEND');
    if (c.name !== 'APPEND') return;
    assert.deepEqual(c.messages.map((m) => text(m.data)), ['one', 'two', 'three']);
    assert.deepEqual(c.messages.map((m) => m.flags), [['\\Seen'], ['\\Flagged'], []]);
  });
  it('refuses a quoted message, \\Recent, bad dates', () => {
    assert.match(reject('9 APPEND INBOX "text"').message, /expected a date-time/);
    assert.match(reject('9 APPEND INBOX {1}\r\nx\r\n'.replace('{1}', '(\\Recent) {1}')).message, /\\Recent cannot be set/);
    assert.match(reject('9 APPEND INBOX "30-Feb-2024 00:00:00 +0000" {1}\r\nx\r\n').message, /the day 30, which Feb 2024 does not have/);
    assert.match(reject('9 APPEND INBOX "01-Jan-2024 25:00:00 +0000" {1}\r\nx\r\n').message, /out of range/);
    assert.match(reject('9 APPEND INBOX').message, /expected a space and the message/);
  });
});

describe('IMAP message commands', () => {
  it('EXPUNGE and UID EXPUNGE', () => {
    assert.deepEqual(parse('19 expunge'), { tag: '19', name: 'EXPUNGE', uid: false });
    assert.deepEqual(parse('23 UID EXPUNGE 5,9:11'), { tag: '23', name: 'EXPUNGE', uid: true, set: [range(5), range(9, 11)] });
  });
  it('COPY, MOVE and their UID forms', () => {
    assert.deepEqual(parse('18 UID COPY 2 "Archives/2024"'), { tag: '18', name: 'COPY', uid: true, set: [range(2)], mailbox: 'Archives/2024' });
    assert.deepEqual(parse('15 UID MOVE 1:3 Trash'), { tag: '15', name: 'MOVE', uid: true, set: [range(1, 3)], mailbox: 'Trash' });
    assert.deepEqual(parse('15 MOVE 4:* Junk'), { tag: '15', name: 'MOVE', uid: false, set: [range(4, '*')], mailbox: 'Junk' });
    assert.deepEqual(parse('15 copy $ Saved'), { tag: '15', name: 'COPY', uid: false, set: '$', mailbox: 'Saved' });
  });
  it('STORE in every form', () => {
    assert.deepEqual(parse('ABCD6 STORE 1 +FLAGS \\Deleted'), { tag: 'ABCD6', name: 'STORE', uid: false, set: [range(1)], action: 'add', silent: false, flags: ['\\Deleted'] });
    assert.deepEqual(parse('11 UID store 5 +Flags (\\Seen)'), { tag: '11', name: 'STORE', uid: true, set: [range(5)], action: 'add', silent: false, flags: ['\\Seen'] });
    like(parse('9 UID STORE 5 -FLAGS.SILENT (\\Deleted $Junk)'), { action: 'remove', silent: true, flags: ['\\Deleted', '$Junk'] });
    like(parse('9 STORE 1:* FLAGS ()'), { action: 'set', flags: [] });
    like(parse('9 STORE 2 FLAGS.SILENT \\seen \\FLAGGED'), { action: 'set', silent: true, flags: ['\\Seen', '\\Flagged'] });
    like(parse('d105 STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)'), { unchangedSince: 320162338n, set: [range(7), range(5), range(9)] });
    assert.match(reject('9 STORE 1 +FLAGS (\\Recent)').message, /\\Recent cannot be changed/);
    assert.match(reject('9 STORE 1 +FLAGS (\\Bogus)').message, /\\Bogus is not a system flag/);
    assert.match(reject('9 STORE 1 +LABELS (x)').message, /expected FLAGS or FLAGS.SILENT, found LABELS/);
    assert.match(reject('9 STORE 1 +FLAGS (a b').message, /expected "\)" or a space and another flag at position 21/);
  });
});

describe('IMAP FETCH', () => {
  const f = (line: string) => {
    const c = parse(line);
    assert.equal(c.name, 'FETCH');
    return c as Extract<Command, { name: 'FETCH' }>;
  };
  it('macros expand', () => {
    assert.deepEqual(f('1 FETCH 1:* ALL').items.map((i) => i.type === 'attribute' && i.name), ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE']);
    assert.deepEqual(f('1 FETCH 1 fast').items.length, 3);
    const full = f('1 FETCH 1 FULL');
    assert.equal(full.macro, 'FULL');
    assert.deepEqual(full.items.at(-1), { type: 'attribute', name: 'BODY' });
    assert.match(reject('1 FETCH 1 (ALL)').message, /the ALL macro cannot be used inside a list/);
  });
  it('attributes and sections (Thunderbird, mbsync, imapflow shapes)', () => {
    const tb = f('9 UID fetch 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])');
    assert.equal(tb.uid, true);
    assert.deepEqual(tb.set, [range(1, '*')]);
    assert.equal(tb.items.length, 4);
    const h = tb.items[3]!;
    assert.ok(h.type === 'body' && h.peek && h.section.text === 'HEADER.FIELDS' && h.section.fields?.length === 14);
    assert.deepEqual(f('6 UID FETCH 1:1000000000 (UID FLAGS)').set, [range(1, 1000000000)]);
    assert.deepEqual(f('7 UID FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (X-TUID MESSAGE-ID)])').items.length, 4);
    assert.deepEqual(f('8 FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE INTERNALDATE MODSEQ)').items.map((i) => i.type === 'attribute' && i.name), ['UID', 'FLAGS', 'ENVELOPE', 'BODYSTRUCTURE', 'INTERNALDATE', 'MODSEQ']);
    assert.deepEqual(f('ABCD5 FETCH 1 (RFC822)').items, [{ type: 'attribute', name: 'RFC822' }]);
    assert.deepEqual(f('5 FETCH 1 (RFC822.HEADER RFC822.TEXT BODY)').items.length, 3);
    assert.deepEqual(f('5 FETCH 1 BODY[]').items, [{ type: 'body', peek: false, section: { part: [] } }]);
    assert.deepEqual(f('5 FETCH 1 BODY.PEEK[1.2]<0.10240>').items, [{ type: 'body', peek: true, section: { part: [1, 2] }, partial: { offset: 0, length: 10240 } }]);
    assert.deepEqual(f('5 FETCH 1 (BODY[HEADER] BODY[TEXT] BODY[1.MIME] BODY[2.1.HEADER] BODY[3.TEXT] BODY[4.HEADER.FIELDS.NOT (Received DKIM-Signature)])').items, [
      { type: 'body', peek: false, section: { part: [], text: 'HEADER' } },
      { type: 'body', peek: false, section: { part: [], text: 'TEXT' } },
      { type: 'body', peek: false, section: { part: [1], text: 'MIME' } },
      { type: 'body', peek: false, section: { part: [2, 1], text: 'HEADER' } },
      { type: 'body', peek: false, section: { part: [3], text: 'TEXT' } },
      { type: 'body', peek: false, section: { part: [4], text: 'HEADER.FIELDS.NOT', fields: ['Received', 'DKIM-Signature'] } },
    ]);
    assert.deepEqual(f('5 FETCH 1 BODY.PEEK[HEADER.FIELDS ("Subject" {4}\r\nDate)]').items[0], { type: 'body', peek: true, section: { part: [], text: 'HEADER.FIELDS', fields: ['Subject', 'Date'] } });
  });
  it('BINARY items (RFC 3516)', () => {
    assert.deepEqual(f('5 FETCH 1 (BINARY[1] BINARY.PEEK[2.1]<100.200> BINARY.SIZE[3] BINARY[])').items, [
      { type: 'binary', peek: false, part: [1] },
      { type: 'binary', peek: true, part: [2, 1], partial: { offset: 100, length: 200 } },
      { type: 'binary.size', part: [3] },
      { type: 'binary', peek: false, part: [] },
    ]);
    assert.match(reject('5 FETCH 1 BINARY[1.TEXT]').message, /only part numbers are allowed/);
  });
  it('CHANGEDSINCE and VANISHED (CONDSTORE, QRESYNC)', () => {
    const c = f('12 uid fetch 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)');
    assert.equal(c.changedSince, 12345n);
    assert.equal(c.vanished, true);
    assert.equal(f('12 FETCH 1:* (FLAGS) (CHANGEDSINCE 9223372036854775807)').changedSince, 9223372036854775807n);
    assert.match(reject('12 FETCH 1:* (FLAGS) (CHANGEDSINCE 9223372036854775808)').message, /out of range/);
    assert.match(reject('12 FETCH 1:* FLAGS (VANISHED)').message, /VANISHED needs UID FETCH with CHANGEDSINCE/);
  });
  it('errors name what was expected where', () => {
    assert.match(reject('5 FETCH 1 BODY[1.MIME').message, /FETCH: expected "\]" closing the section at position 21/);
    assert.match(reject('5 FETCH 1 BODY[MIME]').message, /MIME needs a part number/);
    assert.match(reject('5 FETCH 1 (FLAGS BOODY)').message, /unknown fetch item BOODY/);
    assert.match(reject('5 FETCH 1 BODY[]<0.0>').message, /partial length must not be 0/);
    assert.match(reject('5 FETCH 0 FLAGS').message, /must not be 0/);
    assert.match(reject('5 FETCH 4294967296 FLAGS').message, /out of range/);
    assert.match(reject('5 FETCH 1,,2 FLAGS').message, /expected a sequence set at position 10/);
    assert.match(reject('5 FETCH').message, /expected a space and a sequence set at position 7, found end of command/);
  });
});

describe('IMAP SEARCH', () => {
  const s = (line: string, utf8?: boolean) => {
    const c = parse(line, utf8 ? { utf8 } : undefined);
    assert.equal(c.name, 'SEARCH');
    return c as Extract<Command, { name: 'SEARCH' }>;
  };
  const one = (criteria: string) => {
    const c = s(`1 SEARCH ${criteria}`);
    assert.equal(c.criteria.length, 1);
    return c.criteria[0]!;
  };
  it('every RFC 3501 key', () => {
    for (const k of ['ALL', 'ANSWERED', 'DELETED', 'DRAFT', 'FLAGGED', 'NEW', 'OLD', 'RECENT', 'SEEN', 'UNANSWERED', 'UNDELETED', 'UNDRAFT', 'UNFLAGGED', 'UNSEEN']) {
      assert.deepEqual(one(k.toLowerCase()), { key: k });
    }
    for (const k of ['BCC', 'BODY', 'CC', 'FROM', 'SUBJECT', 'TEXT', 'TO']) assert.deepEqual(one(`${k} "a b"`), { key: k, value: 'a b' });
    for (const k of ['BEFORE', 'ON', 'SINCE', 'SENTBEFORE', 'SENTON', 'SENTSINCE']) assert.deepEqual(one(`${k} 1-Feb-1994`), { key: k, date: { year: 1994, month: 2, day: 1 } });
    assert.deepEqual(one('SINCE "29-Feb-2024"'), { key: 'SINCE', date: { year: 2024, month: 2, day: 29 } });
    assert.deepEqual(one('KEYWORD $Forwarded'), { key: 'KEYWORD', flag: '$Forwarded' });
    assert.deepEqual(one('UNKEYWORD Junk'), { key: 'UNKEYWORD', flag: 'Junk' });
    assert.deepEqual(one('HEADER X-TUID abcdefgh'), { key: 'HEADER', field: 'X-TUID', value: 'abcdefgh' });
    assert.deepEqual(one('HEADER Message-ID ""'), { key: 'HEADER', field: 'Message-ID', value: '' });
    assert.deepEqual(one('LARGER 10000'), { key: 'LARGER', size: 10000 });
    assert.deepEqual(one('SMALLER 5'), { key: 'SMALLER', size: 5 });
    assert.deepEqual(one('UID 1:*'), { key: 'UID', set: [range(1, '*')] });
    assert.deepEqual(one('2,4:7,9,12:*'), { key: 'SEQUENCE', set: [range(2), range(4, 7), range(9), range(12, '*')] });
    assert.deepEqual(one('$'), { key: 'SEQUENCE', set: '$' });
    assert.deepEqual(one('UID $'), { key: 'UID', set: '$' });
    assert.deepEqual(one('NOT DELETED'), { key: 'NOT', operand: { key: 'DELETED' } });
    assert.deepEqual(one('OR SEEN FLAGGED'), { key: 'OR', left: { key: 'SEEN' }, right: { key: 'FLAGGED' } });
    assert.deepEqual(one('(SEEN FLAGGED)'), { key: 'AND', keys: [{ key: 'SEEN' }, { key: 'FLAGGED' }] });
    assert.deepEqual(one('OLDER 3600'), { key: 'OLDER', seconds: 3600 });
    assert.deepEqual(one('YOUNGER 60'), { key: 'YOUNGER', seconds: 60 });
  });
  it('MODSEQ (CONDSTORE)', () => {
    assert.deepEqual(one('MODSEQ 620162338'), { key: 'MODSEQ', modseq: 620162338n });
    assert.deepEqual(one('MODSEQ "/flags/\\\\draft" all 620162338'), { key: 'MODSEQ', modseq: 620162338n, entry: { name: '/flags/\\draft', type: 'all' } });
  });
  it('nested OR, NOT and groups (Thunderbird quick filter)', () => {
    const c = s('1 UID SEARCH UNDELETED OR (FROM "alice" SUBJECT "x") OR TO bob NOT (CC carol SINCE 1-Jan-2020)');
    assert.equal(c.uid, true);
    assert.deepEqual(c.criteria, [
      { key: 'UNDELETED' },
      {
        key: 'OR',
        left: { key: 'AND', keys: [{ key: 'FROM', value: 'alice' }, { key: 'SUBJECT', value: 'x' }] },
        right: { key: 'OR', left: { key: 'TO', value: 'bob' }, right: { key: 'NOT', operand: { key: 'AND', keys: [{ key: 'CC', value: 'carol' }, { key: 'SINCE', date: { year: 2020, month: 1, day: 1 } }] } } },
      },
    ] satisfies SearchKey[]);
  });
  it('CHARSET and literals (imaplib), other charsets decoded', () => {
    const utf8 = Buffer.from('Grüße');
    const c = s(`ABCD4 SEARCH CHARSET UTF-8 SUBJECT {${utf8.length}}\r\n${utf8.toString('latin1')}\r\n`);
    assert.equal(c.charset, 'UTF-8');
    assert.deepEqual(c.criteria, [{ key: 'SUBJECT', value: 'Grüße' }]);
    const latin = s('1 SEARCH CHARSET ISO-8859-1 BODY {5}\r\nGr\xfc\xdfe\r\n');
    assert.deepEqual(latin.criteria, [{ key: 'BODY', value: 'Grüße' }]);
    const e = reject('1 SEARCH CHARSET X-UNKNOWN-9 FROM x');
    assert.equal(e.status, 'NO');
    assert.equal(e.code, 'BADCHARSET (UTF-8 US-ASCII)');
    assert.equal(reject('1 SEARCH CHARSET UTF-8 FROM {1}\r\n\xff\r\n').code, 'BADCHARSET (UTF-8 US-ASCII)');
  });
  it('RETURN options (ESEARCH, IMAP4rev2)', () => {
    const c = s('1 UID SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN');
    assert.deepEqual(c.return, ['MIN', 'MAX', 'COUNT', 'ALL']);
    assert.deepEqual(s('1 SEARCH RETURN () ALL').return, []);
    assert.deepEqual(s('1 SEARCH RETURN (SAVE) CHARSET US-ASCII FLAGGED').return, ['SAVE']);
    assert.match(reject('1 SEARCH RETURN (PARTIAL) ALL').message, /unknown search return option PARTIAL/);
  });
  it('refuses what is not a search key, and too deep nesting', () => {
    assert.match(reject('1 SEARCH FROMM x').message, /unknown search key FROMM/);
    assert.match(reject('1 SEARCH').message, /expected a space and search criteria/);
    assert.match(reject('1 SEARCH OR SEEN').message, /expected a space and the second search key of OR/);
    assert.match(reject('1 SEARCH (SEEN').message, /expected "\)" or a space and another search key/);
    assert.match(reject('1 SEARCH ' + 'NOT '.repeat(40) + 'ALL').message, /nesting deeper than 32 levels/);
    assert.match(reject('1 SEARCH ' + '('.repeat(100) + 'ALL' + ')'.repeat(100)).message, /nesting deeper/);
    assert.ok(parse('1 SEARCH ' + '('.repeat(30) + 'ALL' + ')'.repeat(30)));
    assert.match(reject('1 SEARCH SINCE 1-Foo-2024').message, /expected a date like 1-Feb-2024/);
    assert.match(reject('1 SEARCH SINCE 1-Feb-24').message, /4-digit year/);
  });
});

describe('IMAP tags and command names', () => {
  it('reads the tag, or answers untagged', () => {
    const e = reject('\x01\x02 garbage');
    assert.equal(e.tag, undefined);
    assert.match(e.message, /expected a tag/);
    assert.equal(reject('+ NOOP').tag, undefined);
    const u = reject('a1 FROB x');
    assert.equal(u.tag, 'a1');
    assert.match(u.message, /unknown command FROB/);
    assert.match(reject('a1 UID NOOP').message, /UID NOOP is not a command/);
    assert.match(reject('a1').message, /expected a space and a command name after the tag/);
    assert.equal(parse('a.b-c_d$e NOOP').tag, 'a.b-c_d$e');
  });
});
