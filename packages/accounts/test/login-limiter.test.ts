import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryBackend, Store } from '@nymote/store';
import { Accounts } from '../src/accounts.js';
import { LoginLimiter, LoginThrottled, addressKey } from '../src/login-limiter.js';

const CHEAP = { ln: 4, r: 8, p: 1 };

test('addresses are counted by IPv4 address and by IPv6 /64', () => {
  assert.equal(addressKey('192.0.2.7'), '192.0.2.7');
  assert.equal(addressKey('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(addressKey('2001:db8:0:1::5'), '2001:db8:0:1::/64');
  assert.equal(addressKey('2001:DB8:0000:1:aaaa:bbbb:cccc:dddd'), '2001:db8:0:1::/64');
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
  assert.equal(addressKey(undefined), '-');
});

test('an address that keeps failing is refused until its failures leave the window', () => {
  let now = 1_000_000;
  const limiter = new LoginLimiter({ perAddress: 3, perUser: 100, windowMs: 60_000 }, () => now);
  for (let i = 0; i < 3; i++) {
    limiter.check(`user${i}`, '192.0.2.1');
    limiter.failed(`user${i}`, '192.0.2.1');
    now += 1000;
  }
  assert.throws(() => limiter.check('someone', '192.0.2.1'), (e) => e instanceof LoginThrottled && e.reason === 'address' && e.retryAfterMs === 57_000);
  limiter.check('someone', '192.0.2.2'); // another address is not affected
  now += 57_000; // the first failure leaves the window
  limiter.check('someone', '192.0.2.1');
});

test('a user failing from many addresses is refused, except from an address that logged in before', () => {
  let now = 0;
  const limiter = new LoginLimiter({ perAddress: 100, perUser: 5, windowMs: 60_000 }, () => now);
  limiter.succeeded('alice', '198.51.100.9');
  for (let i = 0; i < 5; i++) limiter.failed('alice', `203.0.113.${i}`);
  assert.throws(() => limiter.check('alice', '203.0.113.99'), (e) => e instanceof LoginThrottled && e.reason === 'user');
  limiter.check('alice', '198.51.100.9'); // her own device still gets in
  limiter.check('bob', '203.0.113.99');
  now += 60_000;
  limiter.check('alice', '203.0.113.99');
});

test('a success clears its address; the tables stay bounded', () => {
  let now = 0;
  const limiter = new LoginLimiter({ perAddress: 2, perUser: 1000, windowMs: 60_000 }, () => now);
  limiter.failed('alice', '192.0.2.1');
  limiter.succeeded('alice', '192.0.2.1');
  limiter.failed('alice', '192.0.2.1');
  limiter.check('alice', '192.0.2.1');
  for (let i = 0; i < 30_000; i++) limiter.failed(`u${i}`, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
  const sizes = limiter as unknown as { byAddress: Map<string, unknown>; byUser: Map<string, unknown> };
  assert.ok(sizes.byAddress.size <= 10_000 && sizes.byUser.size <= 10_000);
});

test('Accounts.login: counts failures across calls and refuses before checking the password', async () => {
  let now = Date.UTC(2026, 10, 26);
  const accounts = new Accounts(new Store(memoryBackend(), { author: { name: 'Admin', email: 'admin@example.org' } }),
    { cost: CHEAP, clock: () => now, loginLimits: { perAddress: 3, windowMs: 60_000 } });
  await accounts.add('alice', 'correct horse');
  assert.equal((await accounts.login('alice', 'correct horse', '127.0.0.1'))?.name, 'alice');
  for (let i = 0; i < 3; i++) assert.equal(await accounts.login('alice', 'wrong password', '192.0.2.1'), undefined);
  await assert.rejects(accounts.login('alice', 'correct horse', '192.0.2.1'), LoginThrottled, 'even the right password waits');
  assert.equal((await accounts.login('alice', 'correct horse', '127.0.0.1'))?.name, 'alice');
  assert.equal(await accounts.login('no such user', 'whatever', '192.0.2.5'), undefined);
  now += 60_000;
  assert.equal((await accounts.login('alice', 'correct horse', '192.0.2.1'))?.name, 'alice');
});
