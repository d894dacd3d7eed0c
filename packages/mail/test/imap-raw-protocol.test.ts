// The IMAP server on the wire: what it answers to malformed and out-of-state commands, huge literal
// announcements, a client that leaves mid-APPEND, plain-text logins from elsewhere, and STARTTLS.
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { after, before, test } from 'node:test';
import { memoryDevices } from '@nymote/composition';
import selfsigned from 'selfsigned';
import { BranchWatch } from '../src/imap/branch-watch.js';
import { Connection } from '../src/imap/connection.js';
import { defaultReaderLimits } from '../src/imap/protocol/index.js';
import { PASSWORD, startMailServer, type MailServer } from './imap-helpers.js';
import { RawClient } from './imap-raw-client.js';

let m: MailServer;
let tls: { cert: string; key: string };
before(async () => {
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', algorithm: 'sha256' });
  tls = { cert: pems.cert, key: pems.private };
  m = await startMailServer(['alice', 'bob'], { tls });
});
after(async () => { await m.close(); });

async function loggedIn(user = 'alice'): Promise<RawClient> {
  const c = await RawClient.connect(m.imapPort);
  assert.match(await c.line(), /^\* OK /);
  assert.match((await c.command('l', `LOGIN ${user} "${PASSWORD}"`)).tagged, /^l OK /);
  return c;
}

test('a malformed command gets "tag BAD reason" and the session goes on', async () => {
  const c = await loggedIn();
  try {
    assert.match((await c.command('a1', 'FETCH')).tagged, /^a1 BAD \S.*/);
    assert.match((await c.command('a2', 'FROBNICATE INBOX')).tagged, /^a2 BAD .*FROBNICATE/i);
    assert.match((await c.command('a3', 'SELECT "INBOX')).tagged, /^a3 BAD /);
    assert.match((await c.command('a4', 'STORE 1 +FLAGS (\\Recent)')).tagged, /^a4 BAD /);
    assert.match((await c.command('a5', 'SEARCH (OR SEEN)')).tagged, /^a5 BAD /);
    // No tag at all: an untagged BAD.
    c.write('\r\n)\r\n');
    assert.match(await c.line(), /^\* BAD /);
    const select = await c.command('a6', 'SELECT INBOX');
    assert.match(select.tagged, /^a6 OK \[READ-WRITE\]/);
    assert.ok(select.untagged.includes('* 0 EXISTS'), select.untagged.join('\n'));
    // A sequence number past the end of an empty mailbox.
    assert.match((await c.command('a7', 'FETCH 5 FLAGS')).tagged, /^a7 BAD /);
    assert.match((await c.command('a8', 'NOOP')).tagged, /^a8 OK /);
  } finally {
    c.close();
  }
});

test('a command in the wrong state gets BAD', async () => {
  const c = await RawClient.connect(m.imapPort);
  try {
    await c.line();
    assert.match((await c.command('b1', 'SELECT INBOX')).tagged, /^b1 BAD .*log in first/);
    assert.match((await c.command('b2', 'FETCH 1 FLAGS')).tagged, /^b2 BAD /);
    assert.match((await c.command('b3', `LOGIN alice "${PASSWORD}"`)).tagged, /^b3 OK /);
    assert.match((await c.command('b4', `LOGIN alice "${PASSWORD}"`)).tagged, /^b4 BAD .*already logged in/);
    assert.match((await c.command('b5', 'FETCH 1 FLAGS')).tagged, /^b5 BAD .*select a mailbox first/);
    assert.match((await c.command('b6', 'EXPUNGE')).tagged, /^b6 BAD /);
    assert.match((await c.command('b7', 'STARTTLS')).tagged, /^b7 BAD /);
    assert.match((await c.command('b8', 'CAPABILITY')).tagged, /^b8 OK /);
  } finally {
    c.close();
  }
});

test('a 1 GB literal announcement is refused at once, without reading it or growing', async () => {
  const c = await loggedIn();
  try {
    const head = await m.store.head('users/alice');
    global.gc?.();
    const before = process.memoryUsage();
    c.write('g1 APPEND INBOX {1073741824}\r\n');
    const answer = await c.line();
    assert.match(answer, /^g1 NO \[TOOBIG\] /, 'no "+" continuation: the client must not send the data');
    assert.match((await c.command('g2', 'NOOP')).tagged, /^g2 OK /);
    // A literal too big for a non-APPEND command, too.
    c.write('g3 LOGIN {1073741824}\r\n');
    assert.match(await c.line(), /^g3 (NO|BAD) \[TOOBIG\] /);
    const grown = process.memoryUsage().rss - before.rss;
    assert.ok(grown < 32 * 1024 * 1024, `rss grew by ${grown} bytes`);
    assert.equal(await m.store.head('users/alice'), head);
  } finally {
    c.close();
  }
});

