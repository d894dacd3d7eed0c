// The response writer, modified UTF-7 and sequence sets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  atom, codes, compressSequenceSet, continuation, continuationBase64, decodeMailboxUtf7, encodeMailboxUtf7, encodeValue, esearchResponse, fetchResponse,
  flagList, flagListToken, flagsFetchResponse, formatError, formatSequenceSet, listResponse, ParseError, resolveSequenceSet, searchResponse, sequenceSetHas, statusResponse, tagged, untagged,
  untaggedStatus, vanishedResponse,
} from '../src/imap/protocol/index.js';
import type { FetchItem, SeqRange } from '../src/imap/protocol/index.js';
import { parse, text } from './imap-protocol-helpers.js';

const s = (b: Buffer) => b.toString('latin1');

describe('IMAP values', () => {
  it('atoms, NIL, numbers, quoted strings, lists', () => {
    assert.equal(s(encodeValue(null)), 'NIL');
    assert.equal(s(encodeValue(42)), '42');
    assert.equal(s(encodeValue(9223372036854775807n)), '9223372036854775807');
    assert.equal(s(encodeValue(atom('\\Seen'))), '\\Seen');
    assert.equal(s(encodeValue('hello world')), '"hello world"');
    assert.equal(s(encodeValue('say "hi" \\ bye')), '"say \\"hi\\" \\\\ bye"');
    assert.equal(s(encodeValue('')), '""');
    assert.equal(s(encodeValue(['a', null, 1, [atom('X')], []])), '("a" NIL 1 (X) ())');
    assert.throws(() => encodeValue(-1), /non-negative/);
    assert.throws(() => encodeValue(1.5), /non-negative/);
  });
  it('chooses a literal for CR, LF, 8-bit text and long strings; bytes are always literals, kept as they are', () => {
    assert.equal(s(encodeValue('two\r\nlines')), '{10}\r\ntwo\r\nlines');
    assert.equal(encodeValue('Grüße').toString('utf8'), '{7}\r\nGrüße');
    assert.equal(encodeValue('Grüße', { utf8: true }).toString('utf8'), '"Grüße"');
    assert.equal(s(encodeValue('x'.repeat(2000))).slice(0, 8), '{2000}\r\n');
    assert.equal(s(encodeValue('x'.repeat(20), { maxQuoted: 10 })).slice(0, 6), '{20}\r\n');
    const bytes = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x80]);
    assert.ok(encodeValue(bytes).equals(Buffer.concat([Buffer.from('{5}\r\n'), bytes])));
    assert.ok(encodeValue({ literal8: bytes }).equals(Buffer.concat([Buffer.from('~{5}\r\n'), bytes])));
    assert.ok(encodeValue([bytes, 'a']).equals(Buffer.concat([Buffer.from('({5}\r\n'), bytes, Buffer.from(' "a")')])));
  });
  it('round trip: any string written then parsed back (as a LOGIN password and in ID lists)', () => {
    // Found by the property below: a leading U+FEFF was taken for a byte-order mark and dropped.
    assert.equal((parse(`A1 LOGIN x ${encodeValue('\uFEFFpw', { utf8: true }).toString('latin1')}\r\n`) as { password: string }).password, '\uFEFFpw');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.boolean(), (value, utf8) => {
        const line = Buffer.concat([Buffer.from('A1 LOGIN x '), encodeValue(value, { utf8 }), Buffer.from('\r\n')]).toString('latin1');
        const c = parse(line);
        assert.deepEqual(c, { tag: 'A1', name: 'LOGIN', userid: 'x', password: value });
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ unit: 'binary', maxLength: 20 }), fc.option(fc.string({ unit: 'binary', maxLength: 20 }))), { maxLength: 5 }), (pairs) => {
        const line = Buffer.concat([Buffer.from('A2 ID '), encodeValue(pairs.flat()), Buffer.from('\r\n')]).toString('latin1');
        assert.deepEqual(parse(line), { tag: 'A2', name: 'ID', params: pairs });
      }),
      { numRuns: 200 },
    );
  });
});

