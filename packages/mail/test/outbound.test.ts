// The outbound queue: submission hands remote mail to it; it signs with DKIM, sends to a next hop on
// 127.0.0.1 (a second SMTP server standing in for the world), retries 4xx, bounces 5xx and old mail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Accounts } from '@nymote/accounts';
import { nodeDevices } from '@nymote/composition';
import { openStore } from '@nymote/store/node';
import { dkimVerify } from 'mailauth';
import nodemailer from 'nodemailer';
import selfsigned from 'selfsigned';
import { SMTPServer } from 'smtp-server';
import { LocalDelivery, Mailstores, OutboundQueue, QUEUE_BRANCH, createSubmissionServer } from '../src/index.js';

const PASSWORD = 'correct horse battery';

test('outbound: DKIM-signed delivery to the next hop, retry after 4xx, bounce on 5xx and when too old', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nymote-outbound-'));
  const received: { to: string[]; raw: Buffer }[] = [];
  let laterAccepted = false;
  // The far side: accepts ok@, refuses nobody@ for good, and later@ / never@ for now.
  const far = new SMTPServer({
    authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false,
    onRcptTo(address, _s, cb) {
      if (address.address === 'nobody@remote.test') return cb(Object.assign(new Error('5.1.1 no such user'), { responseCode: 550 }));
      if (address.address === 'never@remote.test' || (address.address === 'later@remote.test' && !laterAccepted)) {
        return cb(Object.assign(new Error('4.2.1 try again later'), { responseCode: 451 }));
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => far.listen(0, '127.0.0.1', resolve));
  const farPort = (far.server.address() as AddressInfo).port;

  const store = await openStore(join(dir, 'store.git'), { create: true, author: { name: 'Admin', email: 'admin@example.org' } });
  const accounts = new Accounts(store, { cost: { ln: 4, r: 8, p: 1 } });
  await accounts.add('alice', PASSWORD);
  const mailstores = new Mailstores(store);
  const delivery = new LocalDelivery({ accounts, mailstores, domain: 'example.org' });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let now = Date.UTC(2026, 10, 26, 12);
  const queue = new OutboundQueue({
    store, network: nodeDevices().network, delivery, hostname: 'mail.example.org', nextHop: { host: '127.0.0.1', port: farPort },
    dkim: { selector: 'nymote', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string },
    retryDelaysMs: [60_000], maxAgeMs: 3_600_000, clock: () => now,
  });
  const submission = createSubmissionServer({ accounts, mailstores, domain: 'example.org', outbound: (m) => queue.enqueue(m).then(() => undefined) });
  await new Promise<void>((resolve) => submission.listen(0, '127.0.0.1', resolve));
  try {
    const client = nodemailer.createTransport({ host: '127.0.0.1', port: (submission.server.address() as AddressInfo).port, secure: false, ignoreTLS: true, auth: { user: 'alice', pass: PASSWORD } });
    await client.sendMail({ from: 'alice@example.org', to: ['ok@remote.test', 'nobody@remote.test', 'later@remote.test', 'never@remote.test'], subject: 'Hello world', text: 'Out there.' });
    await queue.runDue(); // the attempt enqueue started, if still running

    assert.equal(received.length, 1);
    assert.deepEqual(received[0]!.to, ['ok@remote.test']);
    // The signature verifies against the public key published (here: answered) for nymote._domainkey.example.org.
    const txt = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
    const verified = await dkimVerify(received[0]!.raw, { resolver: async (name: string, type: string) => {
      if (name === 'nymote._domainkey.example.org' && type === 'TXT') return [[txt]];
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    } });
    assert.equal(verified.results[0]?.status.result, 'pass', JSON.stringify(verified.results[0]?.status));

    // nobody@ bounced at once: a delivery status notification in alice's INBOX.
    const inbox = await mailstores.of('alice').view('INBOX');
    assert.equal(inbox.exists, 1);
    const dsn = Buffer.from(await mailstores.of('alice').message(inbox.at(1)!.blob!)).toString();
    assert.match(dsn, /^Content-Type: multipart\/report; report-type=delivery-status;/m);
    assert.match(dsn, /^Final-Recipient: rfc822; nobody@remote\.test\r\nAction: failed\r\nStatus: 5\.1\.1\r\n/m);
    assert.match(dsn, /^Subject: Hello world\r$/m, 'the original headers come back');

    let [state] = await queue.list();
    assert.deepEqual(state!.to.map((r) => [r.address, r.status]), [['ok@remote.test', 'delivered'], ['nobody@remote.test', 'bounced'], ['later@remote.test', 'pending'], ['never@remote.test', 'pending']]);
    assert.equal(await queue.runDue(), 0, 'not due yet');
    laterAccepted = true;
    now += 60_000;
    assert.equal(await queue.runDue(), 1);
    assert.equal(received.length, 2);
    assert.deepEqual(received[1]!.to, ['later@remote.test']);
    [state] = await queue.list();
    assert.equal(state!.attempts, 2);
    now += 3_600_000; // never@ is now too old: bounced, and the queue is empty
    await queue.runDue();
    assert.deepEqual(await queue.list(), []);
    assert.equal((await mailstores.of('alice').view('INBOX')).exists, 2);
    const log = (await store.log({ at: QUEUE_BRANCH })).entries.map((e) => e.message.trim());
    assert.match(log[0]!, /^“Hello world” \(attempt 3\): bounced for never@remote\.test$/);
    assert.match(log.at(-1)!, /^Queue “Hello world” from alice@example\.org to ok@remote\.test, nobody@remote\.test, later@remote\.test, never@remote\.test$/);
  } finally {
    await queue.stop();
    await new Promise<void>((resolve) => submission.close(() => resolve()));
    await new Promise<void>((resolve) => far.close(() => resolve()));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('outbound: the connection to the next hop is the network device\'s, with STARTTLS or TLS from the first byte', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nymote-outbound-tls-'));
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec', algorithm: 'sha256', extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] }],
  });
  const network = nodeDevices().network;
  const connected: number[] = [];
  const counting = { connect: (...a: Parameters<typeof network.connect>) => { connected.push(a[0]); return network.connect(...a); } };
  const received: { to: string; secure: boolean }[] = [];
  const far = (secure: boolean) => new SMTPServer({
    secure, key: pems.private, cert: pems.cert, authOptional: true, disabledCommands: ['AUTH'], logger: false,
    onData(stream, session, cb) {
      stream.resume().on('end', () => { received.push({ to: session.envelope.rcptTo[0]!.address, secure: session.secure }); cb(); });
    },
  });
  const starttls = far(false);
  const implicit = far(true);
  const listen = async (s: SMTPServer) => { await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve)); return (s.server.address() as AddressInfo).port; };
  const starttlsPort = await listen(starttls);
  const implicitPort = await listen(implicit);
  const store = await openStore(join(dir, 'store.git'), { create: true, author: { name: 'Admin', email: 'admin@example.org' } });
  const accounts = new Accounts(store, { cost: { ln: 4, r: 8, p: 1 } });
  const delivery = new LocalDelivery({ accounts, mailstores: new Mailstores(store), domain: 'example.org' });
  const tls = { ca: pems.cert, servername: 'localhost' };
  const queueTo = (port: number, secure: boolean) => new OutboundQueue({ store, network: counting, delivery, hostname: 'mail.example.org', nextHop: { host: '127.0.0.1', port, secure, tls } });
  const raw = Buffer.from('From: alice@example.org\r\nTo: x@remote.test\r\nSubject: TLS\r\n\r\nOver TLS.\r\n');
  try {
    for (const [port, secure] of [[starttlsPort, false], [implicitPort, true]] as const) {
      const queue = queueTo(port, secure);
      await queue.enqueue({ raw, from: 'alice@example.org', to: [`${secure ? 'implicit' : 'starttls'}@remote.test`], user: 'alice' });
      await queue.runDue();
      await queue.stop();
    }
    assert.deepEqual(connected, [starttlsPort, implicitPort]);
    assert.deepEqual(received, [{ to: 'starttls@remote.test', secure: true }, { to: 'implicit@remote.test', secure: true }]);
    assert.deepEqual(await queueTo(starttlsPort, false).list(), []);
  } finally {
    await new Promise<void>((resolve) => starttls.close(() => resolve()));
    await new Promise<void>((resolve) => implicit.close(() => resolve()));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
