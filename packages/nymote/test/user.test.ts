// `nymote user`: accounts in the data directory's store, through the real CLI, checked with git.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Accounts } from '@nymote/accounts';
import { openStore } from '@nymote/store/node';
import { git, nymote, sandbox } from './helpers.js';

test('user add / list / passwd / remove, and what a server would verify', async () => {
  const s = sandbox();
  try {
    const data = join(s.dir, 'data');
    const repo = join(data, 'store.git');
    const user = (args: string[], input?: string) => nymote(['user', '--data', data, ...args], input === undefined ? { env: s.env } : { env: s.env, input });

    const empty = await user(['list']);
    assert.equal(empty.status, 1);
    assert.match(empty.err, /no users in .* yet: it has no store \(add the first with "nymote user add NAME"\)/);

    // The first add creates the store; the password is the first line of stdin.
    assert.deepEqual(await user(['add', 'alice'], 'wonderland\n'), { status: 0, stdout: Buffer.from('added user alice (data on branch users/alice)\n'), out: 'added user alice (data on branch users/alice)\n', err: '' });
    assert.equal((await user(['add', 'bob'], 'builder-bob\r\nignored second line\n')).status, 0);
    const taken = await user(['add', 'alice'], 'other-password\n');
    assert.equal(taken.status, 1);
    assert.equal(taken.err, 'nymote: user "alice" already exists\n');
    assert.match((await user(['add', 'Carol'], 'long-enough\n')).err, /capital letters/);
    assert.match((await user(['add', 'carol'], 'short\n')).err, /at least 8 characters/);
    assert.match((await user(['add', 'carol'])).err, /no password for carol on stdin/);
    assert.match((await user(['add'], 'x\n')).err, /usage: nymote user add NAME/);

    const listed = (await user(['list'])).out.split('\n').filter(Boolean);
    assert.equal(listed.length, 2);
    assert.match(listed[0]!, /^alice {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}users\/alice$/);
    assert.match(listed[1]!, /^bob {4}.* {2}users\/bob$/);

    assert.equal((await user(['passwd', 'alice'], 'through the looking-glass\n')).status, 0);
    assert.match((await user(['passwd', 'zed'], 'whatever-long\n')).err, /no user "zed"/);

    // What the mail and DAV servers will do: verify against the same store.
    const store = await openStore(repo);
    try {
      const accounts = new Accounts(store);
      assert.equal((await accounts.verify('alice', 'through the looking-glass'))?.branch, 'users/alice');
      assert.equal(await accounts.verify('alice', 'wonderland'), undefined);
      assert.ok(await accounts.verify('bob', 'builder-bob'), 'the second stdin line is not part of the password');
    } finally {
      await store.close();
    }

    const unsure = await user(['remove', 'bob']);
    assert.equal(unsure.status, 2);
    assert.match(unsure.err, /removing user "bob" needs --yes/);
    const removed = await user(['remove', 'bob', '--yes']);
    assert.match(removed.out, /^removed user bob; their data is kept on branch removed\/bob\/\d{8}T\d{6}Z\n$/);
    assert.equal((await user(['remove', 'alice', '--yes', '--purge'])).out, 'removed user alice and their data branch\n');
    assert.equal((await user(['list'])).out, '');

    // Every change was a commit on the accounts branch, which git reads; no password in clear.
    assert.equal(git(repo, ['log', '--format=%s', 'accounts']).trim().split('\n').length, 5);
    assert.doesNotMatch(git(repo, ['log', '-p', 'accounts']), /wonderland|looking-glass|builder-bob/);
    assert.match(git(repo, ['for-each-ref', '--format=%(refname)']), /refs\/heads\/removed\/bob\//);
    git(repo, ['fsck', '--strict']);
  } finally {
    s.cleanup();
  }
});