describe('IMAP responses', () => {
  it('status responses with codes', () => {
    assert.equal(s(tagged('A1', 'OK', 'APPEND completed', codes.appendUid(38505, [3955]))), 'A1 OK [APPENDUID 38505 3955] APPEND completed\r\n');
    assert.equal(s(tagged('A2', 'OK', 'Done', codes.copyUid(38505, [304, 319, 320, 321], [3956, 3957, 3958, 3959]))), 'A2 OK [COPYUID 38505 304,319:321 3956:3959] Done\r\n');
    // COPYUID keeps the pairing order rather than sorting.
    assert.equal(codes.copyUid(1, [5, 3, 4], [10, 11, 12]), 'COPYUID 1 5,3:4 10:12');
    assert.equal(s(untaggedStatus('OK', 'Predicted next UID', codes.uidNext(4392))), '* OK [UIDNEXT 4392] Predicted next UID\r\n');
    assert.equal(codes.permanentFlags(['\\Deleted', '\\Seen', '\\*']), 'PERMANENTFLAGS (\\Deleted \\Seen \\*)');
    assert.equal(codes.highestModseq(715194045007n), 'HIGHESTMODSEQ 715194045007');
    assert.equal(codes.modified([7, 9, 8, 12]), 'MODIFIED 7:9,12');
    assert.equal(codes.badCharset(['UTF-8']), 'BADCHARSET (UTF-8)');
    assert.equal(s(untaggedStatus('BYE', 'Logging out')), '* BYE Logging out\r\n');
    // Text cannot break the line or pass for a response code.
    assert.equal(s(tagged('A3', 'NO', 'bad\r\nA4 OK injected')), 'A3 NO bad A4 OK injected\r\n');
    assert.equal(s(tagged('A3', 'NO', '[x] y')), 'A3 NO  [x] y\r\n');
    assert.equal(s(continuation()), '+ Ready\r\n');
    assert.equal(s(continuation('idling')), '+ idling\r\n');
    assert.equal(s(continuationBase64(Buffer.from('challenge'))), '+ Y2hhbGxlbmdl\r\n');
    assert.equal(s(continuationBase64(new Uint8Array(0))), '+ \r\n');
  });
  it('reader errors as responses, tagged or not', () => {
    assert.equal(s(formatError(new ParseError('FETCH: expected X', { tag: 'a1' }))), 'a1 BAD FETCH: expected X\r\n');
    assert.equal(s(formatError(new ParseError('garbage'))), '* BAD garbage\r\n');
    assert.equal(s(formatError(new ParseError('too big', { tag: 'a2', status: 'NO', code: 'TOOBIG' }))), 'a2 NO [TOOBIG] too big\r\n');
  });
  it('untagged data', () => {
    assert.equal(s(untagged('5 EXISTS')), '* 5 EXISTS\r\n');
    assert.equal(s(untagged('FLAGS', flagList(['\\Answered', '\\Seen', '$Forwarded']))), '* FLAGS (\\Answered \\Seen $Forwarded)\r\n');
    assert.equal(s(untagged('CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL+')), '* CAPABILITY IMAP4rev2 IMAP4rev1 LITERAL+\r\n');
    assert.equal(s(untagged('NAMESPACE', [['', '/']], null, null)), '* NAMESPACE (("" "/")) NIL NIL\r\n');
    assert.equal(s(untagged('ENABLED CONDSTORE')), '* ENABLED CONDSTORE\r\n');
  });
  it('FETCH responses name items as RFC 3501 section 7.4.2 says and keep literal bytes', () => {
    const peek: FetchItem = { type: 'body', peek: true, section: { part: [1, 2], text: 'HEADER.FIELDS', fields: ['Subject', 'X Odd'] }, partial: { offset: 0, length: 100 } };
    const binary: FetchItem = { type: 'binary', peek: true, part: [2] };
    const data = Buffer.from([0, 1, 2, 0xff]);
    const out = fetchResponse(12, [['UID', 4827], [{ type: 'attribute', name: 'FLAGS' }, flagList(['\\Seen'])], ['MODSEQ', [624140003n]], [peek, 'Subject: hi\r\n\r\n'], [binary, { literal8: data }], [{ type: 'binary.size', part: [2] }, 4]]);
    assert.ok(out.equals(Buffer.concat([
      Buffer.from('* 12 FETCH (UID 4827 FLAGS (\\Seen) MODSEQ (624140003) BODY[1.2.HEADER.FIELDS (Subject "X Odd")]<0> {15}\r\nSubject: hi\r\n\r\n BINARY[2] ~{4}\r\n'),
      data,
      Buffer.from(' BINARY.SIZE[2] 4)\r\n'),
    ])), s(out));
    assert.equal(s(fetchResponse(1, [[{ type: 'body', peek: false, section: { part: [] } }, null]])), '* 1 FETCH (BODY[] NIL)\r\n');
  });
  it('the flags FETCH sessions send each other, and the flag list of a FETCH, are byte for byte what the general writer makes of the same items', () => {
    const flag = fc.oneof(fc.constantFrom('\\Seen', '\\Flagged', '\\Deleted', '\\Draft', '\\Answered', '\\Recent', '$Forwarded', '$Junk'), fc.stringMatching(/^[A-Za-z$][A-Za-z0-9$_.-]{0,12}$/));
    fc.assert(fc.property(fc.nat(), fc.nat(), fc.array(flag, { maxLength: 6 }), fc.option(fc.nat(), { nil: undefined }), (seq, uid, flags, modseq) => {
      const items: Array<[string, ReturnType<typeof flagList> | number | bigint[]]> = [['UID', uid], ['FLAGS', flagList(flags)]];
      if (modseq !== undefined) items.push(['MODSEQ', [BigInt(modseq)]]);
      assert.equal(s(flagsFetchResponse(seq, uid, flags, modseq)), s(fetchResponse(seq, items)));
      assert.equal(s(encodeValue(flagListToken(flags))), s(encodeValue(flagList(flags))));
    }));
    assert.equal(s(flagsFetchResponse(3, 17, ['\\Seen', '$Label1'], 42)), '* 3 FETCH (UID 17 FLAGS (\\Seen $Label1) MODSEQ (42))\r\n');
  });
  it('LIST and STATUS responses encode mailbox names', () => {
    assert.equal(s(listResponse({ attributes: ['\\HasNoChildren', '\\Drafts'], delimiter: '/', name: 'Entwürfe' })), '* LIST (\\HasNoChildren \\Drafts) "/" "Entw&APw-rfe"\r\n');
    assert.equal(listResponse({ attributes: [], delimiter: '/', name: 'Entwürfe' }, { utf8: true }).toString('utf8'), '* LIST () "/" "Entwürfe"\r\n');
    assert.equal(s(listResponse({ attributes: ['\\Noselect'], delimiter: null, name: '' }, { command: 'LSUB' })), '* LSUB (\\Noselect) NIL ""\r\n');
    assert.equal(s(listResponse({ attributes: [], delimiter: '/', name: 'Sent', extended: [atom('CHILDINFO'), [atom('SUBSCRIBED')]] })), '* LIST () "/" "Sent" (CHILDINFO (SUBSCRIBED))\r\n');
    assert.equal(s(statusResponse('台北', [['MESSAGES', 231], ['UIDNEXT', 44292], ['HIGHESTMODSEQ', 7011231777n]])), '* STATUS "&U,BTFw-" (MESSAGES 231 UIDNEXT 44292 HIGHESTMODSEQ 7011231777)\r\n');
  });
  it('SEARCH, ESEARCH and VANISHED responses compress sets', () => {
    assert.equal(s(searchResponse([2, 3, 6])), '* SEARCH 2 3 6\r\n');
    assert.equal(s(searchResponse([])), '* SEARCH\r\n');
    assert.equal(s(searchResponse([2, 3], 917162500n)), '* SEARCH 2 3 (MODSEQ 917162500)\r\n');
    assert.equal(s(esearchResponse({ tag: 'A282', uid: true, min: 2, max: 47, all: [2, 3, 4, 5, 10, 11, 47], count: 7 })), '* ESEARCH (TAG "A282") UID MIN 2 MAX 47 ALL 2:5,10:11,47 COUNT 7\r\n');
    assert.equal(s(esearchResponse({ tag: 'A1', uid: false, all: [], count: 0 })), '* ESEARCH (TAG "A1") COUNT 0\r\n');
    assert.equal(s(vanishedResponse([300, 301, 302, 405, 411, 412, 413, 414, 415], true)), '* VANISHED (EARLIER) 300:302,405,411:415\r\n');
    assert.equal(s(vanishedResponse([9], false)), '* VANISHED 9\r\n');
    assert.equal(vanishedResponse([], false).length, 0);
  });
});

