// The IMAP server against mbsync (Debian isync), syncing both ways with a local Maildir: what the
// server has arrives locally with its flags, and local new mail, flag changes and deletions land on
// the server as commits. mbsync's config and state live in a temporary HOME.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { PASSWORD, message, startMailServer, type MailServer } from './imap-helpers.js';

const MBSYNC = '/usr/bin/mbsync';
const skip = existsSync(MBSYNC) || process.env['CI'] ? false : `${MBSYNC} is not installed (apt-get install isync)`;

let m: MailServer;
before(async () => { m = await startMailServer(); });
after(async () => { await m.close(); });

/** mbsync keeps Maildir files with LF line ends and marks the messages it carries with X-TUID. */
const plain = (text: string) => text.replace(/\r\n/g, '\n').replace(/^X-TUID: .*\n/m, '');

interface Local { file: string; dir: 'new' | 'cur'; flags: string; text: string }

/** The messages of a Maildir folder, with the flags of their file names (":2,FS"), by subject. */
function maildir(folder: string): Map<string, Local> {
  const out = new Map<string, Local>();
  for (const dir of ['new', 'cur'] as const) {
    for (const name of readdirSync(join(folder, dir))) {
      const text = readFileSync(join(folder, dir, name), 'latin1');
      const subject = /^Subject: (.*)$/m.exec(text)?.[1]?.trim() ?? '';
      out.set(subject, { file: join(folder, dir, name), dir, flags: /:2,([A-Z]*)$/.exec(name)?.[1] ?? '', text });
    }
  }
  return out;
}

test('mbsync: a Maildir synced both ways with the server over plain-text LOGIN on loopback', { skip, timeout: 30_000 }, async () => {
  const alice = m.mailstores.of('alice');
  await alice.ensureDefaults();
  await alice.append('INBOX', new TextEncoder().encode(message('Read already')), { flags: ['\\Seen'] });
  await alice.append('INBOX', new TextEncoder().encode(message('Important')), { flags: ['\\Flagged'] });
  await alice.append('INBOX', new TextEncoder().encode(message('To delete')), { flags: ['\\Seen'] });
  await alice.append('INBOX', new TextEncoder().encode(message('Unread')));
  await alice.append('Archive', new TextEncoder().encode(message('Old news')), { flags: ['\\Seen', '\\Answered'] });

  const home = join(m.dir, 'home');
  const mail = join(m.dir, 'Mail');
  mkdirSync(home);
  mkdirSync(mail);
  const config = join(home, '.mbsyncrc');
  writeFileSync(config, [
    'IMAPAccount nymote', 'Host 127.0.0.1', `Port ${m.imapPort}`, 'User alice', `Pass "${PASSWORD}"`, 'SSLType None', 'AuthMechs LOGIN', '',
    'IMAPStore far', 'Account nymote', '',
    'MaildirStore near', `Path ${mail}/`, `Inbox ${mail}/INBOX`, 'SubFolders Verbatim', '',
    'Channel both', 'Far :far:', 'Near :near:', 'Patterns INBOX Archive', 'Create Both', 'Expunge Both', 'SyncState *', 'Sync All', '',
  ].join('\n'));
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_STATE_HOME: join(home, '.state') };
  const sync = async () => {
    try {
      return await promisify(execFile)(MBSYNC, ['-c', config, 'both'], { env, timeout: 15_000 });
    } catch (e) {
      const x = e as { stdout?: string; stderr?: string; message: string };
      throw new Error(`mbsync failed: ${x.message}\n${x.stdout ?? ''}\n${x.stderr ?? ''}`);
    }
  };

  // Server to local: every message, byte for byte, with its flags.
  const first = await sync();
  assert.match(first.stderr, /Password is being sent in the clear/, 'mbsync logged in without TLS, over loopback');
  let inbox = maildir(join(mail, 'INBOX'));
  assert.deepEqual([...inbox.keys()].sort(), ['Important', 'Read already', 'To delete', 'Unread']);
  assert.equal(inbox.get('Read already')!.flags, 'S');
  assert.equal(inbox.get('Important')!.flags, 'F');
  assert.equal(inbox.get('Unread')!.flags, '');
  assert.equal(plain(inbox.get('Unread')!.text), plain(message('Unread')));
  const archive = maildir(join(mail, 'Archive'));
  assert.equal(archive.get('Old news')!.flags, 'RS');

  // Local to server: a new message, a flag change, a deletion.
  const headOnServer = await m.store.head('users/alice');
  writeFileSync(join(mail, 'INBOX', 'new', '1800000000.local1.example'), message('Written offline', 'Typed on a train.'));
  const unread = inbox.get('Unread')!;
  renameSync(unread.file, join(mail, 'INBOX', 'cur', `${unread.file.split('/').pop()!.replace(/:2,.*$/, '')}:2,FS`));
  rmSync(inbox.get('To delete')!.file);
  await sync();
  const view = await alice.view('INBOX');
  const bySubject = new Map<string, string[]>();
  for (const e of view.messages()) {
    const text = new TextDecoder().decode(await alice.message(e.blob!));
    bySubject.set(/^Subject: (.*)\r$/m.exec(text)![1]!, e.flags);
  }
  assert.deepEqual([...bySubject.keys()].sort(), ['Important', 'Read already', 'Unread', 'Written offline']);
  assert.deepEqual(bySubject.get('Unread'), ['\\Flagged', '\\Seen']);
  assert.deepEqual(bySubject.get('Written offline'), []);
  const written = [...view.messages()].find((e) => bySubject.get('Written offline') === e.flags)!;
  const stored = new TextDecoder().decode(await alice.message(written.blob!));
  assert.equal(plain(stored), plain(message('Written offline', 'Typed on a train.')));
  assert.ok(!/[^\r]\n/.test(stored), 'stored with CRLF line ends');
  const commits = (await m.store.log({ at: 'users/alice', limit: 20 })).entries;
  const since = commits.slice(0, commits.findIndex((c) => c.id === headOnServer)).map((c) => c.message.trim());
  assert.ok(since.includes('Append “Written offline” to INBOX'), since.join('\n'));
  assert.ok(since.includes('Expunge 1 message from INBOX'), since.join('\n'));
  assert.ok(since.some((s) => /^Mark 1 message in INBOX as (\\Flagged \\Seen|\\Seen \\Flagged|\\Flagged)$/.test(s)), since.join('\n'));

  // A change on the server comes down; a sync with nothing to do commits nothing.
  const important = [...view.messages()].find((e) => e.flags.includes('\\Flagged') && !e.flags.includes('\\Seen'))!;
  await alice.setFlags('INBOX', [important.uid], 'add', ['\\Seen']);
  const before = await m.store.head('users/alice');
  await sync();
  inbox = maildir(join(mail, 'INBOX'));
  assert.equal(inbox.get('Important')!.flags, 'FS');
  assert.ok(!inbox.has('To delete'));
  await sync();
  assert.equal(await m.store.head('users/alice'), before, 'syncing again changed nothing on the server');
});
