// Small loose objects are written as zlib streams of stored blocks: every zlib reader must take them, and
// our fast reader must take exactly those (anything else goes to zlib, which reports damage).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adler32, storedZlib, storedZlibLength, unstoredZlib, unstoredZlibPrefix } from '../src/git/stored-zlib.js';
import { initRepository } from '../src/backend/fs/index.js';
import { nodeZlib } from '../src/backend/fs/zlib.js';
import { utf8 } from '../src/git/bytes.js';
import { constants, deflateSync, inflateSync } from 'node:zlib';
import { git, tempDir } from './helpers/git.js';

/** The checksum zlib itself computes: the last four bytes of its stream. */
const zlibAdler32Of = (data: Uint8Array) => deflateSync(data, { level: 0 }).readUInt32BE(deflateSync(data, { level: 0 }).length - 4);
const bytes = (n: number, seed = 7) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 17 + (i >> 5)) & 0xff);

test('adler32 equals the checksum zlib writes', () => {
  for (const n of [0, 1, 100, 5551, 5552, 5553, 70_000]) {
    const data = bytes(n);
    assert.equal(adler32(data), zlibAdler32Of(data), `${n} bytes`);
  }
});

test('stored streams inflate with zlib to header + body, and read back without it', () => {
  for (const n of [0, 1, 3000, 65_535 - 9, 65_535, 200_000]) {
    const body = bytes(n);
    const header = `blob ${n}\0`;
    const stream = storedZlib(header, body);
    assert.equal(stream.length, storedZlibLength(header.length + n));
    const expected = Buffer.concat([Buffer.from(header, 'latin1'), body]);
    assert.deepEqual(inflateSync(stream), expected, `zlib inflates ${n} bytes`);
    assert.deepEqual(Buffer.from(unstoredZlib(stream)!), expected, `read back ${n} bytes`);
  }
});

test('zlib level 0 output is read without zlib; compressed or damaged streams are left to zlib', () => {
  const framed = Buffer.concat([Buffer.from('blob 2000\0'), bytes(2000)]);
  assert.deepEqual(Buffer.from(unstoredZlib(deflateSync(framed, { level: 0 }))!), framed);
  assert.equal(unstoredZlib(deflateSync(framed, { level: constants.Z_BEST_SPEED })), undefined);
  const good = storedZlib('blob 5\0', utf8('hello'));
  const damaged = (i: number) => {
    const b = Uint8Array.from(good);
    b[i]! ^= 0x40;
    return b;
  };
  assert.equal(unstoredZlib(damaged(good.length - 1)), undefined, 'checksum');
  assert.equal(unstoredZlib(damaged(9)), undefined, 'content');
  assert.equal(unstoredZlib(damaged(3)), undefined, 'length');
  assert.equal(unstoredZlib(good.subarray(0, good.length - 2)), undefined, 'truncated');
  assert.equal(unstoredZlib(Buffer.concat([good, Buffer.from([0])])), undefined, 'trailing bytes');
  assert.equal(unstoredZlib(new Uint8Array(0)), undefined, 'empty');
});

test('a stored stream followed by other bytes reads back with its length, as pack entries are read', () => {
  const good = storedZlib('', bytes(700));
  const followed = Buffer.concat([good, Buffer.from('next entry')]);
  const r = unstoredZlibPrefix(followed)!;
  assert.equal(r.consumed, good.length);
  assert.deepEqual(Buffer.from(r.content), Buffer.from(bytes(700)));
  assert.equal(unstoredZlib(followed), undefined, 'the whole-buffer reader still refuses trailing bytes');
  assert.equal(unstoredZlibPrefix(good.subarray(0, good.length - 1)), undefined, 'truncated checksum');
  assert.equal(unstoredZlibPrefix(deflateSync(bytes(700))), undefined, 'compressed: left to zlib');
  // nodeZlib.inflate takes both kinds, and its result is a copy, not a view into the pack's bytes.
  for (const stream of [followed, Buffer.concat([deflateSync(bytes(700)), Buffer.from('next')])]) {
    const { out, consumed } = nodeZlib.inflate(stream, 700);
    assert.deepEqual(Buffer.from(out), Buffer.from(bytes(700)));
    assert.equal(consumed, stream.length - (stream === followed ? 10 : 4));
    assert.notEqual(out.buffer, stream.buffer);
  }
});

test('small loose objects are stored uncompressed, big ones deflated; git reads both', async () => {
  const t = tempDir('nymote-stored-');
  try {
    const b = await initRepository(t.dir);
    const small = await b.objects.write('blob', bytes(3000));
    const big = await b.objects.write('blob', bytes(20_000));
    const file = (id: string) => readFileSync(join(t.dir, 'objects', id.slice(0, 2), id.slice(2)));
    assert.notEqual(unstoredZlib(file(small)), undefined, 'one block: stored');
    assert.equal(unstoredZlib(file(big)), undefined, 'bigger: deflated');
    assert.ok(file(big).length < 20_000);
    for (const id of [small, big]) assert.equal(git(['cat-file', '-s', id], { cwd: t.dir }).trim(), id === small ? '3000' : '20000');
    git(['fsck', '--strict'], { cwd: t.dir });
    await b.close();
  } finally {
    t.cleanup();
  }
});
