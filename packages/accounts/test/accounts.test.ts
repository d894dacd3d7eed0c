import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryBackend, Store } from '@nymote/store';
import { openStore } from '@nymote/store/node';
import { Accounts, AccountError, ACCOUNTS_BRANCH, dataBranch } from '../src/accounts.js';
import { isValidAccountName } from '../src/names.js';
import { hashPassword, needsRehash, verifyPassword } from '../src/password.js';

/** Cheap hashes for tests (the default costs 32 MiB and ~0.1 s each). */
const CHEAP = { ln: 4, r: 8, p: 1 };
let now = Date.UTC(2026, 10, 26, 10, 0, 0);
const clock = () => (now += 1000);

const memoryAccounts = () => new Accounts(new Store(memoryBackend(), { author: { name: 'Admin', email: 'admin@example.org' } }), { cost: CHEAP, clock });

const rejectsWith = (code: string) => (e: unknown) => e instanceof AccountError && e.code === code;

test('passwords: PHC scrypt strings, salted, verified in constant time, malformed ones never match', async () => {
  const a = await hashPassword('correct horse', CHEAP);
  const b = await hashPassword('correct horse', CHEAP);
  assert.match(a, /^\$scrypt\$ln=4,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  assert.notEqual(a, b, 'a random salt each time');
  assert.equal(await verifyPassword('correct horse', a), true);
  assert.equal(await verifyPassword('correct horsE', a), false);
  // Unicode passwords are compared in one normal form: "é" typed either way is the same password.
  const e = await hashPassword('caf\u00e9-latte', CHEAP);
  assert.equal(await verifyPassword('cafe\u0301-latte', e), true);
  for (const bad of ['', 'plain', '$scrypt$ln=99,r=8,p=1$AAAA$BBBB', a.slice(0, -4), a.replace('$scrypt$', '$argon2id$')]) {
    assert.equal(await verifyPassword('correct horse', bad), false, bad);
  }
  assert.equal(needsRehash(a), true, 'cheaper than the default');
  assert.equal(needsRehash(a, CHEAP), false);
});

test('account names: lowercase, safe in addresses and branch names', () => {
  for (const ok of ['alice', 'bob.smith', 'a', 'x-1_y', '0day']) assert.ok(isValidAccountName(ok), ok);
  for (const bad of ['', 'Alice', '.alice', '-x', 'a..b', 'a/b', 'a b', 'a@b', 'x.lock', 'dot.', 'é', 'a'.repeat(65)]) {
    assert.ok(!isValidAccountName(bad), bad);
  }
});

test('add, list, verify, change the password, remove keeping the data, re-add the name fresh', async () => {
  const accounts = memoryAccounts();
  const store = accounts.store;
  assert.deepEqual(await accounts.list(), []);
  const alice = await accounts.add('alice', 'wonderland');
  assert.deepEqual(alice, { name: 'alice', created: alice.created, branch: 'users/alice' });
  await accounts.add('bob', 'builder-bob');
  assert.deepEqual((await accounts.list()).map((a) => a.name), ['alice', 'bob']);
  await assert.rejects(accounts.add('alice', 'another-one'), rejectsWith('exists'));
  await assert.rejects(accounts.add('Alice', 'wonderland'), rejectsWith('invalid-name'));
  await assert.rejects(accounts.add('carol', 'short'), rejectsWith('weak-password'));

  // Only the hash is stored; every change is a commit on the accounts branch.
  const stored = new TextDecoder().decode(await store.get('alice.json', ACCOUNTS_BRANCH));
  assert.ok(!stored.includes('wonderland'));
  assert.match(stored, /"password": "\$scrypt\$/);
  assert.equal((await accounts.verify('alice', 'wonderland'))?.name, 'alice');
  assert.equal(await accounts.verify('alice', 'Wonderland'), undefined);
  assert.equal(await accounts.verify('nobody', 'wonderland'), undefined);
  assert.equal(await accounts.verify('../etc', 'wonderland'), undefined);
  await accounts.setPassword('alice', 'through the looking-glass');
  assert.equal(await accounts.verify('alice', 'wonderland'), undefined);
  assert.ok(await accounts.verify('alice', 'through the looking-glass'));
  await assert.rejects(accounts.setPassword('nobody', 'whatever-long'), rejectsWith('not-found'));
  assert.deepEqual((await store.log({ at: ACCOUNTS_BRANCH })).entries.map((e) => e.message.trim()), [
    'Change the password of user alice', 'Add user bob', 'Add user alice',
  ]);

  // Data on alice's branch survives her removal, on a branch of its own; the name starts afresh.
  await store.set('contacts/bob.vcf', 'BEGIN:VCARD', { branch: dataBranch('alice') });
  const removed = await accounts.remove('alice');
  assert.match(removed.keptAs!, /^removed\/alice\/20261126T\d{6}Z$/);
  assert.equal(new TextDecoder().decode(await store.get('contacts/bob.vcf', removed.keptAs!)), 'BEGIN:VCARD');
  assert.equal(await store.head(dataBranch('alice')), undefined);
  assert.equal(await accounts.get('alice'), undefined);
  assert.equal(await accounts.verify('alice', 'through the looking-glass'), undefined);
  await assert.rejects(accounts.remove('alice'), rejectsWith('not-found'));
  await accounts.add('alice', 'a new alice');
  assert.deepEqual(await store.list('', dataBranch('alice')), [], 'the new alice starts with no data');

  // --purge: the data branch goes too.
  assert.deepEqual(await accounts.remove('bob', { purge: true }), { keptAs: undefined });
  assert.equal(await store.head(dataBranch('bob')), undefined);
  assert.deepEqual((await store.branches()).filter((b) => b.startsWith('removed/')), [removed.keptAs]);
});

test('on disk: git reads the accounts branch; two processes adding the same name, one wins', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nymote-accounts-'));
  try {
    const repo = join(dir, 'store.git');
    const open = async () => new Accounts(await openStore(repo, { create: true, author: { name: 'Admin', email: 'admin@example.org' } }), { cost: CHEAP });
    const [a, b] = [await open(), await open()];
    const results = await Promise.allSettled([a.add('dana', 'password-one'), b.add('dana', 'password-two')]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok(rejectsWith('exists')(lost.reason));
    const winner = results[0]!.status === 'fulfilled' ? 'password-one' : 'password-two';
    assert.ok(await a.verify('dana', winner));
    await a.store.close();
    await b.store.close();
    const git = (...args: string[]) => execFileSync('git', ['--git-dir', repo, ...args], { encoding: 'utf8' });
    assert.match(git('show', 'accounts:dana.json'), /"name": "dana"/);
    assert.match(git('log', '--format=%s', 'users/dana'), /Start the data of user dana/);
    git('fsck', '--strict');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
