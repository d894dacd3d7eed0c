// The streaming command reader: framing across arbitrary chunk boundaries, literals, limits, modes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CommandReader, decodeSaslResponse, formatError, ParseError } from '../src/imap/protocol/index.js';
import type { Command, ReaderEvent } from '../src/imap/protocol/index.js';
import { outcomes, run, text } from './imap-protocol-helpers.js';

/** A comparable summary of events: commands as JSON (bytes as text), errors as their response line. */
function summary(events: ReaderEvent[]): string[] {
  return events.map((e) => {
    if (e.type === 'error') return 'error ' + formatError(e.error).toString('latin1').trim() + (e.error.close ? ' (close)' : '');
    if (e.type === 'line') return 'line ' + text(e.line);
    if (e.type === 'continue') return `continue ${e.tag} ${e.size}`;
    return 'command ' + JSON.stringify(e.command, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? text(v) : v));
  });
}

const STREAMS = [
  // imaplib-style APPEND with a synchronising literal, then more commands.
  'A1 APPEND INBOX (\\Seen) "01-Jan-2024 00:00:00 +0000" {12}\r\nHello\r\nWorld\r\nA2 NOOP\r\n',
  // mbsync-style LITERAL+ login and a FETCH.
  '1 LOGIN {5+}\r\nalice {6+}\r\nsecret\r\n2 UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (X-TUID MESSAGE-ID)])\r\n',
  // A literal8, an empty literal, a bare LF, a garbage line and a stray empty line.
  '3 APPEND Drafts ~{4}\r\n\x00\r\n\xff\r\n4 SEARCH SUBJECT {0}\r\n\n\ngarbage\r\n\r\n5 LOGOUT\n',
];

describe('IMAP reader framing', () => {
  it('gives the same events however the bytes are split: every split point, and byte by byte', () => {
    for (const stream of STREAMS) {
      const whole = summary(run(stream).events);
      assert.ok(whole.some((s) => s.startsWith('command')));
      for (let i = 1; i < stream.length; i++) {
        assert.deepEqual(summary(run([stream.slice(0, i), stream.slice(i)]).events), whole, `split at ${i} of ${JSON.stringify(stream)}`);
      }
      assert.deepEqual(summary(run(stream.split('')).events), whole);
    }
  });
  it('splits inside a CRLF and inside a literal', () => {
    const { events } = run(['A1 LOGIN {3}\r', '\nbo', 'b "x"\r', '\n']);
    assert.deepEqual(summary(events), ['continue A1 3', 'command {"tag":"A1","name":"LOGIN","userid":"bob","password":"x"}']);
  });
  it('keeps literal bytes exactly (CRLF, NUL, 8-bit, text that looks like a command)', () => {
    const data = Buffer.from('a2 LOGOUT\r\n\x00\xff\r\n}{3}\r\n', 'latin1');
    const c = outcomes(run([`A1 APPEND INBOX {${data.length}+}\r\n`, data, '\r\n']).events);
    assert.equal(c.length, 1);
    const cmd = c[0] as Command;
    assert.ok(cmd.name === 'APPEND' && Buffer.from(cmd.messages[0]!.data).equals(data));
  });
  it('reports a synchronising literal, and the session may refuse it', () => {
    const reader = new CommandReader();
    reader.push(Buffer.from('A1 APPEND INBOX {400}\r\n'));
    assert.deepEqual(reader.next(), { type: 'continue', tag: 'A1', command: 'APPEND', size: 400, binary: false });
    reader.refuseLiteral();
    assert.equal(reader.next(), null);
    // The client abandons A1 and goes on.
    reader.push(Buffer.from('A2 NOOP\r\n'));
    assert.deepEqual(reader.next(), { type: 'command', command: { tag: 'A2', name: 'NOOP' } });
    assert.throws(() => reader.refuseLiteral(), /only valid right after a continue event/);
  });
  it('ignores empty lines and accepts bare LF', () => {
    assert.deepEqual(summary(run('\r\n\n1 NOOP\n').events), ['command {"tag":"1","name":"NOOP"}']);
  });
});

