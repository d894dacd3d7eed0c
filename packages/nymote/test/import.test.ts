// `nymote store import`: JSON lines to one commit per line, one packfile, nothing written on bad input.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { git, gitBytes, withStore } from './helpers.js';

const packs = (repo: string) => readdirSync(join(repo, 'objects', 'pack')).filter((f) => f.endsWith('.pack'));
const looseCount = (repo: string) =>
  readdirSync(join(repo, 'objects')).filter((d) => /^[0-9a-f]{2}$/.test(d)).reduce((n, d) => n + readdirSync(join(repo, 'objects', d)).length, 0);

/** n import lines over 97 keys (some binary, some removals), and what each key should hold at the end. */
function jsonLines(n: number): { text: string; final: Map<string, Buffer> } {
  const out: string[] = [];
  const final = new Map<string, Buffer>();
  for (let i = 0; i < n; i++) {
    const remove = i % 50 === 49;
    const key = remove ? `mail/inbox/${i % 7}` : `mail/inbox/${i % 97}`;
    const bytes = i % 10 === 3 ? Buffer.from([0, 255, i % 256]) : Buffer.from(`message ${i}`);
    const value = remove ? null : i % 10 === 3 ? { base64: bytes.toString('base64') } : bytes.toString();
    const line: Record<string, unknown> = { key, value, message: `import ${i}` };
    if (i === 0) Object.assign(line, { author: 'Importer <imp@example.org>', time: '2020-01-02T03:04:05Z' });
    out.push(JSON.stringify(line));
    if (remove) final.delete(key);
    else final.set(key, bytes);
  }
  return { text: out.join('\n') + '\n', final };
}

describe('import', { concurrency: true }, () => {
  test('1,000 JSON lines: 1,000 commits in one pack file', () => withStore(async (s) => {
    assert.equal(packs(s.repo).length, 0);
    const { text, final } = jsonLines(1000);
    const r = await s.store(['import', '--progress'], text);
    assert.equal(r.status, 0, r.err);
    const head = git(s.repo, ['rev-parse', 'main']).trim();
    assert.equal(r.out, `imported 1000 commits to main: ${head}\n`);
    assert.match(r.err, /imported 1000 commits so far/);
    assert.equal(packs(s.repo).length, 1);
    assert.equal(looseCount(s.repo), 0);
    assert.equal(git(s.repo, ['rev-list', '--count', 'main']).trim(), '1000');
    const root = git(s.repo, ['rev-list', '--max-parents=0', '--format=%an <%ae> %at %s', 'main']).split('\n')[1];
    assert.equal(root, 'Importer <imp@example.org> 1577934245 import 0');
    assert.deepEqual(git(s.repo, ['ls-tree', '-r', '--name-only', 'main']).split('\n').filter(Boolean).sort(), [...final.keys()].sort());
    // A sample, read by git (a spawn each): one key in ten, binary and text.
    for (const [key, bytes] of [...final].filter((_, i) => i % 10 === 0)) assert.deepEqual(gitBytes(s.repo, ['show', `main:${key}`]), bytes, key);
    git(s.repo, ['fsck', '--strict']);
  }));

  const bad: [string, string, RegExp][] = [
    ['not JSON', 'nope', /stdin line 3: not JSON/],
    ['an unknown field', '{"key":"k","value":"v","mesage":"m"}', /stdin line 3: unknown field "mesage"/],
    ['bad base64', '{"key":"k","value":{"base64":"!!"}}', /stdin line 3: "value.base64" is not valid base64/],
    ['no value', '{"key":"k"}', /stdin line 3: "value" is missing/],
    ['an invalid key', '{"key":"a//b","value":"v"}', /stdin line 3: key "a\/\/b" has an invalid segment/],
  ];
  test('a malformed line: exit 2 naming the line, nothing written', () => withStore(async (s) => {
    await s.ok(['set', 'before', '1']);
    const [head, loose] = [git(s.repo, ['rev-parse', 'main']), looseCount(s.repo)];
    for (const [what, line, message] of bad) {
      const input = `{"key":"a","value":"1"}\n\n${line}\n{"key":"b","value":"2"}\n`;
      const r = await s.store(['import'], input);
      assert.equal(r.status, 2, `${what}: ${r.err}`);
      assert.match(r.err, message, what);
      assert.match(r.err, /usage: nymote store import/);
      assert.equal(r.out, '');
      assert.equal(git(s.repo, ['rev-parse', 'main']), head, what);
      assert.equal(looseCount(s.repo), loose, what);
      assert.equal(packs(s.repo).length, 0, what);
    }
  }));
});
