// merge and revert through the command line, with the CLI's schema: *.json merges field by field.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { git, withStore } from './helpers.js';

describe('merge and revert', { concurrency: true }, () => {
  test('a conflict exits 1, names the key, and changes nothing', () => withStore(async (s) => {
    await s.ok(['set', 'notes/todo', 'v1']);
    await s.ok(['branch', 'create', 'side']);
    const ours = await s.ok(['set', 'notes/todo', 'v2']);
    await s.ok(['set', 'notes/todo', 'v3', '--branch', 'side']);
    const r = await s.store(['merge', 'side']);
    assert.equal(r.status, 1);
    assert.match(r.out, /^conflict notes\/todo: .+\n$/);
    assert.match(r.err, /merging side into main: 1 conflicting key; nothing was changed/);
    assert.equal(git(s.repo, ['rev-parse', 'main']).trim(), ours);
  }));

  test('two .json keys edited on different fields merge cleanly; the same field conflicts', () => withStore(async (s) => {
    await s.ok(['set', 'contacts/alice.json', '{"name":"Alice","email":"a@old","phone":"1"}']);
    await s.ok(['set', 'contacts/bob.json', '{"name":"Bob","tags":["x"],"city":"Paris"}']);
    await s.ok(['branch', 'create', 'phone']);
    await s.ok(['set', 'contacts/alice.json', '{"name":"Alice","email":"a@new","phone":"1"}']);
    await s.ok(['set', 'contacts/bob.json', '{"name":"Bobby","tags":["x"],"city":"Paris"}']);
    await s.ok(['set', 'contacts/alice.json', '{"name":"Alice","email":"a@old","phone":"2"}', '--branch', 'phone']);
    await s.ok(['set', 'contacts/bob.json', '{"name":"Bob","tags":["x"],"city":"Lyon"}', '--branch', 'phone']);
    const commit = await s.ok(['merge', 'phone', '-m', 'merge the phone']);
    assert.equal(git(s.repo, ['rev-list', '--parents', '-n', '1', 'main']).trim().split(' ').length, 3);
    assert.equal(git(s.repo, ['log', '-1', '--format=%H %s']), `${commit} merge the phone\n`);
    assert.deepEqual(JSON.parse(git(s.repo, ['show', 'main:contacts/alice.json'])), { name: 'Alice', email: 'a@new', phone: '2' });
    assert.deepEqual(JSON.parse(git(s.repo, ['show', 'main:contacts/bob.json'])), { name: 'Bobby', tags: ['x'], city: 'Lyon' });
    git(s.repo, ['fsck', '--strict']);

    await s.ok(['set', 'contacts/alice.json', '{"name":"Alice","email":"main@x","phone":"2"}']);
    await s.ok(['set', 'contacts/alice.json', '{"name":"Alice","email":"phone@x","phone":"1"}', '--branch', 'phone']);
    const r = await s.store(['merge', 'phone']);
    assert.equal(r.status, 1);
    assert.match(r.out, /^conflict contacts\/alice\.json.*email/);
    assert.equal(r.out.trim().split('\n').length, 1);
  }));

  test('fast-forward, then up to date', () => withStore(async (s) => {
    await s.ok(['set', 'k', '1']);
    await s.ok(['branch', 'create', 'ahead']);
    const tip = await s.ok(['set', 'k', '2', '--branch', 'ahead']);
    assert.equal(await s.ok(['merge', 'ahead']), tip);
    assert.equal(git(s.repo, ['rev-parse', 'main']).trim(), tip);
    const again = await s.store(['merge', 'ahead']);
    assert.equal(again.status, 0);
    assert.equal(again.out, `${tip}\n`);
    assert.match(again.err, /main already contains ahead/);
    const into = await s.store(['merge', 'main', '--into', 'nope']);
    assert.equal(into.status, 1);
    assert.match(into.err, /no branch nope \(--into\); "nymote store branch create nope" makes it/);
  }));

  test('revert undoes one commit and keeps later ones; a conflicting revert exits 1', () => withStore(async (s) => {
    await s.ok(['set', 'base', '0']); // not reverting the root commit: see the todo below
    const c1 = await s.ok(['set', 'x', '1']);
    const c2 = await s.ok(['set', 'x', '2']);
    await s.ok(['set', 'y', '3']);
    const r = await s.ok(['revert', c2]);
    assert.equal(git(s.repo, ['log', '-1', '--format=%H %s']), `${r} Revert "Set x"\n`);
    assert.equal((await s.store(['get', 'x'])).out, '1');
    assert.equal((await s.store(['get', 'y'])).out, '3');

    // c1 added x; x has changed since, so undoing the add conflicts.
    await s.ok(['set', 'x', '4']);
    const bad = await s.store(['revert', c1]);
    assert.equal(bad.status, 1);
    assert.match(bad.out, /^conflict x: /);
    assert.match(bad.err, new RegExp(`reverting ${c1} on main: 1 conflicting key`));
    assert.equal((await s.store(['get', 'x'])).out, '4');
    git(s.repo, ['fsck', '--strict']);
  }));

  test('revert of the root commit', () => withStore(async (s) => {
    const root = await s.ok(['set', 'x', '1']);
    await s.ok(['set', 'y', '2']);
    await s.ok(['revert', root]);
    assert.equal(await s.ok(['tree']), 'y');
  }));
});
