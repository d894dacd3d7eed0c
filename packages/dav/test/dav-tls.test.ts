// HTTPS and login limits: what lets the DAV server face other machines.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Accounts } from '@nymote/accounts';
import type { Store } from '@nymote/store';
import { openStore } from '@nymote/store/node';
import selfsigned from 'selfsigned';
import { createDavServer } from '../src/index.js';
import { PASSWORD, event } from './dav-helpers.js';

let dir: string;
let store: Store;
let cert: string;
let server: ReturnType<typeof createDavServer>;
let port: number;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nymote-dav-tls-'));
  store = await openStore(join(dir, 'store.git'), { create: true, author: { name: 'Admin', email: 'admin@example.org' } });
  const accounts = new Accounts(store, { cost: { ln: 4, r: 8, p: 1 }, loginLimits: { perAddress: 5, windowMs: 60_000 } });
  await accounts.add('alice', PASSWORD);
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec', algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  cert = pems.cert;
  server = createDavServer({ store, accounts, tls: { cert: pems.cert, key: pems.private } });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function call(method: string, path: string, password: string, body?: string): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port, method, path, ca: cert, servername: 'localhost', agent: false,
      headers: { Authorization: `Basic ${Buffer.from(`alice:${password}`).toString('base64')}`, ...(body ? { 'Content-Type': 'text/calendar' } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('over HTTPS, checked against the certificate: PUT and GET an event', async () => {
  assert.equal((await call('PUT', '/dav/calendars/alice/default/tls.ics', PASSWORD, event('tls-1', 'Over TLS'))).status, 201);
  const got = await call('GET', '/dav/calendars/alice/default/tls.ics', PASSWORD);
  assert.equal(got.status, 200);
  assert.match(got.text, /SUMMARY:Over TLS/);
  // A client that does not trust the certificate does not get in.
  await assert.rejects(new Promise((resolve, reject) => {
    httpsRequest({ host: '127.0.0.1', port, path: '/dav/', agent: false }, resolve).on('error', reject).end();
  }), /self[- ]signed|unable to verify/i);
});

test('failed logins: after five from one address, 429 with Retry-After, even for the right password', async () => {
  for (let i = 0; i < 5; i++) assert.equal((await call('PROPFIND', '/dav/', 'wrong password')).status, 401);
  const refused = await call('PROPFIND', '/dav/', PASSWORD);
  assert.equal(refused.status, 429);
  assert.ok(Number(refused.headers['retry-after']) > 0 && Number(refused.headers['retry-after']) <= 60, String(refused.headers['retry-after']));
  assert.match(refused.text, /too many failed logins/);
});
