import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromLineDate, mboxFlags, readMbox } from '../src/index.js';

const MBOX = [
  'From ann@example.org Thu Nov 26 10:00:00 2026',
  'From: Ann <ann@example.org>',
  'Subject: First',
  'Status: RO',
  'X-Status: AF',
  '',
  'Hello.',
  '>From the start of a line, quoted by mboxrd.',
  '>>From twice quoted.',
  '',
  'From bob@example.org Fri Nov 27 11:30:15 2026',
  'From: Bob <bob@example.org>',
  'Subject: Second',
  '',
  'Bye.',
  'From here on a line without a blank before it is body text.',
  '',
].join('\n');

async function* chunked(text: string, size: number) {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

test('mbox: messages split on From lines, >From unquoted, CRLF, dates and flags kept; any chunking', async () => {
  for (const size of [1, 7, 64, 1 << 20]) {
    const messages = [];
    for await (const m of readMbox(chunked(MBOX, size))) messages.push(m);
    assert.equal(messages.length, 2, `chunks of ${size}`);
    const [a, b] = messages;
    assert.equal(a!.raw.toString(), 'From: Ann <ann@example.org>\r\nSubject: First\r\nStatus: RO\r\nX-Status: AF\r\n\r\nHello.\r\nFrom the start of a line, quoted by mboxrd.\r\n>From twice quoted.\r\n');
    assert.equal(a!.internalDate, '2026-11-26T10:00:00Z');
    assert.deepEqual(a!.flags, ['\\Seen', '\\Answered', '\\Flagged']);
    assert.equal(a!.line, 1);
    assert.match(b!.raw.toString(), /\r\n\r\nBye\.\r\nFrom here on a line without a blank before it is body text\.\r\n$/);
    assert.equal(b!.internalDate, '2026-11-27T11:30:15Z');
    assert.deepEqual(b!.flags, []);
  }
});

test('mbox: From-line dates in their variants; odd files do not throw', async () => {
  assert.equal(fromLineDate('From x@y Mon Jan  5 09:03:00 2026'), '2026-01-05T09:03:00Z');
  assert.equal(fromLineDate('From x@y Mon Jan 5 09:03 2026'), '2026-01-05T09:03:00Z');
  assert.equal(fromLineDate('From x@y Mon Jan 5 09:03:00 +0100 2026'), '2026-01-05T09:03:00Z');
  assert.equal(fromLineDate('From MAILER-DAEMON nonsense'), undefined);
  assert.deepEqual(mboxFlags('Subject: x'), []);
  const none = [];
  for await (const m of readMbox(chunked('', 10))) none.push(m);
  assert.equal(none.length, 0);
  const headless = [];
  for await (const m of readMbox(chunked('Subject: no From line\n\nbody\n', 5))) headless.push(m);
  assert.equal(headless.length, 1, 'a file without a From line is one message');
});