describe('modified UTF-7 mailbox names', () => {
  const VECTORS: Array<[string, string]> = [
    ['Entwürfe', 'Entw&APw-rfe'],
    ['台北', '&U,BTFw-'],
    ['~peter/mail/台北/日本語', '~peter/mail/&U,BTFw-/&ZeVnLIqe-'],
    ['Tom & Jerry', 'Tom &- Jerry'],
    ['&', '&-'],
    ['INBOX', 'INBOX'],
    ['Éléments envoyés', '&AMk-l&AOk-ments envoy&AOk-s'],
    ['😀', '&2D3eAA-'],
    ['a\tb', 'a&AAk-b'],
  ];
  it('encodes and decodes the vectors', () => {
    for (const [name, wire] of VECTORS) {
      assert.equal(encodeMailboxUtf7(name), wire);
      assert.equal(decodeMailboxUtf7(wire), name);
    }
  });
  it('rejects what is not modified UTF-7', () => {
    for (const bad of ['&', 'a&b', '&U,BTF-', '&AGE-', '&2D0-', '&3gA-', 'ü', '&U,BTFw', '&ab=-', '&/x-', 'a\tb']) assert.equal(decodeMailboxUtf7(bad), null, bad);
  });
  it('round trips any name (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (name) => {
        const wire = encodeMailboxUtf7(name);
        assert.match(wire, /^[\x20-\x7e]*$/);
        assert.equal(decodeMailboxUtf7(wire), name);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('sequence sets', () => {
  it('compresses sorted and deduplicated, or in order', () => {
    assert.equal(compressSequenceSet([1, 2, 3, 4, 5, 7, 9, 10]), '1:5,7,9:10');
    assert.equal(compressSequenceSet([10, 9, 7, 5, 4, 3, 2, 1, 1]), '1:5,7,9:10');
    assert.equal(compressSequenceSet([]), '');
    assert.equal(compressSequenceSet([4294967295]), '4294967295');
    assert.equal(compressSequenceSet([3, 4, 1, 2], { keepOrder: true }), '3:4,1:2');
  });
  it('compression keeps exactly the same numbers (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 60 }), (nums) => {
        const wire = compressSequenceSet(nums);
        const back = new Set<number>();
        if (wire) for (const part of wire.split(',')) {
          const [a, b] = part.split(':').map(Number);
          for (let n = a!; n <= (b ?? a!); n++) back.add(n);
        }
        assert.deepEqual([...back].sort((x, y) => x - y), [...new Set(nums)].sort((x, y) => x - y));
      }),
    );
  });
  it('resolves * against the mailbox and tests membership', () => {
    const set: SeqRange[] = [{ start: 5, end: 3 }, { start: 10, end: '*' }, { start: 4, end: 4 }];
    assert.deepEqual(resolveSequenceSet(set, 12), [[3, 5], [10, 12]]);
    // n:* with n beyond the last is max..n (RFC 3501 section 9, seq-range).
    assert.deepEqual(resolveSequenceSet([{ start: 100, end: '*' }], 50), [[50, 100]]);
    assert.deepEqual(resolveSequenceSet([{ start: '*', end: '*' }], 0), []);
    assert.equal(sequenceSetHas(set, 11, 12), true);
    assert.equal(sequenceSetHas(set, 7, 12), false);
    assert.equal(formatSequenceSet(set), '5:3,10:*,4');
    assert.equal(formatSequenceSet('$'), '$');
  });
});

describe('parse then write', () => {
  it('a FETCH item list names its response items', () => {
    const c = parse('1 UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (FROM TO)] BINARY.PEEK[1]<0.5> BODY[]<10.20>)');
    assert.ok(c.name === 'FETCH');
    if (c.name !== 'FETCH') return;
    assert.equal(s(fetchResponse(1, c.items.map((i) => [i, null]))), '* 1 FETCH (BODY[HEADER.FIELDS (FROM TO)] NIL BINARY[1]<0> NIL BODY[]<10> NIL)\r\n');
    assert.equal(text(Buffer.from('ok')), 'ok');
  });
});
