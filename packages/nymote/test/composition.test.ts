// The whole Nymote in the memory target: one process, an in-memory store, connections that are
// pipes, a clock the test moves and seeded randomness. Real protocols, no operating-system network.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import { Accounts } from '@nymote/accounts';
import { memoryDevices, SeededRandom } from '@nymote/composition';
import { memoryBackend, Store } from '@nymote/store';
import nodemailer from 'nodemailer';
import { defaults } from '../src/serve/config.js';
import { startServices } from '../src/serve/services.js';

const PASSWORD = 'correct horse battery';

/** A line-at-a-time IMAP client over any byte stream. */
function imapClient(socket: Duplex) {
  let buffer = '';
  let waiting: (() => void) | undefined;
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => { buffer += d; waiting?.(); });
  let n = 0;
  const until = async (done: () => boolean) => {
    while (!done()) await new Promise<void>((resolve) => { waiting = resolve; });
  };
  return {
    greeting: () => until(() => buffer.includes('\r\n')).then(() => { const g = buffer; buffer = ''; return g; }),
    async run(command: string): Promise<string> {
      const tag = `t${++n}`;
      socket.write(`${tag} ${command}\r\n`);
      await until(() => new RegExp(`^${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`, 'm').test(buffer));
      const out = buffer;
      buffer = '';
      return out;
    },
  };
}

test('memory target: SMTP delivery, IMAP reading and CalDAV over in-memory connections, on a clock the test moves', async () => {
  const start = Date.UTC(2026, 10, 26, 9, 0, 0);
  const devices = memoryDevices({ seed: 'composition test', start });
  const store = new Store(memoryBackend(), { author: { name: 'Admin', email: 'admin@example.org' }, clock: () => devices.clock.now() });
  const accounts = new Accounts(store, { cost: { ln: 4, r: 8, p: 1 }, clock: () => devices.clock.now(), loginLimits: { perAddress: 3, windowMs: 60_000 } });
  await accounts.add('alice', PASSWORD);
  const config = { ...defaults(false), ports: { imap: 143, imaps: 0, smtp: 25, submission: 587, submissions: 0, http: 80, https: 0 } };
  const { running, queue, mailstores } = await startServices({ config, store, accounts, devices });
  try {
    assert.deepEqual(running.map((r) => r.url), ['imap://127.0.0.1:143', 'smtp://127.0.0.1:25', 'smtp://127.0.0.1:587', 'http://127.0.0.1:80']);

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
    assert.match(await imap.run('LOGOUT'), /^\* BYE/m);
  } finally {
    await queue.stop();
    await Promise.all(running.map((r) => r.close()));
    await mailstores.settle();
  }
  // Seeded randomness repeats.
  assert.deepEqual(new SeededRandom('x').bytes(40), new SeededRandom('x').bytes(40));
  assert.notDeepEqual(new SeededRandom('x').bytes(8), new SeededRandom('y').bytes(8));
});