test('a client that disconnects in the middle of an APPEND leaves no commit and no message', async () => {
  const c = await loggedIn('bob');
  const head = await m.store.head('users/bob');
  c.write('h1 APPEND INBOX {1000}\r\n');
  assert.match(await c.line(), /^\+ /);
  c.write(`Subject: cut short\r\n\r\n${'x'.repeat(400)}`);
  await new Promise((r) => setTimeout(r, 100));
  c.close();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await m.store.head('users/bob'), head);
  const d = await loggedIn('bob');
  try {
    const status = await d.command('h2', 'STATUS INBOX (MESSAGES UIDNEXT)');
    assert.deepEqual(status.untagged, ['* STATUS "INBOX" (MESSAGES 0 UIDNEXT 1)']);
  } finally {
    d.close();
  }
});

/** Two connected duplex streams: what is written to one is read from the other. */
function duplexPair(): [Duplex, Duplex] {
  const make = (peer: () => Duplex) => new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) { peer().push(chunk); done(); },
    final(done) { peer().push(null); done(); },
  });
  let a: Duplex, b: Duplex; // eslint-disable-line prefer-const
  a = make(() => b);
  b = make(() => a);
  return [a, b];
}

test('from a non-loopback address, plain-text logins are refused with LOGINDISABLED until STARTTLS', async () => {
  const [serverSide, clientSide] = duplexPair();
  // The connection sees a client on the internet: the stream claims a remote address.
  Object.defineProperty(serverSide, 'remoteAddress', { value: '203.0.113.7' });
  const watch = new BranchWatch(m.store);
  const services = {
    accounts: m.accounts, mailstores: m.mailstores, watch, domain: 'example.org', appendLimit: defaultReaderLimits.maxAppendSize,
    tlsAvailable: true, clock: Date.now,
  };
  new Connection(serverSide, { services, tls: memoryDevices().network.serverTls(tls) });
  const c = new RawClient(clientSide);
  try {
    const greeting = await c.line();
    assert.match(greeting, /^\* OK \[CAPABILITY [^\]]*\bLOGINDISABLED\b/);
    assert.match(greeting, /\bSTARTTLS\b/);
    assert.doesNotMatch(greeting, /AUTH=PLAIN/);
    const login = await c.command('p1', `LOGIN alice "${PASSWORD}"`);
    assert.match(login.tagged, /^p1 NO \[PRIVACYREQUIRED\] /);
    const auth = await c.command('p2', `AUTHENTICATE PLAIN ${Buffer.from(`\0alice\0${PASSWORD}`).toString('base64')}`);
    assert.match(auth.tagged, /^p2 NO \[PRIVACYREQUIRED\] /);
    // After STARTTLS the same login works, and the capabilities say so.
    assert.match((await c.command('p3', 'STARTTLS')).tagged, /^p3 OK /);
    await c.startTls();
    const caps = await c.command('p4', 'CAPABILITY');
    assert.match(caps.untagged[0]!, /\bAUTH=PLAIN\b/);
    assert.doesNotMatch(caps.untagged[0]!, /LOGINDISABLED|STARTTLS/);
    assert.match((await c.command('p5', `LOGIN alice "${PASSWORD}"`)).tagged, /^p5 OK /);
  } finally {
    c.close();
    watch.close();
  }
});

test('STARTTLS with a self-signed certificate, then LOGIN; commands pipelined after STARTTLS are dropped', async () => {
  const c = await RawClient.connect(m.imapPort);
  try {
    assert.match(await c.line(), /\bSTARTTLS\b/);
    // An attacker in the middle could append commands after STARTTLS in the clear (CVE-2011-0411).
    c.write(`s1 STARTTLS\r\ns2 LOGIN alice "${PASSWORD}"\r\ns3 SELECT INBOX\r\n`);
    assert.match(await c.line(), /^s1 OK /);
    await c.startTls();
    const after = await c.command('s4', 'CAPABILITY');
    assert.ok(after.untagged.every((l) => !/^s[23] /.test(l)), after.untagged.join('\n'));
    assert.match(after.untagged[0]!, /\bAUTH=PLAIN\b/, 's2 did not log in: the session is not authenticated');
    assert.match((await c.command('s5', 'SELECT INBOX')).tagged, /^s5 BAD /);
    assert.match((await c.command('s6', `LOGIN alice "${PASSWORD}"`)).tagged, /^s6 OK /);
    assert.match((await c.command('s7', 'STARTTLS')).tagged, /^s7 BAD /);
  } finally {
    c.close();
  }
});
