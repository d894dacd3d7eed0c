// The whole Nymote in the memory target: one process, an in-memory store, connections that are
// pipes, a clock the test moves and seeded randomness. Real protocols and real TLS (the network
// device's, over the pipes), no operating-system network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { Accounts } from '@nymote/accounts';
import { memoryDevices, SeededRandom } from '@nymote/composition';
import { memoryBackend, Store } from '@nymote/store';
import nodemailer from 'nodemailer';
import selfsigned from 'selfsigned';
import { SMTPServer } from 'smtp-server';
import { defaults } from '../src/serve/config.js';
import { startServices } from '../src/serve/services.js';

const PASSWORD = 'correct horse battery';

/** A line-at-a-time IMAP client over any byte stream. */
function imapClient(socket: Duplex) {
  let buffer = '';
  let waiting: (() => void) | undefined;
  // No setEncoding: node's TLS cannot run over a stream that decodes text (STARTTLS).
  const read = (stream: Duplex) => stream.on('data', (d: Buffer) => { buffer += d.toString('utf8'); waiting?.(); });
  read(socket);
  let n = 0;
  const until = async (done: () => boolean) => {
    while (!done()) await new Promise<void>((resolve) => { waiting = resolve; });
  };
  return {
    /** What came without being asked for. */
    pending: () => buffer,
    until: (re: RegExp) => until(() => re.test(buffer)),
    greeting: () => until(() => buffer.includes('\r\n')).then(() => { const g = buffer; buffer = ''; return g; }),
    async run(command: string): Promise<string> {
      const tag = `t${++n}`;
      socket.write(`${tag} ${command}\r\n`);
      await until(() => new RegExp(`^${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`, 'm').test(buffer));
      const out = buffer;
      buffer = '';
      return out;
    },
    /** STARTTLS's second half: TLS on the same connection, the certificate checked against `ca`. */
    async startTls(ca: string): Promise<void> {
      socket.removeAllListeners('data');
      const secure = tlsConnect({ socket, ca, servername: 'localhost' });
      await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
      socket = secure;
      read(secure);
    },
  };
}

