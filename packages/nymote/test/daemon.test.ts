// `nymote serve`: the whole daemon in one process, on ports the test picks, over a temporary data directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { cliEnv, freePorts, git, nymote, startServing } from './helpers.js';

const PASSWORD = 'correct horse battery';
const auth = { Authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}` };

async function waitFor(condition: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const event = (uid: string) => `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\nUID:${uid}\r\nDTSTAMP:20261126T100000Z\r\nDTSTART:20261201T100000Z\r\nSUMMARY:Daemon\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;

test('nymote serve: first run makes a certificate and says how to add a user; DAV over HTTPS and mail over SMTP work; SIGTERM stops it; the config file is read, flags win', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nymote-daemon-'));
  const data = join(dir, 'data');
  const env = cliEnv(dir);
  try {
    const [smtp, submission, submissions, http, https, fromFile, imap] = await freePorts(7);
    const args = ['serve', '--data', data, '--imap-port', String(imap), '--imaps-port', '0', '--smtp-port', String(smtp), '--submission-port', String(submission),
      '--submissions-port', String(submissions), '--http-port', String(http), '--https-port', String(https)];
    // IMAP with STARTTLS, checked against the daemon's certificate: the subjects in a user's INBOX.
    const readMail = async (user: string) => {
      const c = new ImapFlow({ host: '127.0.0.1', port: imap, secure: false, doSTARTTLS: true, tls: { ca: readFileSync(join(data, 'tls', 'cert.pem'), 'utf8'), servername: 'localhost' }, auth: { user, pass: PASSWORD }, logger: false });
      await c.connect();
      try {
        await c.mailboxOpen('INBOX');
        const subjects: string[] = [];
        for await (const msg of c.fetch('1:*', { envelope: true })) subjects.push(msg.envelope?.subject ?? '');
        return subjects.sort();
      } finally {
        await c.logout();
      }
    };
    let server = await startServing(args, env, /^nymote: serving localhost from (.*) \(new\)\n(?:.*\n)*No users yet\. Add the first with:\n {2}nymote user add NAME --data (.*)\n/);
    assert.equal(server.banner[1], data);
    const cert = readFileSync(join(data, 'tls', 'cert.pem'), 'utf8');
    try {
      assert.equal((await nymote(['user', 'add', 'alice', '--data', data], { env, input: `${PASSWORD}\n` })).status, 0);
      const put = await new Promise<number>((resolve, reject) => {
        httpsRequest({ host: '127.0.0.1', port: https, method: 'PUT', path: '/dav/calendars/alice/default/d.ics', ca: cert, servername: 'localhost', agent: false, headers: auth },
          (res) => { res.resume(); resolve(res.statusCode!); }).on('error', reject).end(event('daemon-1'));
      });
      assert.equal(put, 201);
      // A contact with curl, over HTTPS checked against the daemon's certificate.
      writeFileSync(join(dir, 'cert.pem'), cert);
      const curl = await new Promise<string>((resolve, reject) => {
        execFile('curl', ['-sS', '--cacert', join(dir, 'cert.pem'), '--resolve', `localhost:${https}:127.0.0.1`, '-u', `alice:${PASSWORD}`, '-T', '-', '-H', 'Content-Type: text/vcard',
          '-o', '/dev/null', '-w', '%{http_code}', `https://localhost:${https}/dav/addressbooks/alice/default/ann.vcf`], (e, out) => (e ? reject(e) : resolve(out)))
          .stdin!.end('BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ann\r\nFN:Ann Example\r\nN:Example;Ann;;;\r\nEND:VCARD\r\n');
      });
      assert.equal(curl, '201');
      const mx = nodemailer.createTransport({ host: '127.0.0.1', port: smtp, secure: false, tls: { ca: cert, servername: 'localhost' } });
      await mx.sendMail({ from: 'ann@example.net', to: 'alice@localhost', subject: 'To the daemon', text: 'Hi.' });
      const sub = nodemailer.createTransport({ host: '127.0.0.1', port: submissions, secure: true, tls: { ca: cert, servername: 'localhost' }, auth: { user: 'alice', pass: PASSWORD } });
      await sub.sendMail({ from: 'alice@localhost', to: 'alice@localhost', subject: 'Note to self', text: 'Over implicit TLS.' });
      assert.equal((await nymote(['user', 'add', 'bob', '--data', data], { env, input: `${PASSWORD}\n` })).status, 0);
      // Alice reads both mails over IMAP, bob none; bob cannot read alice's event over DAV.
      assert.deepEqual(await readMail('alice'), ['Note to self', 'To the daemon']);
      assert.deepEqual(await readMail('bob'), []);
      const bobAuth = { Authorization: `Basic ${Buffer.from(`bob:${PASSWORD}`).toString('base64')}` };
      assert.equal((await fetch(`http://127.0.0.1:${http}/dav/calendars/alice/default/d.ics`, { headers: bobAuth })).status, 403);

      // The store's API, per person: alice reads her branch, bob is refused, and undo works on mail.
      const api = (path: string, who: Record<string, string>, init: RequestInit = {}) => fetch(`http://127.0.0.1:${http}/api${path}`, { ...init, headers: { ...who, ...(init.headers ?? {}) } });
      const mine = await api('/branches/users%2Falice/keys/calendars/default/d.ics', auth);
      assert.equal(mine.status, 200);
      assert.match(await mine.text(), /SUMMARY:Daemon/);
      assert.equal((await api('/branches/users%2Falice/keys/calendars/default/d.ics', bobAuth)).status, 403);
      assert.equal((await api('/branches', bobAuth)).status, 403);
      assert.equal((await api('/branches/users%2Falice/log', {})).status, 401);
      const history = await (await api('/branches/users%2Falice/log?limit=50', auth)).json() as { entries: { id: string; message: string }[] };
      const delivered = history.entries.find((e) => e.message.startsWith('Deliver “To the daemon”'))!;
      assert.ok(delivered, JSON.stringify(history.entries.map((e) => e.message)));
      assert.equal((await api(`/commits/${delivered.id}`, bobAuth)).status, 404, 'bob cannot see alice\'s commits');
      const undone = await api('/undo', auth, { method: 'POST', body: JSON.stringify({ commit: delivered.id }) });
      assert.equal(undone.status, 200, await undone.clone().text());
      assert.equal(((await undone.json()) as { undid: string }).undid, 'Deliver “To the daemon” from ann@example.net to INBOX');
      assert.deepEqual(await readMail('alice'), ['Note to self']);
      const redo = await (await api('/branches/users%2Falice/log?limit=1', auth)).json() as { entries: { id: string }[] };
      assert.equal((await api('/undo', auth, { method: 'POST', body: JSON.stringify({ commit: redo.entries[0]!.id }) })).status, 200);
      assert.deepEqual(await readMail('alice'), ['Note to self', 'To the daemon'], 'undoing the undo brings it back');
      assert.equal((await api('/undo', bobAuth, { method: 'POST', body: JSON.stringify({ commit: delivered.id }) })).status, 404);

      const status = await nymote(['status', '--data', data], { env });
      assert.equal(status.status, 0, status.out + status.err);
      assert.match(status.out, /^running +pid \d+, since \S+, domain localhost$/m);
      assert.match(status.out, new RegExp(`^ +imap +imap://127\\.0\\.0\\.1:${imap}$`, 'm'));
      assert.match(status.out, /^users +alice, bob$/m);
      assert.match(status.out, /^store +[\d.]+ (KiB|MiB) in /m);
      assert.match(status.out, /^last +\S+ +\S+ +[0-9a-f]{12} +\S/m);
    } finally {
      const started = Date.now();
      const code = await server.stop('SIGTERM');
      assert.equal(code, 0, server.stderr());
      assert.ok(Date.now() - started < 5000);
    }
    const stopped = await nymote(['status', '--data', data], { env });
    assert.equal(stopped.status, 3);
    assert.match(stopped.out, /^running +no$/m);
    assert.match(server.stderr(), /serve made a self-signed certificate for localhost/);
    assert.match(server.stderr(), /publish this TXT record: nymote\._domainkey\.localhost "v=DKIM1; k=rsa; p=/);
    const repo = join(data, 'store.git');
    const subjects = git(repo, ['log', '--format=%s', 'users/alice']);
    assert.match(subjects, /^Deliver “Note to self” from alice@localhost to INBOX$/m);
    assert.match(subjects, /^Deliver “To the daemon” from ann@example\.net to INBOX$/m);
    assert.match(subjects, /^Add event Daemon to calendar Calendar$/m);

    // Restarted with a config file: its domain is used, the flag's port still wins over the file's.
    writeFileSync(join(data, 'nymote.toml'), `domain = "example.org"\nlog_format = "json"\n[ports]\nhttp = ${fromFile}\nimap = ${imap}\nimaps = 0\nsmtp = 0\nsubmission = 0\nsubmissions = 0\nhttps = 0\n`);
    server = await startServing(['serve', '--data', data, '--http-port', String(http)], env, /^nymote: serving example\.org from (.*)\n {2}imap +\S+\n {2}http +(http:\/\/\S+)\n/);
    try {
      assert.equal(server.banner[2], `http://127.0.0.1:${http}`);
      const r = await fetch(`http://127.0.0.1:${http}/dav/calendars/alice/default/d.ics`, { headers: auth });
      assert.equal(r.status, 200, 'the event survived the restart');
      assert.match(await (await fetch(`http://127.0.0.1:${http}/dav/addressbooks/alice/default/ann.vcf`, { headers: auth })).text(), /FN:Ann Example/, 'so did the contact');
      assert.deepEqual(await readMail('alice'), ['Note to self', 'To the daemon'], 'and the mail');
      // Bob: his own empty INBOX over IMAP, alice's contact refused over DAV.
      assert.deepEqual(await readMail('bob'), []);
      const bobAuth = { Authorization: `Basic ${Buffer.from(`bob:${PASSWORD}`).toString('base64')}` };
      assert.equal((await fetch(`http://127.0.0.1:${http}/dav/addressbooks/alice/default/ann.vcf`, { headers: bobAuth })).status, 403);
      // SIGHUP reads the file again: a broken one is reported and changes nothing, a good one is applied.
      writeFileSync(join(data, 'nymote.toml'), 'domain = [\n');
      server.process.kill('SIGHUP');
      await waitFor(() => /not reloaded: .*nymote\.toml/.test(server.stderr()));
      writeFileSync(join(data, 'nymote.toml'), `domain = "example.org"\nlog_format = "json"\n[ports]\nimap = 0\nimaps = 0\nsmtp = ${smtp}\nsubmission = 0\nsubmissions = 0\nhttps = 0\n`);
      server.process.kill('SIGHUP');
      await waitFor(() => /"message":"reloaded"/.test(server.stderr()));
      const mx = nodemailer.createTransport({ host: '127.0.0.1', port: smtp, secure: false, ignoreTLS: true });
      await mx.sendMail({ from: 'ann@example.net', to: 'alice@example.org', subject: 'After reload', text: 'Hi.' });
      assert.equal((await fetch(`http://127.0.0.1:${http}/dav/calendars/alice/default/d.ics`, { headers: auth })).status, 200);
    } finally {
      assert.equal(await server.stop('SIGTERM'), 0);
    }
    const lines = server.stderr().trim().split('\n');
    assert.ok(lines.every((l) => { const o = JSON.parse(l) as { time?: string; service?: string }; return o.time && o.service; }), server.stderr());

    writeFileSync(join(data, 'nymote.toml'), 'domain = 42\n');
    const bad = await nymote(['serve', '--data', data], { env });
    assert.equal(bad.status, 1);
    assert.match(bad.err, /nymote\.toml: domain must be a string/);
    writeFileSync(join(data, 'nymote.toml'), '[ports]\nimap = "x"\n');
    assert.match((await nymote(['serve', '--data', data], { env })).err, /ports\.imap must be a port number/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