describe('IMAP reader limits', () => {
  it('refuses a 1 GB synchronising literal without allocating it; the connection goes on', () => {
    const before = process.memoryUsage().arrayBuffers;
    const { events } = run(['A1 APPEND INBOX {1073741824}\r\n', 'A2 NOOP\r\n']);
    assert.ok(process.memoryUsage().arrayBuffers - before < 1024 * 1024);
    assert.deepEqual(summary(events), ['error A1 NO [TOOBIG] message of 1073741824 bytes is over the limit of 52428800', 'command {"tag":"A2","name":"NOOP"}']);
    // Sizes that are not even safe integers are refused the same way.
    assert.match(summary(run('A1 APPEND INBOX {99999999999999999999999}\r\n').events)[0]!, /NO \[TOOBIG\]/);
  });
  it('limits literals of other commands separately from APPEND', () => {
    const { events } = run(['A1 LOGIN alice {70000}\r\n', 'A2 LOGIN {3}\r\n', 'bob {3}\r\n', 'pwd\r\n'], { limits: { maxLiteralSize: 65536 } });
    assert.deepEqual(summary(events), [
      'error A1 NO [TOOBIG] literal of 70000 bytes is over the limit of 65536 bytes for LOGIN',
      'continue A2 3', 'continue A2 3', 'command {"tag":"A2","name":"LOGIN","userid":"bob","password":"pwd"}',
    ]);
    // The limit is for all literals of the command together.
    const two = run(['A3 LOGIN {6}\r\n', 'abcdef {6}\r\n'], { limits: { maxLiteralSize: 10 } });
    assert.deepEqual(summary(two.events), ['continue A3 6', 'error A3 NO [TOOBIG] literal of 6 bytes is over the limit of 10 bytes for LOGIN']);
  });
  it('skips a refused non-synchronising literal and the rest of its command, never running it as commands (RFC 7888 section 4)', () => {
    const hidden = 'X1 DELETE INBOX\r\n'.repeat(300); // 5100 bytes that must not become commands
    const input = `A1 APPEND INBOX {${hidden.length}+}\r\n${hidden} {4+}\r\nX2 D\r\nA2 NOOP\r\n`;
    const literalMinus = summary(run(input, { limits: { literalMinus: true } }).events);
    assert.deepEqual(literalMinus, [
      'error A1 BAD [TOOBIG] non-synchronizing literal of 5100 bytes is over the 4096 bytes LITERAL- allows; send it as a synchronizing literal',
      'command {"tag":"A2","name":"NOOP"}',
    ]);
    // Split anywhere, the same.
    for (let i = 1; i < input.length; i += 97) assert.deepEqual(summary(run([input.slice(0, i), input.slice(i)], { limits: { literalMinus: true } }).events), literalMinus);
    const overAppend = summary(run(input, { limits: { maxAppendSize: 1000 } }).events);
    assert.deepEqual(overAppend, ['error A1 NO [TOOBIG] message of 5100 bytes is over the limit of 1000', 'command {"tag":"A2","name":"NOOP"}']);
    // With LITERAL+ the same command is fine.
    assert.equal(outcomes(run(input).events).filter((c) => !(c instanceof ParseError)).length, 2);
  });
  it('closes rather than read a non-synchronising literal bigger than maxDiscard', () => {
    const { events, reader } = run(['A1 APPEND INBOX {1073741824+}\r\n', 'x'.repeat(1000), 'A2 NOOP\r\n']);
    assert.deepEqual(summary(events), ['error A1 BAD [TOOBIG] message of 1073741824 bytes is over the limit of 52428800 (close)']);
    assert.equal(reader.closed, true);
    assert.equal(reader.buffered, 0);
  });
  it('reports a 10 MB line without CRLF early, with bounded memory, and resumes after its end', () => {
    const chunk = Buffer.alloc(64 * 1024, 'a'.charCodeAt(0));
    chunk.write('A1 SEARCH ');
    const reader = new CommandReader();
    const events: ReaderEvent[] = [];
    const before = process.memoryUsage().arrayBuffers;
    let firstErrorAt = -1;
    for (let i = 0; i < 160; i++) {
      reader.push(i === 0 ? chunk : chunk.subarray(10));
      for (let e = reader.next(); e; e = reader.next()) events.push(e);
      if (events.length && firstErrorAt < 0) firstErrorAt = i;
      assert.equal(reader.buffered, 0);
    }
    assert.ok(process.memoryUsage().arrayBuffers - before < 4 * 1024 * 1024, 'memory stays bounded');
    assert.equal(firstErrorAt, 1);
    assert.deepEqual(summary(events), ['error A1 BAD [TOOBIG] command line longer than 65536 bytes']);
    reader.push(Buffer.from('aaa\r\nA2 NOOP\r\n'));
    assert.deepEqual(summary([reader.next()!]), ['command {"tag":"A2","name":"NOOP"}']);
  });
  it('closes when a rejected line goes on past maxDiscard', () => {
    const { events, reader } = run(['A1 NOOP ' + 'x'.repeat(2000), 'x'.repeat(5000), 'x'.repeat(5000), '\r\nA2 NOOP\r\n'], { limits: { maxLineLength: 1000, maxDiscard: 8000 } });
    assert.deepEqual(summary(events), ['error A1 BAD [TOOBIG] command line longer than 1000 bytes', 'error * BAD no end of line within 8000 bytes of a rejected command (close)']);
    assert.equal(reader.closed, true);
  });
  it('counts every line of a command against maxLineLength', () => {
    const { events } = run(['A1 LOGIN {3+}\r\nabc ' + 'b'.repeat(60) + '\r\nA2 NOOP\r\n'], { limits: { maxLineLength: 50 } });
    assert.deepEqual(summary(events), ['error A1 BAD [TOOBIG] command line longer than 50 bytes', 'command {"tag":"A2","name":"NOOP"}']);
  });
  it('skips a non-synchronising literal announced at the end of an over-long line', () => {
    const input = 'A1 X ' + 'y'.repeat(100) + ' {5+}\r\nA9 NO\r\nA2 NOOP\r\n';
    const expected = ['error A1 BAD [TOOBIG] command line longer than 50 bytes', 'command {"tag":"A2","name":"NOOP"}'];
    assert.deepEqual(summary(run(input, { limits: { maxLineLength: 50 } }).events), expected);
    // Trickled a byte at a time, and with the line ending just past the limit.
    assert.deepEqual(summary(run(input.split(''), { limits: { maxLineLength: 50 } }).events), expected);
    assert.deepEqual(summary(run(input.split(''), { limits: { maxLineLength: 108 } }).events), [expected[0]!.replace('50', '108'), expected[1]!]);
  });
  it('limits the messages of one MULTIAPPEND together', () => {
    const { events } = run('A1 APPEND INBOX {6+}\r\nabcdef {6+}\r\nghijkl\r\nA2 NOOP\r\n', { limits: { maxAppendSize: 10, maxAppendTotal: 10 } });
    assert.deepEqual(summary(events), ['error A1 NO [TOOBIG] messages of this APPEND are over the limit of 10 bytes in all', 'command {"tag":"A2","name":"NOOP"}']);
  });
});

