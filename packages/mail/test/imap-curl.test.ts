// The IMAP server against curl's imap:// (Debian curl): LIST, APPEND (-T), SEARCH, FETCH by UID.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { PASSWORD, message, startMailServer, type MailServer } from './imap-helpers.js';

const CURL = '/usr/bin/curl';
const skip = existsSync(CURL) || process.env['CI'] ? false : `${CURL} is not installed (apt-get install curl)`;

let m: MailServer;
before(async () => { m = await startMailServer(); });
after(async () => { await m.close(); });

async function curl(path: string, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(CURL, ['-sS', '--max-time', '10', '-u', `alice:${PASSWORD}`, ...args, `imap://127.0.0.1:${m.imapPort}/${path}`], { encoding: 'utf8' });
  return stdout;
}

test('curl: list mailboxes, upload with -T, search, fetch by UID', { skip }, async () => {
  const boxes = await curl('');
  assert.match(boxes, /^\* LIST \(\\HasNoChildren\) "\/" "INBOX"\r\n/);
  assert.match(boxes, /\* LIST \(\\HasNoChildren \\Trash\) "\/" "Trash"\r\n/);

  const file = join(m.dir, 'upload.eml');
  writeFileSync(file, message('Uploaded by curl', 'Sent with -T.'));
  await curl('INBOX', '-T', file);
  writeFileSync(file, message('Second upload', 'Another one.'));
  await curl('INBOX', '-T', file);
  const log = (await m.store.log({ at: 'users/alice', limit: 5 })).entries.map((e) => e.message.trim());
  assert.deepEqual(log.slice(0, 2), ['Append “Second upload” to INBOX', 'Append “Uploaded by curl” to INBOX']);

  assert.equal(await curl('INBOX?SUBJECT%20%22second%22'), '* SEARCH 2\r\n');
  assert.equal(await curl('INBOX', '-X', 'UID SEARCH BODY "with -T"'), '* SEARCH 1\r\n');
  // curl prints the literal of the FETCH response: the message as appended, byte for byte.
  assert.equal(await curl('INBOX;UID=2'), message('Second upload', 'Another one.'));
  assert.equal(await curl('INBOX;UID=1;SECTION=HEADER.FIELDS%20(SUBJECT)'), 'Subject: Uploaded by curl\r\n\r\n');
  // A UID that is not there: curl fails rather than printing something.
  await assert.rejects(curl('INBOX;UID=9'));
});
