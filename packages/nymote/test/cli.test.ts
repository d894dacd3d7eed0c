// The command line end to end: the compiled `nymote` in temp directories, checked against the real git.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEnv, git, gitBytes, nymote, sandbox, withStore } from './helpers.js';

const ID = /^[0-9a-f]{40}$/;

describe('usage', { concurrency: true }, () => {
  const s = sandbox();
  const env = s.env;
  after(() => s.cleanup());

  test('--version and --help exit 0', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const v = await nymote(['--version'], { env });
    assert.equal(v.status, 0);
    assert.equal(v.out, `nymote ${pkg.version}\n`);
    const h = await nymote(['--help'], { env });
    assert.equal(h.status, 0);
    assert.match(h.out, /^usage: nymote /);
    assert.match(h.out, /store +read and write/);
    const sh = await nymote(['store', '--help'], { env });
    for (const verb of ['init', 'set', 'get', 'rm', 'list', 'tree', 'log', 'branch', 'merge', 'revert', 'import', 'watch', 'gc', 'fsck']) {
      assert.match(sh.out, new RegExp(`^  ${verb} `, 'm'), `store --help lists ${verb}`);
    }
    const vh = await nymote(['store', 'set', '--help'], { env });
    assert.equal(vh.status, 0);
    assert.match(vh.out, /^usage: nymote store set KEY VALUE /);
  });

  const cases: [string, string[], RegExp, RegExp][] = [
    ['no command', [], /missing command/, /usage: nymote \[--help/],
    ['an unknown command', ['frob'], /unknown command "frob"/, /usage: nymote /],
    ['an unknown store command', ['store', 'frob'], /unknown command "frob" for "nymote store"/, /usage: nymote store \[--repo/],
    ['a missing argument', ['store', 'get'], /missing KEY/, /usage: nymote store get KEY/],
    ['a missing value', ['store', 'set', 'k'], /missing VALUE/, /usage: nymote store set KEY VALUE/],
    ['an extra argument', ['store', 'get', 'a', 'b'], /unexpected argument "b"/, /usage: nymote store get/],
    ['an unknown option', ['store', 'get', 'k', '--bogus'], /unknown option "--bogus" for "nymote store get"/, /usage: nymote store get/],
    ['an option without its value', ['store', 'set', 'k', 'v', '-m'], /option "--message" needs a value/, /usage: nymote store set/],
    ['--repo with --data', ['store', '--repo', 'a', '--data', 'b', 'list'], /--repo or --data, not both/, /usage: nymote store \[--repo/],
    ['--branch with --at', ['store', 'get', 'k', '--branch', 'main', '--at', 'a'.repeat(40)], /--branch or --at, not both/, /usage: nymote store get/],
    ['a commit id that is not hex', ['store', 'get', 'k', '--at', 'abcxyz'], /--at needs a commit id \(4 to 40 hex digits\), not "abcxyz"/, /usage: nymote store get/],
    ['a bad count', ['store', 'log', '-n', 'zero'], /-n needs a whole number/, /usage: nymote store log/],
    ['a bad author', ['store', 'set', 'k', 'v', '--author', 'nobody'], /--author "nobody" must look like "Name <mail@example.org>"/, /usage: nymote store set/],
    ['an unknown branch action', ['store', 'branch', 'rename', 'x'], /unknown branch action "rename"/, /usage: nymote store branch/],
  ];
  for (const [what, args, message, usage] of cases) {
    test(`${what} exits 2, says what is wrong and shows the usage line`, async () => {
      // --repo names a directory that does not exist: usage is checked before the store is opened.
      const full = args[0] === 'store' && !args.includes('--repo') ? ['store', '--repo', join(s.dir, 'absent.git'), ...args.slice(1)] : args;
      const r = await nymote(full, { env });
      assert.equal(r.status, 2, r.err);
      assert.match(r.err, message);
      assert.match(r.err, usage);
      assert.match(r.err, /^nymote: /);
    });
  }

  test('a store that does not exist: exit 1 naming it and how to create it', async () => {
    const r = await nymote(['store', '--repo', join(s.dir, 'absent.git'), 'get', 'k'], { env });
    assert.equal(r.status, 1);
    assert.match(r.err, /absent\.git is not a git repository.*nymote store init/);
  });
});

describe('reading and writing', { concurrency: true }, () => {
  test('init, set, get round trip, binary through stdin, seen by git', () => withStore(async (s) => {
    assert.equal(await s.ok(['init']), `store already exists in ${s.repo}`);
    const c1 = await s.ok(['set', 'greeting', 'hello']);
    assert.match(c1, ID);
    assert.equal((await s.store(['get', 'greeting'])).out, 'hello');

    const bytes = Buffer.from([...Array(256).keys(), 0, 10, 13, 255, 0]);
    const c2 = await s.ok(['set', 'bin/all.bytes', '-', '-m', 'every byte'], bytes);
    assert.match(c2, ID);
    const got = await s.store(['get', 'bin/all.bytes']);
    assert.equal(got.status, 0);
    assert.deepEqual(got.stdout, bytes);

    assert.deepEqual(gitBytes(s.repo, ['show', 'main:bin/all.bytes']), bytes);
    assert.equal(git(s.repo, ['show', 'main:greeting']), 'hello');
    assert.equal(git(s.repo, ['log', '--oneline']), `${c2.slice(0, 7)} every byte\n${c1.slice(0, 7)} Set greeting\n`);
    assert.equal(git(s.repo, ['log', '-1', '--format=%an <%ae>|%cn <%ce>']), 'Test <test@example.org>|Test <test@example.org>\n');
    git(s.repo, ['fsck', '--strict']);

    await s.ok(['set', 'greeting', 'hi', '--author', 'Alice <alice@example.org>']);
    assert.equal(git(s.repo, ['log', '-1', '--format=%an <%ae>|%cn <%ce>']), 'Alice <alice@example.org>|Test <test@example.org>\n');
    assert.equal((await s.store(['get', 'greeting', '--at', c1])).out, 'hello');
    // The abbreviated ids git log --oneline prints work wherever a commit is taken.
    assert.equal((await s.store(['get', 'greeting', '--at', c1.slice(0, 7)])).out, 'hello');
    const reverted = await s.ok(['revert', c2.slice(0, 7)]);
    assert.match(git(s.repo, ['log', '-1', '--format=%B', reverted.trim()]), new RegExp(`This reverts commit ${c2}\\.`));
    const unknown = await s.store(['get', 'greeting', '--at', 'ffff0000']);
    assert.equal(unknown.status, 1);
    assert.match(unknown.err, /no branch or commit "ffff0000"/);
    git(s.repo, ['fsck', '--strict']);
  }));

  test('a missing key: exit 1 and "no value at KEY (branch main)"', () => withStore(async (s) => {
    const r = await s.store(['get', 'contacts/nobody']);
    assert.equal(r.status, 1);
    assert.equal(r.out, '');
    assert.equal(r.err, 'nymote: no value at contacts/nobody (branch main)\n');
    await s.ok(['set', 'contacts/alice', 'A']);
    const tree = await s.store(['get', 'contacts']);
    assert.equal(tree.status, 1);
    assert.match(tree.err, /contacts is a tree of keys/);
    const other = await s.store(['get', 'contacts/alice', '--branch', 'nope']);
    assert.equal(other.status, 1);
    assert.match(other.err, /no branch "nope"/);
  }));

  test('rm removes a key (exit 1 when there is none)', () => withStore(async (s) => {
    await s.ok(['set', 'a/b', '1']);
    await s.ok(['set', 'a/c', '2']);
    assert.match(await s.ok(['rm', 'a/b', '-m', 'drop b']), ID);
    assert.equal((await s.store(['get', 'a/b'])).status, 1);
    assert.equal(git(s.repo, ['log', '-1', '--format=%s']), 'drop b\n');
    const again = await s.store(['rm', 'a/b']);
    assert.equal(again.status, 1);
    assert.equal(again.err, 'nymote: no value at a/b (branch main)\n');
    await s.ok(['rm', 'a']);
    assert.equal(await s.ok(['tree']), '');
  }));

  test('list, tree and log print their formats', () => withStore(async (s) => {
    await s.ok(['set', 'a/b/c', '1']);
    await s.ok(['set', 'a/d', '2', '-m', 'the d\n\nwith a body']);
    await s.ok(['set', 'e', '3']);
    await s.ok(['set', 'a/b/f.json', '{}']);

    assert.equal((await s.store(['list'])).out, 'a/\ne\n');
    assert.equal((await s.store(['list', 'a'])).out, 'a/b/\na/d\n');
    assert.equal((await s.store(['list', 'a/'])).out, 'a/b/\na/d\n');
    assert.equal((await s.store(['list', 'a/d'])).out, 'a/d\n');
    const none = await s.store(['list', 'zz']);
    assert.equal(none.status, 1);
    assert.match(none.err, /no key at or under zz \(branch main\)/);

    const all = (await s.store(['tree'])).out;
    assert.equal(all, 'a/b/c\na/b/f.json\na/d\ne\n');
    assert.equal(all, git(s.repo, ['ls-tree', '-r', '--name-only', 'main']));
    assert.equal((await s.store(['tree', 'a/b'])).out, 'a/b/c\na/b/f.json\n');

    const log = (await s.store(['log'])).out;
    assert.equal(log, git(s.repo, ['log', '--format=%H %aI %s']));
    assert.match(log.split('\n')[2]!, /^[0-9a-f]{40} \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d the d$/);
    assert.equal((await s.store(['log', '-n', '2'])).out, log.split('\n').slice(0, 2).join('\n') + '\n');
    assert.equal((await s.store(['log', 'a/d'])).out, log.split('\n')[2] + '\n');
    const first = log.split('\n')[3]!.slice(0, 40);
    assert.equal((await s.store(['tree', '--at', first])).out, 'a/b/c\n');
  }));

  test('branch list, create, delete', () => withStore(async (s) => {
    const c1 = await s.ok(['set', 'k', 'v1']);
    assert.equal((await s.store(['branch'])).out, '* main\n');
    assert.equal(await s.ok(['branch', 'create', 'side']), c1);
    const c2 = await s.ok(['set', 'k', 'v2', '--branch', 'side']);
    assert.equal((await s.store(['get', 'k', '--branch', 'side'])).out, 'v2');
    assert.equal((await s.store(['get', 'k'])).out, 'v1');
    assert.equal(await s.ok(['branch', 'create', 'old', c1]), c1);
    assert.equal((await s.store(['branch'])).out, '* main\n  old\n  side\n');
    assert.equal(git(s.repo, ['rev-parse', 'side']).trim(), c2);

    const dup = await s.store(['branch', 'create', 'side']);
    assert.equal(dup.status, 1);
    assert.match(dup.err, /branch "side" already exists/);
    assert.equal(await s.ok(['branch', 'delete', 'side']), `deleted branch side (was ${c2})`);
    assert.equal(git(s.repo, ['for-each-ref', '--format=%(refname)']), 'refs/heads/main\nrefs/heads/old\n');
    assert.equal((await s.store(['branch', 'delete', 'side'])).status, 1);
    const main = await s.store(['branch', 'delete', 'main']);
    assert.equal(main.status, 1);
    assert.match(main.err, /cannot delete main: it is the default branch/);
    assert.equal((await s.store(['get', 'k', '--at', c2])).out, 'v2');
    const typo = await s.store(['set', 'k', 'v3', '--branch', 'sied']);
    assert.equal(typo.status, 1, 'writing to a branch that does not exist is refused');
    assert.match(typo.err, /no branch sied/);
    git(s.repo, ['fsck', '--strict']);
  }));
});

describe('where the store is', { concurrency: true }, () => {
  const home = mkdtempSync(join(tmpdir(), 'nymote-home-'));
  after(() => rmSync(home, { recursive: true, force: true }));

  test('--data DATADIR uses DATADIR/store.git', async () => {
    const data = join(home, 'data1');
    const env = cliEnv(home);
    const r = await nymote(['store', '--data', data, 'init'], { env });
    assert.equal(r.status, 0, r.err);
    assert.equal(r.out, `created an empty store in ${join(data, 'store.git')}\n`);
    assert.ok(existsSync(join(data, 'store.git', 'HEAD')));
    await nymote(['store', '--data', data, 'set', 'k', 'v'], { env });
    assert.equal(git(join(data, 'store.git'), ['show', 'main:k']), 'v');
  });

  test('without --repo or --data: $NYMOTE_DATA, then $XDG_DATA_HOME/nymote, then ~/.local/share/nymote', async () => {
    const viaEnv = join(home, 'data2');
    const r1 = await nymote(['store', 'init'], { env: cliEnv(home, { NYMOTE_DATA: viaEnv }) });
    assert.equal(r1.out, `created an empty store in ${join(viaEnv, 'store.git')}\n`);
    const xdg = join(home, 'xdg');
    const r2 = await nymote(['store', 'init'], { env: cliEnv(home, { XDG_DATA_HOME: xdg }) });
    assert.equal(r2.out, `created an empty store in ${join(xdg, 'nymote', 'store.git')}\n`);
    const r3 = await nymote(['store', 'init'], { env: cliEnv(home) });
    assert.equal(r3.out, `created an empty store in ${join(home, '.local', 'share', 'nymote', 'store.git')}\n`);
  });
});
