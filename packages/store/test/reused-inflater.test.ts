// The inflater reused across small objects must give what zlib.inflateSync gives, say where a stream is
// damaged exactly as zlib does, and stay usable after an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, inflateSync } from 'node:zlib';
import { reusedInflater } from '../src/backend/fs/reused-inflater.js';
import { nodeZlib } from '../src/backend/fs/zlib.js';

const text = (n: number, seed: number) => new TextEncoder().encode(Array.from({ length: n }, (_, i) => String.fromCharCode(97 + ((i * seed + (i >> 4)) % 26))).join(''));
const random = (n: number, seed: number) => {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
};

test('this Node offers the reused inflater (the fast path is what runs)', () => {
  assert.ok(reusedInflater(), 'reusedInflater() is undefined: zlib internals changed, inflating falls back to inflateSync');
});

test('inflates what zlib.inflateSync inflates, with the bytes each stream takes, for many sizes and levels in a row', () => {
  const inflate = reusedInflater()!;
  for (const n of [0, 1, 37, 200, 1000, 4095, 4096, 70_000, 200_000]) {
    for (const [data, level] of [[text(n, 7), 6], [random(n, n + 1), 1], [text(n, 3), 9], [random(n, 5), 0]] as const) {
      const stream = deflateSync(data, { level });
      const followed = Buffer.concat([stream, Buffer.from('next entry')]);
      const r = inflate(followed, data.length);
      assert.deepEqual(Buffer.from(r.out), inflateSync(stream), `${n} bytes at level ${level}`);
      assert.equal(r.consumed, stream.length, `${n} bytes at level ${level}: bytes taken`);
    }
  }
});

test('a damaged, truncated or longer stream is an error, and the next stream inflates', () => {
  const inflate = reusedInflater()!;
  const data = text(3000, 11);
  const stream = deflateSync(data);
  const zlibError = (s: Uint8Array) => {
    try {
      inflateSync(s);
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  const checksum = Buffer.from(stream);
  checksum[checksum.length - 1] ^= 0xff;
  assert.throws(() => inflate(checksum, data.length), { message: zlibError(checksum) });
  assert.deepEqual(Buffer.from(inflate(stream, data.length).out), Buffer.from(data));

  const truncated = stream.subarray(0, stream.length - 10);
  assert.throws(() => inflate(truncated, data.length), { message: zlibError(truncated) });
  assert.deepEqual(Buffer.from(inflate(stream, data.length).out), Buffer.from(data));

  const garbage = Buffer.from(stream);
  garbage[0] = 0x12;
  assert.throws(() => inflate(garbage, data.length), { message: zlibError(garbage) });

  assert.throws(() => inflate(stream, data.length - 1), /more than the declared 2999 bytes/);
  // Fewer bytes than declared is a result, for the caller to compare with what it expected.
  assert.equal(inflate(stream, data.length + 5).out.length, data.length);
  assert.deepEqual(Buffer.from(inflate(stream, data.length).out), Buffer.from(data));
});

test('nodeZlib.inflate gives the same answers through the reused inflater and without a declared size', () => {
  for (const n of [10, 500, 9000]) {
    const data = text(n, 13);
    const stream = Buffer.concat([deflateSync(data), Buffer.from([1, 2, 3])]);
    const known = nodeZlib.inflate(stream, n);
    const unknown = nodeZlib.inflate(stream);
    assert.deepEqual(Buffer.from(known.out), Buffer.from(unknown.out));
    assert.equal(known.consumed, unknown.consumed);
    assert.equal(known.consumed, stream.length - 3);
  }
});