describe('IMAP reader modes', () => {
  it('AUTHENTICATE: raw lines until the session switches back', () => {
    const reader = new CommandReader();
    reader.push(Buffer.from('A1 AUTHENTICATE PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\nA2 NOOP\r\n'));
    const first = reader.next();
    assert.ok(first?.type === 'command' && first.command.name === 'AUTHENTICATE');
    reader.mode = 'line';
    const line = reader.next();
    assert.ok(line?.type === 'line');
    assert.equal(text(decodeSaslResponse(line.line) as Uint8Array), '\0alice\0secret');
    reader.mode = 'command';
    assert.deepEqual(reader.next(), { type: 'command', command: { tag: 'A2', name: 'NOOP' } });
    assert.equal(decodeSaslResponse(Buffer.from('*')), 'cancel');
    assert.equal(decodeSaslResponse(Buffer.from('not base64!')), null);
  });
  it('IDLE: DONE arrives as a line, even split and pipelined', () => {
    const reader = new CommandReader();
    reader.push(Buffer.from('A1 IDLE\r\nDO'));
    assert.deepEqual(reader.next(), { type: 'command', command: { tag: 'A1', name: 'IDLE' } });
    reader.mode = 'line';
    assert.equal(reader.next(), null);
    reader.push(Buffer.from('NE\r'));
    assert.equal(reader.next(), null);
    reader.push(Buffer.from('\nA2 NOOP\r\n'));
    assert.deepEqual(summary([reader.next()!]), ['line DONE']);
    reader.mode = 'command';
    assert.deepEqual(summary([reader.next()!]), ['command {"tag":"A2","name":"NOOP"}']);
  });
  it('a line in line mode is limited too', () => {
    const reader = new CommandReader({ limits: { maxLineLength: 10 } });
    reader.mode = 'line';
    reader.push(Buffer.from('x'.repeat(30) + '\r\nok\r\n'));
    assert.deepEqual(summary([reader.next()!, reader.next()!]), ['error * BAD [TOOBIG] line longer than 10 bytes', 'line ok']);
  });
  it('STARTTLS: what was pipelined in plaintext is dropped', () => {
    const reader = new CommandReader();
    reader.push(Buffer.from('A1 STARTTLS\r\nA2 DELETE INBOX\r\nA3 NO'));
    assert.deepEqual(reader.next(), { type: 'command', command: { tag: 'A1', name: 'STARTTLS' } });
    assert.equal(reader.discardBuffered(), 'A2 DELETE INBOX\r\nA3 NO'.length);
    assert.equal(reader.next(), null);
    reader.push(Buffer.from('A4 CAPABILITY\r\n'));
    assert.deepEqual(reader.next(), { type: 'command', command: { tag: 'A4', name: 'CAPABILITY' } });
  });
});

