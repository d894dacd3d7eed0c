// The IMAP server against Python's imaplib (Debian's /usr/bin/python3): the script in
// fixtures/imap/imaplib-session.py runs a session of the commands scripts use and prints what it got.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { PASSWORD, startMailServer, type MailServer } from './imap-helpers.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../test/fixtures/imap/imaplib-session.py', import.meta.url));

interface Answer { typ: string; data: Array<string | string[] | null> }
type Output = Record<string, unknown>;

let m: MailServer;
before(async () => { m = await startMailServer(); });
after(async () => { await m.close(); });

const skip = existsSync(PYTHON) || process.env['CI'] ? false : `${PYTHON} is not installed`;

test('imaplib: a session of LOGIN to LOGOUT, with CONDSTORE, QRESYNC and IDLE', { skip }, async () => {
  const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, String(m.imapPort), 'alice', PASSWORD], { timeout: 20_000 });
  const o = JSON.parse(stdout) as Output;
  const a = (name: string): Answer => {
    const x = o[name] as Answer | undefined;
    assert.ok(x, `the script recorded no ${name}`);
    return x;
  };
  const ok = (name: string) => assert.equal(a(name).typ, 'OK', `${name}: ${JSON.stringify(a(name).data)}`);

  // Plain-text LOGIN over loopback is offered and works.
  assert.ok((o['greeting_caps'] as string[]).includes('AUTH=PLAIN'));
  assert.ok(!(o['greeting_caps'] as string[]).includes('LOGINDISABLED'));
  ok('login');
  assert.match(String(a('capability').data[0]), /\bIMAP4rev1\b.*\bIDLE\b/);
  assert.ok(a('list').data.includes('(\\HasNoChildren \\Sent) "/" "Sent"'), JSON.stringify(a('list').data));
  assert.deepEqual(a('select').data, ['0']);

  assert.match(String(a('append').data[0]), /^\[APPENDUID \d+ 1\]/);
  const items = a('fetch_items').data;
  assert.deepEqual(items[0], ['1 (BODY[HEADER.FIELDS (SUBJECT)] {24}', 'Subject: Lunch plans\r\n\r\n']);
  const rest = String(items[1]);
  assert.match(rest, /BODYSTRUCTURE \("text" "plain" \("charset" "utf-8"\) NIL NIL "7bit" 37 1 NIL NIL NIL NIL\)/);
  assert.match(rest, /ENVELOPE \("Thu, 26 Nov 2026 10:00:00 \+0100" "Lunch plans" \(\("Ann Example" NIL "ann" "example.net"\)\)/);
  // The session appended them with INBOX selected: it was told of them first, so they are \Recent in it.
  assert.match(rest, /FLAGS \(\$Important \\Flagged \\Recent\)/);
  assert.match(rest, /INTERNALDATE "26-Nov-2026 12:00:00 [+-]\d{4}"/);
  assert.match(rest, /RFC822.SIZE 253\)$/);
  // BODY[] without PEEK sets \Seen, and says so in the same FETCH.
  assert.deepEqual(a('fetch_flags_before').data, ['1 (FLAGS ($Important \\Flagged \\Recent))']);
  assert.match(String((a('fetch_body').data[0] as string[])[1]), /caf\u00e9 at noon/);
  assert.equal(a('fetch_body').data[1], ' FLAGS ($Important \\Flagged \\Seen \\Recent))');
  assert.deepEqual(a('fetch_flags_after').data, ['1 (FLAGS ($Important \\Flagged \\Seen \\Recent))']);
  // .SILENT: no FETCH back, but the flag is set.
  assert.deepEqual(a('store_silent').data, [null]);
  assert.deepEqual(a('fetch_uid2').data, ['2 (UID 2 FLAGS (\\Answered \\Recent))']);

  assert.deepEqual(a('search_or_not').data, ['1']);
  assert.deepEqual(a('search_not_flagged').data, ['2']);
  assert.deepEqual(a('search_uid_set').data, ['2']);
  assert.deepEqual(a('search_dates').data, ['1']);
  assert.deepEqual(a('search_before').data, ['2']);
  assert.deepEqual(a('search_utf8_literal').data, ['1']);
  assert.deepEqual(a('search_keyword').data, ['1']);

  ok('uid_copy');
  assert.match(String((o['copyuid'] as string[])[0]), /^\d+ 1 1$/);
  ok('uid_move');
  // MOVE's COPYUID comes in an untagged OK (RFC 6851).
  assert.match(JSON.stringify(o['move_untagged']), /"\d+ 2 1"/);
  assert.deepEqual(a('after_move').data, ['1']);

  // UID EXPUNGE 4 removes only UID 4 though 3 is \Deleted too; EXPUNGE then removes 3.
  assert.deepEqual(a('uid_expunge').data, [null]);
  assert.deepEqual(a('uids_after_uid_expunge').data, ['1 3']);
  assert.deepEqual(a('expunge').data, ['3', '2'], 'EXPUNGE responses: UID 4 at 3 (UID EXPUNGE), then UID 3 at 2');
  assert.deepEqual(a('uids_after_expunge').data, ['1']);

  assert.equal(o['mutf7'], 'Entw&APw-rfe');
  ok('create_nested');
  ok('create_plain');
  const created = a('list_after_create').data;
  assert.ok(created.includes('(\\HasChildren) "/" "Entw&APw-rfe"'), `CREATE a/b creates a (RFC 3501 6.3.3): ${JSON.stringify(created)}`);
  assert.ok(created.includes('(\\HasNoChildren) "/" "Entw&APw-rfe/2026"'));
  assert.ok(created.includes('(\\HasNoChildren) "/" "Projects"'), 'a trailing delimiter is dropped');
  ok('rename');
  const renamed = a('list_after_rename').data;
  assert.ok(renamed.includes('(\\HasNoChildren) "/" "Entw&APw-rfe alt/2026"'), `RENAME takes the children along: ${JSON.stringify(renamed)}`);
  assert.ok(!renamed.some((l) => String(l).includes('"Entw&APw-rfe"')));
  assert.match(String(a('status_renamed').data[0]), /^"Entw&APw-rfe alt\/2026" \(MESSAGES 0 UIDNEXT 1 UIDVALIDITY \d+ UNSEEN 0\)$/);
  ok('delete_child');
  ok('delete_parent');
  assert.equal(a('delete_missing').typ, 'NO');
  assert.match(String(a('delete_missing').data[0]), /^\[NONEXISTENT\]/);
  assert.ok(!a('list_after_delete').data.some((l) => String(l).includes('Entw')));
  assert.match(String(a('status').data[0]), /^"Archive" \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+ UNSEEN 0\)$/);
  assert.deepEqual(a('namespace').data, ['(("" "/")) NIL NIL']);
  assert.match(JSON.stringify(o['id_untagged']), /\\"name\\" \\"Nymote\\"/);

  // CONDSTORE: a change after HIGHESTMODSEQ is found by CHANGEDSINCE; a STORE with an older
  // UNCHANGEDSINCE is refused for that message with [MODIFIED].
  const h = o['highestmodseq'] as number;
  assert.deepEqual(a('store_answered').data, [`1 (UID 1 FLAGS ($Important \\Answered \\Flagged \\Seen) MODSEQ (${h + 1}))`]);
  assert.deepEqual(a('fetch_changedsince').data, [`1 (UID 1 FLAGS ($Important \\Answered \\Flagged \\Seen) MODSEQ (${h + 1}))`]);
  assert.deepEqual(o['modified'], ['MODIFIED', ['1']]);
  assert.deepEqual(a('fetch_after_unchangedsince').data, ['1 (FLAGS ($Important \\Answered \\Flagged \\Seen))'], '\\Draft was not set');

  // QRESYNC: of UIDs 1:10, 2 to 4 are gone (5 and up were never used or are still there).
  const q = o['select_qresync'] as { typ: string; vanished: string[]; fetch: string[] };
  assert.equal(q.typ, 'OK');
  assert.deepEqual(q.vanished, ['(EARLIER) 2:4']);
  assert.ok(q.fetch.some((f) => f.startsWith('1 (UID 1 FLAGS')), JSON.stringify(q.fetch));

  // IDLE: another connection's APPEND arrives as EXISTS while idling.
  assert.equal(o['idle_continuation'], '+ idling');
  assert.equal(o['idle_untagged'], '* 3 EXISTS');
  assert.match(String((o['idle_end'] as string[]).at(-1)), /^\S+ OK IDLE done$/);
  assert.equal(a('logout').typ, 'BYE');

  // Every change the session made is a commit; nothing it only read is.
  const log = (await m.store.log({ at: 'users/alice', limit: 100 })).entries.map((e) => e.message.trim());
  for (const expected of ['Append “Lunch plans” to INBOX', 'Move 1 message from INBOX to Trash', 'Copy 1 message from INBOX to Archive',
    'Expunge 1 message from INBOX', 'Create mailbox Entwürfe/2026', 'Rename mailbox Entwürfe to Entwürfe alt', 'Mark 1 message in INBOX as \\Seen']) {
    assert.ok(log.includes(expected), `no commit "${expected}" in:\n${log.join('\n')}`);
  }
});
