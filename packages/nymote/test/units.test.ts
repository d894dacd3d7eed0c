// In-process checks of the pure parts: data directory rules, JSON-lines parsing, argument splitting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { defaultDataDir, storeRepository } from '../src/data-dir.js';
import { splitAtVerb } from '../src/group.js';
import { splitLines } from '../src/io.js';
import { parseImportLine } from '../src/store/import-lines.js';
import { isoDate } from '../src/store/commands/log.js';
import { UsageError } from '../src/usage.js';

test('data directory: $NYMOTE_DATA, else absolute $XDG_DATA_HOME/nymote, else ~/.local/share/nymote', () => {
  assert.equal(defaultDataDir({ NYMOTE_DATA: '/srv/n', XDG_DATA_HOME: '/x' }, '/home/u'), '/srv/n');
  assert.equal(defaultDataDir({ NYMOTE_DATA: '', XDG_DATA_HOME: '/x' }, '/home/u'), '/x/nymote');
  assert.equal(defaultDataDir({ XDG_DATA_HOME: 'relative' }, '/home/u'), '/home/u/.local/share/nymote');
  assert.equal(defaultDataDir({}, '/home/u'), '/home/u/.local/share/nymote');
  assert.equal(defaultDataDir({ NYMOTE_DATA: 'rel' }, '/home/u'), join(process.cwd(), 'rel'));
  assert.equal(storeRepository('/srv/n'), '/srv/n/store.git');
});

test('splitAtVerb skips the values of options that take one', () => {
  const options = { repo: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;
  assert.deepEqual(splitAtVerb(['--repo', 'get', 'get', 'k'], options), { leading: ['--repo', 'get'], verb: 'get', rest: ['k'] });
  assert.deepEqual(splitAtVerb(['--repo=x', '-h', 'set', '-m', 'x'], options), { leading: ['--repo=x', '-h'], verb: 'set', rest: ['-m', 'x'] });
  assert.deepEqual(splitAtVerb(['-h'], options), { leading: ['-h'], verb: undefined, rest: [] });
});

test('import lines: the accepted shapes', () => {
  assert.deepEqual(parseImportLine('{"key":"a/b","value":"text"}', 1), { key: 'a/b', value: 'text' });
  assert.deepEqual(parseImportLine('{"key":"a","value":null,"message":"m","time":1000}', 1), { key: 'a', value: null, message: 'm', time: 1000 });
  assert.deepEqual(parseImportLine('{"key":"a","value":{"base64":"AP8="},"author":"A <a@x>"}', 1),
    { key: 'a', value: new Uint8Array([0, 255]), author: { name: 'A', email: 'a@x' } });
});

test('import lines: each mistake is a usage error naming the line', () => {
  const cases: [string, RegExp][] = [
    ['[1]', /line 7: expected an object/],
    ['{"value":"v"}', /line 7: "key" must be a non-empty string/],
    ['{"key":"k","value":5}', /line 7: "value" must be a string/],
    ['{"key":"k","value":{"base64":"AP8=","x":1}}', /line 7: "value" must be a string/],
    ['{"key":"k","value":"v","author":"nobody"}', /line 7: "author" "nobody" must look like/],
    ['{"key":"k","value":"v","time":"yesterday"}', /line 7: "time" must be an ISO 8601 date/],
    ['{"key":"k","value":"v","message":3}', /line 7: "message" must be a string/],
  ];
  for (const [line, message] of cases) {
    assert.throws(() => parseImportLine(line, 7), (e: unknown) => e instanceof UsageError && message.test(e.message), line);
  }
});

test('splitLines keeps bytes, splits across chunks, drops \\r before \\n', async () => {
  async function* chunks() {
    yield Buffer.from('a\r\nb');
    yield Buffer.from('c\n\nd');
  }
  const out: string[] = [];
  for await (const l of splitLines(chunks())) out.push(Buffer.from(l).toString());
  assert.deepEqual(out, ['a', 'bc', '', 'd']);
});

test('isoDate writes the author time in the author offset, as git %aI', () => {
  assert.equal(isoDate({ name: 'a', email: 'b', time: 1577934245, tz: '+0530' }), '2020-01-02T08:34:05+05:30');
  assert.equal(isoDate({ name: 'a', email: 'b', time: 1577934245, tz: '-0100' }), '2020-01-02T02:04:05-01:00');
});