describe('IMAP reader robustness (fast-check)', () => {
  /** Feeds chunks, accepting literals; fails on any throw or on a runaway event count. */
  function drive(chunks: Uint8Array[], limits = { maxLineLength: 512, maxLiteralSize: 512, maxAppendSize: 2048, maxAppendTotal: 4096, maxDiscard: 8192 }) {
    const reader = new CommandReader({ limits });
    const events: ReaderEvent[] = [];
    for (const c of chunks) {
      reader.push(c);
      for (let e = reader.next(); e; e = reader.next()) {
        events.push(e);
        assert.ok(events.length < 100_000, 'the reader makes progress');
        if (e.type === 'error') assert.ok(e.error instanceof ParseError);
      }
    }
    return { reader, events };
  }
  it('random bytes: only events, never a throw; the reader recovers after a line end', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 8 }), (chunks) => {
        drive(chunks);
        // Without literal announcements or a runaway line, a clean command after a line end parses.
        const clean = chunks.map((c) => c.filter((b) => b !== 0x7d && b !== 0x0a && b !== 0x0d));
        const total = clean.reduce((n, c) => n + c.length, 0);
        const { events } = drive([...clean, Buffer.from('\r\nZ9 NOOP\r\n')]);
        if (total < 500) assert.deepEqual(events.at(-1), { type: 'command', command: { tag: 'Z9', name: 'NOOP' } });
      }),
      { numRuns: 400 },
    );
  });
  const VALID = [
    'a1 UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (From Subject)]<0.512>) (CHANGEDSINCE 5 VANISHED)\r\n',
    'a2 SEARCH RETURN (MIN COUNT) CHARSET UTF-8 OR (FROM "bob" SEEN) NOT UID 1:5,7 SINCE 1-Feb-2024 SUBJECT {3}\r\nabc\r\n',
    'a3 APPEND "Entw&APw-rfe" (\\Seen) "17-Jul-1996 02:44:25 -0700" {5+}\r\nhello\r\n',
    'a4 LIST (SUBSCRIBED) "" ("INBOX" "%") RETURN (SPECIAL-USE STATUS (MESSAGES))\r\n',
    'a5 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211 (1:5 20:24)))\r\n',
    'a6 UID STORE 1 (UNCHANGEDSINCE 5) +FLAGS.SILENT (\\Seen $Forwarded)\r\n',
    'a7 ID ("name" "x" "version" NIL)\r\n',
  ];
  it('mutated valid commands: never a throw, the next command still parses', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...VALID),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('replace', 'insert', 'delete')), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (valid, edits, cuts) => {
          const bytes = [...Buffer.from(valid, 'latin1')];
          for (const [at, b, op] of edits) {
            const i = at % (bytes.length + 1);
            if (op === 'replace' && i < bytes.length) bytes[i] = b;
            else if (op === 'insert') bytes.splice(i, 0, b);
            else bytes.splice(i, 1);
          }
          const buf = Buffer.from(bytes);
          const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((x, y) => x - y);
          const chunks: Uint8Array[] = [];
          let last = 0;
          for (const p of points) {
            chunks.push(buf.subarray(last, p));
            last = p;
          }
          chunks.push(buf.subarray(last));
          const { reader, events } = drive(chunks);
          for (const e of events) if (e.type === 'command') assert.ok(typeof e.command.tag === 'string' && e.command.tag.length > 0);
          // Without a literal announcement anywhere, ending the line must bring the reader back.
          if (!buf.includes(0x7b) && !reader.closed) {
            const after = drive([...chunks, Buffer.from('\r\nZ9 NOOP\r\n')]).events;
            assert.deepEqual(after.at(-1), { type: 'command', command: { tag: 'Z9', name: 'NOOP' } });
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});