/** A request through Node's HTTP client, its connection `connection`; status and body. */
function httpRequest(connection: Duplex, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: 'localhost', method, path, headers, createConnection: () => connection as never }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('memory target: SMTP delivery, IMAP reading and CalDAV, with and without TLS, and mail out through a relay, over in-memory connections, on a clock the test moves', async () => {
  const start = Date.UTC(2026, 10, 26, 9, 0, 0);
  const devices = memoryDevices({ seed: 'composition test', start });
  const store = new Store(memoryBackend(), { author: { name: 'Admin', email: 'admin@example.org' }, clock: () => devices.clock.now() });
  const accounts = new Accounts(store, { cost: { ln: 4, r: 8, p: 1 }, clock: () => devices.clock.now(), loginLimits: { perAddress: 3, windowMs: 60_000 } });
  await accounts.add('alice', PASSWORD);
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec', algorithm: 'sha256', extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] }],
  });
  const tls = { cert: Buffer.from(pems.cert), key: Buffer.from(pems.private) };
  const ca = pems.cert;
  // The world beyond: a relay on the same memory network, which takes everything.
  const relayed: { to: string[]; raw: string }[] = [];
  const relay = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => { relayed.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString() }); cb(); });
    },
  });
  await devices.network.listen(2525, '127.0.0.1', relay.server);
  const config = {
    ...defaults(false), relay: { host: 'relay.example.net', port: 2525 },
    ports: { imap: 143, imaps: 993, smtp: 25, submission: 587, submissions: 465, http: 80, https: 443 },
  };
  const { running, queue, mailstores } = await startServices({ config, store, accounts, devices, tls });
  try {
    assert.deepEqual(running.map((r) => r.url), [
      'imap://127.0.0.1:143', 'imaps://127.0.0.1:993', 'smtp://127.0.0.1:25', 'smtp://127.0.0.1:587', 'smtps://127.0.0.1:465', 'http://127.0.0.1:80', 'https://127.0.0.1:443',
    ]);

    // SMTP, by nodemailer, over a connection of the memory network.
    const mx = nodemailer.createTransport({ host: '127.0.0.1', port: 25, ignoreTLS: true, getSocket: (_o, cb) => cb(null, { connection: devices.network.dial(25) as never }) });
    await mx.sendMail({ from: 'ann@example.net', to: 'alice@localhost', subject: 'In memory', text: 'No sockets were harmed.' });

    // IMAP: the message's INTERNALDATE is the test's clock, not the machine's.
    const imap = imapClient(devices.network.dial(143));
    assert.match(await imap.greeting(), /^\* OK \[CAPABILITY IMAP4rev1 /);
    assert.match(await imap.run(`LOGIN alice "${PASSWORD}"`), /^t1 OK/m);
    assert.match(await imap.run('SELECT INBOX'), /^\* 1 EXISTS\r$/m);
    const fetched = await imap.run('FETCH 1 (INTERNALDATE ENVELOPE)');
    assert.match(fetched, /INTERNALDATE "26-Nov-2026 09:00:00 \+0000"/);
    assert.match(fetched, /"In memory"/);

    // CalDAV through Node's HTTP client, its connection a pipe of the memory network.
    const put = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: 80, method: 'PUT', path: '/dav/calendars/alice/default/m.ics', createConnection: () => devices.network.dial(80) as never,
        headers: { Authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`, 'Content-Type': 'text/calendar' } }, (res) => { res.resume(); resolve(res.statusCode!); });
      req.on('error', reject);
      req.end('BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\nUID:m\r\nDTSTAMP:20261126T090000Z\r\nDTSTART:20261201T100000Z\r\nSUMMARY:Memory\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n');
    });
    assert.equal(put, 201);
    const head = (await store.log({ at: 'users/alice', limit: 1 })).entries[0]!;
    assert.equal(head.message.trim(), 'Add event Memory to calendar Calendar');
    assert.equal(head.author.time * 1000, start, 'commits are dated by the test clock');

    // The login limiter runs on the same clock: three failures shut the address out until it moves on.
    const other = imapClient(devices.network.dial(143, '127.0.0.2'));
    await other.greeting();
    for (let i = 0; i < 3; i++) assert.match(await other.run('LOGIN alice wrong-password'), /NO \[AUTHENTICATIONFAILED\]/);
    assert.match(await other.run(`LOGIN alice "${PASSWORD}"`), /NO \[UNAVAILABLE\] too many failed logins from this address: try again in 60 s/);
    devices.clock.advance(60_000);
    assert.match(await other.run(`LOGIN alice "${PASSWORD}"`), /^t5 OK/m);
    // A client on a non-loopback address may not send a password in clear.
    const remote = imapClient(devices.network.dial(143, '192.0.2.7'));
    assert.match(await remote.greeting(), /LOGINDISABLED/);
    assert.match(await remote.run(`LOGIN alice "${PASSWORD}"`), /NO \[PRIVACYREQUIRED\]/);
    // STARTTLS: the device's TLS on the same pipe; the server still knows the client's address,
    // so the login is taken now, and the connection's idle timeout still runs on the test clock.
    assert.match(await remote.run('STARTTLS'), /^t2 OK/m);
    await remote.startTls(ca);
    assert.doesNotMatch(await remote.run('CAPABILITY'), /LOGINDISABLED|STARTTLS/);
    assert.match(await remote.run(`LOGIN alice "${PASSWORD}"`), /^t4 OK/m);
    // IMAP with TLS from the first byte (993), by the device's connect as a client.
    const imaps = imapClient(await devices.network.connect(993, 'localhost', { tls: { ca } }));
    assert.match(await imaps.greeting(), /^\* OK \[CAPABILITY IMAP4rev1 (?![^\]]*STARTTLS)/);
    assert.match(await imaps.run(`LOGIN alice "${PASSWORD}"`), /^t1 OK/m);
    assert.match(await imaps.run('STATUS INBOX (MESSAGES)'), /MESSAGES 1\)/);

    // HTTPS: the daemon's web server behind the device's TLS; the DAV handler sees an encrypted
    // connection, so a client on another machine may log in.
    const https = tlsConnect({ socket: devices.network.dial(443, '192.0.2.9'), ca, servername: 'localhost' });
    const auth = { Authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}` };
    const propfind = await httpRequest(https, 'PROPFIND', '/dav/calendars/alice/default/', { ...auth, Depth: '1' });
    assert.equal(propfind.status, 207);
    assert.match(propfind.body, /m\.ics/);
    // The same from that machine over plain HTTP is refused: the password would travel in clear.
    const plain = await httpRequest(devices.network.dial(80, '192.0.2.9'), 'PROPFIND', '/dav/calendars/alice/default/', { ...auth, Depth: '1' });
    assert.equal(plain.status, 403);
    assert.match(plain.body, /connect over TLS/);

    // Submission with TLS from the first byte (465), mail for another domain: the outbound queue
    // hands it to the relay through the device's connect.
    const submissions = nodemailer.createTransport({
      host: 'localhost', port: 465, secure: true, auth: { user: 'alice', pass: PASSWORD },
      getSocket: (_o, cb) => { devices.network.connect(465, 'localhost', { tls: { ca } }).then((c) => cb(null, { connection: c as never, secured: true }), cb); },
    });
    await submissions.sendMail({ from: 'alice@localhost', to: 'bob@remote.test', subject: 'Out', text: 'Through the relay.' });
    await queue.runDue();
    assert.equal(relayed.length, 1);
    assert.deepEqual(relayed[0]!.to, ['bob@remote.test']);
    assert.match(relayed[0]!.raw, /with ESMTPSA id /, 'the submission was encrypted and authenticated');
    assert.deepEqual(await queue.list(), []);
    // Submission over STARTTLS (smtp-server's own TLS) from another machine, where a login needs it.
    const starttls = nodemailer.createTransport({
      host: 'localhost', port: 587, requireTLS: true, tls: { ca, servername: 'localhost' }, auth: { user: 'alice', pass: PASSWORD },
      getSocket: (_o, cb) => cb(null, { connection: devices.network.dial(587, '192.0.2.7') as never }),
    });
    await starttls.sendMail({ from: 'alice@localhost', to: 'alice@localhost', subject: 'Self', text: 'Over STARTTLS.' });

    assert.match(await imap.run('LOGOUT'), /^\* BYE/m);
    // An idle connection in TLS is logged out when the test clock passes 30 minutes.
    devices.clock.advance(30 * 60_000 - 1);
    assert.equal(imaps.pending(), '');
    devices.clock.advance(1);
    await imaps.until(/^\* BYE Autologout/m);
  } finally {
    await queue.stop();
    await Promise.all(running.map((r) => r.close()));
    await new Promise<void>((resolve) => relay.close(() => resolve()));
    await mailstores.settle();
  }
  // Seeded randomness repeats.
  assert.deepEqual(new SeededRandom('x').bytes(40), new SeededRandom('x').bytes(40));
  assert.notDeepEqual(new SeededRandom('x').bytes(8), new SeededRandom('y').bytes(8));
});
