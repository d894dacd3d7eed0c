// SMTP: the MX side and the submission side, driven by nodemailer (and swaks when installed) over 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Accounts } from '@nymote/accounts';
import type { Store } from '@nymote/store';
import { openStore } from '@nymote/store/node';
import nodemailer from 'nodemailer';
import selfsigned from 'selfsigned';
import type { SMTPServer } from 'smtp-server';
import { Mailstores, createInboundServer, createSubmissionServer } from '../src/index.js';

const PASSWORD = 'correct horse battery';
const DOMAIN = 'example.org';
const noDns = async () => { throw Object.assign(new Error('no DNS in tests'), { code: 'ENOTFOUND' }); };

let dir: string;
let store: Store;
let mailstores: Mailstores;
let accounts: Accounts;
const servers: SMTPServer[] = [];
let mx: number;
let submission: number;
let tlsSubmission: number;
let cert: string;

async function listen(server: SMTPServer): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.server.address() as AddressInfo).port;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nymote-smtp-'));
  store = await openStore(join(dir, 'store.git'), { create: true, author: { name: 'Admin', email: 'admin@example.org' } });
  accounts = new Accounts(store, { cost: { ln: 4, r: 8, p: 1 } });
  await accounts.add('alice', PASSWORD);
  await accounts.add('bob', PASSWORD);
  mailstores = new Mailstores(store);
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha256' });
  cert = pems.cert;
  const base = { accounts, mailstores, domain: DOMAIN };
  mx = await listen(createInboundServer({ ...base, maxMessageBytes: 100_000, authentication: { resolver: noDns, checkLoopback: true } }));
  submission = await listen(createSubmissionServer(base));
  tlsSubmission = await listen(createSubmissionServer({ ...base, tls: { cert: pems.cert, key: pems.private } }));
});

after(async () => {
  for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const inbox = async (user: string) => {
  const m = mailstores.of(user);
  const v = await m.view('INBOX');
  return Promise.all(v.uids.map(async (uid) => Buffer.from(await m.message(v.get(uid)!.blob!)).toString('utf8')));
};

test('MX: mail for a local user lands in INBOX with trace and authentication headers, as one commit', async () => {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: mx, secure: false, ignoreTLS: true, name: 'mail.sender.test' });
  const info = await t.sendMail({ from: 'Carol <carol@sender.test>', to: 'Alice@Example.org', subject: 'Lunch?', text: 'At noon.' });
  assert.equal(info.accepted.length, 1);
  const [msg] = await inbox('alice');
  assert.ok(msg, 'delivered');
  assert.match(msg!, /^Received-SPF: /m);
  assert.match(msg!, /^Authentication-Results: example\.org;/m);
  assert.match(msg!, /^Received: from mail\.sender\.test \(\[127\.0\.0\.1\]\)\r\n\tby example\.org \(Nymote\) with ESMTP id /m);
  assert.match(msg!, /^Subject: Lunch\?\r$/m);
  assert.match(msg!, /At noon\./);
  const head = (await store.log({ at: 'users/alice', limit: 1 })).entries[0]!;
  assert.equal(head.message.trim(), 'Deliver “Lunch?” from carol@sender.test to INBOX');
});

test('MX: no open relay, no unknown users, no oversized mail; nothing stored', async () => {
  const before = await store.head('users/alice');
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: mx, secure: false, ignoreTLS: true });
  await assert.rejects(t.sendMail({ from: 'x@sender.test', to: 'someone@elsewhere.test', subject: 'relay', text: 'x' }),
    (e: Error & { responseCode?: number }) => e.responseCode === 550 && /relaying denied/.test(e.message));
  await assert.rejects(t.sendMail({ from: 'x@sender.test', to: 'nobody@example.org', subject: 'who', text: 'x' }),
    (e: Error & { responseCode?: number }) => e.responseCode === 550 && /no such user/.test(e.message));
  await assert.rejects(t.sendMail({ from: 'x@sender.test', to: 'alice@example.org', subject: 'big', text: 'x'.repeat(200_000) }),
    (e: Error & { responseCode?: number }) => e.responseCode === 552);
  assert.equal(await store.head('users/alice'), before);
});

test('submission: login required, own address only, local delivery to another user', async () => {
  const anon = nodemailer.createTransport({ host: '127.0.0.1', port: submission, secure: false, ignoreTLS: true });
  await assert.rejects(anon.sendMail({ from: 'alice@example.org', to: 'bob@example.org', subject: 'x', text: 'x' }), (e: Error & { responseCode?: number }) => e.responseCode === 530);
  const wrong = nodemailer.createTransport({ host: '127.0.0.1', port: submission, secure: false, ignoreTLS: true, auth: { user: 'alice', pass: 'nope nope nope' } });
  await assert.rejects(wrong.sendMail({ from: 'alice@example.org', to: 'bob@example.org', subject: 'x', text: 'x' }), (e: Error & { responseCode?: number }) => e.responseCode === 535);
  const alice = nodemailer.createTransport({ host: '127.0.0.1', port: submission, secure: false, ignoreTLS: true, auth: { user: 'alice@example.org', pass: PASSWORD } });
  await assert.rejects(alice.sendMail({ from: 'bob@example.org', to: 'bob@example.org', subject: 'spoof', text: 'x' }), (e: Error & { responseCode?: number }) => e.responseCode === 553);
  await assert.rejects(alice.sendMail({ from: 'alice@example.org', to: 'someone@elsewhere.test', subject: 'out', text: 'x' }), (e: Error & { responseCode?: number }) => e.responseCode === 550);
  await alice.sendMail({ from: 'alice@example.org', to: 'bob+news@example.org', subject: 'Hello Bob', text: 'Hi.' });
  const bobs = await inbox('bob');
  assert.equal(bobs.length, 1);
  assert.match(bobs[0]!, /with ESMTPA id /);
  assert.match(bobs[0]!, /^Subject: Hello Bob\r$/m);
});

test('submission over STARTTLS, checked against the certificate', async () => {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: tlsSubmission, secure: false, requireTLS: true, tls: { ca: cert, servername: 'localhost' }, auth: { user: 'bob', pass: PASSWORD } });
  await t.sendMail({ from: 'bob@example.org', to: 'alice@example.org', subject: 'Over TLS', text: 'Secret.' });
  const msgs = await inbox('alice');
  assert.match(msgs.at(-1)!, /with ESMTPSA id /);
});

test('swaks delivers to the MX', { skip: existsSync('/usr/bin/swaks') || process.env['CI'] ? false : 'swaks is not installed (apt-get install swaks)' }, async () => {
  const { stdout } = await promisify(execFile)('/usr/bin/swaks', ['--server', '127.0.0.1', '--port', String(mx), '--from', 'dave@sender.test', '--to', 'bob@example.org', '--header', 'Subject: From swaks', '--body', 'Swaks was here.', '--helo', 'swaks.test'], { timeout: 20_000 });
  assert.match(stdout, /250 2\.0\.0 Delivered to bob/);
  const msgs = await inbox('bob');
  assert.match(msgs.at(-1)!, /^Subject: From swaks\r$/m);
  assert.match(msgs.at(-1)!, /Swaks was here\./);
});
