// The MIME tree, sections and BINARY on the hand-written fixtures and on edge cases.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as mime from '../src/mime/index.js';
import { bytes, crlf, fixture, imap, text } from './mime-helpers.js';

const section = (raw: Uint8Array, spec: mime.SectionSpec): string => text(mime.sectionBytes(raw, mime.parseStructure(raw), spec));

test('a simple message is one text/plain part whose part 1 is its body', () => {
  const raw = fixture('simple.eml');
  const root = mime.parseStructure(raw);
  assert.equal(mime.mediaType(root), 'text/plain');
  assert.equal(root.parts.length, 0);
  assert.equal(imap(mime.bodyStructure(raw, root)), '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 63 6 NIL NIL NIL NIL)');
  assert.ok(section(raw, { part: [1] }).startsWith('Hi Bob,\r\n'));
  assert.equal(section(raw, { part: [1] }), section(raw, { part: [], text: 'TEXT' }));
  assert.equal(section(raw, { part: [1], text: 'MIME' }), section(raw, { part: [], text: 'HEADER' }));
  assert.equal(section(raw, { part: [2] }), '');
  assert.equal(section(raw, { part: [1], text: 'HEADER' }), '', 'HEADER of a part that is not message/rfc822');
});

test('HEADER.FIELDS keeps folded lines, matches names in any case, ends with the blank line', () => {
  const raw = fixture('simple.eml');
  assert.equal(section(raw, { part: [], text: 'HEADER.FIELDS', fields: ['subject', 'REFERENCES', 'x-none'] }),
    'Subject: Lunch on\r\n Friday?\r\nReferences: <root.0@example.net>\r\n <prev.1@example.net>\r\n\r\n');
  const not = section(raw, { part: [], text: 'HEADER.FIELDS.NOT', fields: ['Received', 'Return-Path'] });
  assert.ok(not.startsWith('Date: ') && not.endsWith('MIME-Version: 1.0\r\n\r\n'));
  assert.ok(!not.includes('Received'));
});

test('multipart/alternative: two text parts, boundary with specials, preamble ignored', () => {
  const raw = fixture('alternative.eml');
  const root = mime.parseStructure(raw);
  assert.deepEqual(root.parts.map(mime.mediaType), ['text/plain', 'text/html']);
  assert.equal(mime.paramValue(root.params, 'boundary'), '----=_Part_0_12345.678');
  assert.equal(section(raw, { part: [2], text: 'MIME' }), 'Content-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n');
  const b = mime.binarySection(raw, root, [1]);
  assert.ok('bytes' in b);
  assert.equal(Buffer.from(b.bytes).toString('utf8'),
    'Grüße aus München! Ein sehr langer Satz, der umbrochen werden muss, weil er länger als sechsundsiebzig Zeichen ist.\r\n');
  assert.equal(mime.binarySize(raw, root, [1]), b.bytes.length);
});

test('multipart/mixed with base64 attachments: BINARY decodes, extension data is all there', () => {
  const raw = fixture('mixed-attachments.eml');
  const root = mime.parseStructure(raw);
  const png = mime.binarySection(raw, root, [2]);
  assert.ok('bytes' in png);
  const all = Buffer.alloc(768);
  for (let i = 0; i < 768; i++) all[i] = i % 256;
  assert.ok(Buffer.from(png.bytes).equals(all));
  assert.equal(mime.binarySize(raw, root, [2]), 768);
  const img = root.parts[1]!;
  assert.equal(img.id, '<img1@example.com>');
  assert.equal(img.md5, 'Q2hlY2sgSW50ZWdyaXR5IQ==');
  assert.deepEqual(img.language, ['en', 'de']);
  assert.equal(img.location, 'http://example.com/bytes.png');
  const pdf = root.parts[2]!;
  assert.equal(pdf.encoding, 'BASE64');
  assert.equal(mime.paramValue(pdf.disposition!.params, 'filename'), 'Bericht für März.pdf');
  // Sections are views of the message, not copies.
  const body = mime.sectionBytes(raw, root, { part: [3] });
  assert.equal(body.buffer, raw.buffer);
});

test('a forwarded message/rfc822: HEADER, TEXT and parts refer to the encapsulated message', () => {
  const raw = fixture('forward.eml');
  const root = mime.parseStructure(raw);
  const fwd = root.parts[1]!;
  assert.equal(mime.mediaType(fwd.message!), 'multipart/alternative');
  assert.ok(section(raw, { part: [2], text: 'HEADER' }).startsWith('Date: Tue, 3 Mar 2026'));
  assert.ok(section(raw, { part: [2], text: 'HEADER' }).endsWith('boundary="inner"\r\n\r\n'));
  assert.ok(section(raw, { part: [2], text: 'TEXT' }).startsWith('--inner\r\n'));
  assert.equal(section(raw, { part: [2, 1] }), 'Are we still on?');
  assert.equal(section(raw, { part: [2, 2], text: 'MIME' }), 'Content-Type: text/html; charset=us-ascii\r\n\r\n');
  assert.equal(section(raw, { part: [2, 3] }), '');
  // Part 3's message is not multipart: 3.1 is its body.
  assert.equal(section(raw, { part: [3, 1] }), 'just text');
  assert.equal(section(raw, { part: [3], text: 'HEADER.FIELDS', fields: ['subject'] }), 'Subject: plain inner\r\n\r\n');
  assert.ok(imap(mime.envelope(raw, fwd.message!.headers)).startsWith('("Tue, 3 Mar 2026 10:59:59 +0100" "Lunch on Friday?"'));
});

test('multipart/signed keeps the signed part byte for byte', () => {
  const raw = fixture('signed.eml');
  const root = mime.parseStructure(raw);
  assert.deepEqual(root.params.map((p) => p.name), ['micalg', 'protocol', 'boundary']);
  // What the signature covers: the MIME header and body of part 1, CRLF line ends as sent.
  const signed = section(raw, { part: [1], text: 'MIME' }) + section(raw, { part: [1] });
  assert.equal(signed, 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nSigned text.');
  assert.ok(section(raw, { part: [2] }).startsWith('-----BEGIN PGP SIGNATURE-----'));
});

test('RFC 2231 parameters: continuations merged, values decoded on request', () => {
  const raw = fixture('rfc2231.eml');
  const root = mime.parseStructure(raw);
  const stuff = root.parts[0]!;
  assert.equal(mime.paramValue(stuff.params, 'title'), "This is even more ***fun*** isn't it!");
  assert.equal(mime.paramValue(stuff.disposition!.params, 'filename'), 'long-file-name-in-two-pieces.txt');
  const txt = root.parts[1]!;
  assert.equal(mime.paramValue(txt.params, 'name'), 'café.txt');
  assert.equal(mime.paramValue(txt.disposition!.params, 'FILENAME'), 'with spaces.txt');
});

test('LF-only mail parses the same as its CRLF form, with its own byte counts', () => {
  const raw = fixture('lf-only.eml');
  const root = mime.parseStructure(raw);
  assert.deepEqual(root.parts.map(mime.mediaType), ['text/plain', 'application/octet-stream']);
  assert.equal(section(raw, { part: [1] }), 'line one\nline two');
  assert.equal(section(raw, { part: [], text: 'HEADER' }).endsWith('boundary=lfb\n\n'), true);
  const crlfRoot = mime.parseStructure(mime.toCrlf(raw));
  assert.equal(crlfRoot.parts[0]!.end - crlfRoot.parts[0]!.bodyStart, 18);
  const bin = mime.binarySection(raw, root, [2]);
  assert.ok('bytes' in bin && Buffer.from(bin.bytes).equals(Buffer.from([0, 1, 2, 3, 4, 5])));
});

test('no Content-Type, or an invalid one, is text/plain; charset=us-ascii', () => {
  for (const ct of [null, 'text', ';;;garbage', '/', 'text/plain/extra junk']) {
    const raw = crlf('Subject: x', ...(ct === null ? [] : [`Content-Type: ${ct}`]), '', 'body');
    const s = imap(mime.bodyStructure(raw, mime.parseStructure(raw)));
    assert.equal(s, '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 0 NIL NIL NIL NIL)', String(ct));
  }
  const raw = crlf('Content-Type: TEXT/HTML; CHARSET=ISO-8859-1', 'Content-Transfer-Encoding: Quoted-Printable', '', 'x');
  assert.equal(imap(mime.bodyStructure(raw, mime.parseStructure(raw), false)), '("TEXT" "HTML" ("CHARSET" "ISO-8859-1") NIL NIL "Quoted-Printable" 1 0)');
});

test('broken boundaries: absent, never found, unclosed, inner unclosed, prefix-alike', () => {
  const never = fixture('broken-boundary.eml');
  const r1 = mime.parseStructure(never);
  assert.equal(r1.parts.length, 1);
  assert.equal(r1.parts[0]!.end - r1.parts[0]!.bodyStart, 0);
  const mc = fixture('missing-close.eml');
  const r2 = mime.parseStructure(mc);
  assert.equal(r2.parts.length, 3);
  assert.equal(section(mc, { part: [2, 1] }), 'inner, never closed');
  assert.equal(section(mc, { part: [3] }), 'last, no close\r\n');
  // "--bb" is not a boundary of "b"; a close delimiter may have junk after it.
  const p = crlf('Content-Type: multipart/mixed; boundary=b', '', '--b', '', 'x', '--bb', 'y', '--b  ', '', 'z', '--b--garbage', 'epi', '');
  const r3 = mime.parseStructure(p);
  assert.equal(r3.parts.length, 2);
  assert.equal(section(p, { part: [1] }), 'x\r\n--bb\r\ny');
  assert.equal(section(p, { part: [2] }), 'z');
});

test('message/global is an encapsulated message too (RFC 6532, RFC 9051)', () => {
  const raw = crlf('Subject: g', 'Content-Type: message/global', '', 'Subject: inner', 'Content-Type: text/plain; charset=utf-8', '', 'x', '');
  const root = mime.parseStructure(raw);
  assert.equal(root.message?.subtype, 'plain');
  assert.equal(section(raw, { part: [1], text: 'HEADER.FIELDS', fields: ['subject'] }), 'Subject: inner\r\n\r\n');
  assert.match(imap(mime.bodyStructure(raw, root)), /^\("message" "global" NIL NIL NIL "7bit" 62 \(NIL "inner" /);
});

test('multipart/digest parts default to message/rfc822', () => {
  const raw = crlf('Content-Type: multipart/digest; boundary=d', '', '--d', '', 'Subject: one', '', 'first', '--d--', '');
  const root = mime.parseStructure(raw);
  assert.equal(mime.mediaType(root.parts[0]!), 'message/rfc822');
  assert.equal(section(raw, { part: [1, 1] }), 'first');
});

test('nesting deeper than MAX_DEPTH becomes opaque, and parsing stays linear', () => {
  const depth = 300;
  let head = '';
  let tail = '';
  for (let i = 0; i < depth; i++) {
    head += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
    tail = `\r\n--b${i}--` + tail;
  }
  const raw = bytes(head + 'Content-Type: text/plain\r\n\r\ndeep' + tail + '\r\n');
  const root = mime.parseStructure(raw);
  let p = root;
  let n = 0;
  while (p.parts.length) { p = p.parts[0]!; n++; }
  assert.equal(n, mime.MAX_DEPTH);
  assert.equal(mime.mediaType(p), 'application/octet-stream');
  assert.doesNotThrow(() => imap(mime.bodyStructure(raw, root)));
});

test('a 20 MB message with attachments parses quickly and without copying bodies', () => {
  const b64 = Buffer.alloc(7_500_000, 0x41).toString('base64').replace(/.{76}/g, '$&\r\n');
  const parts = [0, 1].map((i) => `--x\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=f${i}.bin\r\n\r\n${b64}\r\n`);
  const raw = bytes(`From: a@b\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n${parts.join('')}--x--\r\n`);
  assert.ok(raw.length > 20_000_000);
  const t0 = performance.now();
  const root = mime.parseStructure(raw);
  const ms = performance.now() - t0;
  assert.equal(root.parts.length, 3);
  assert.ok(ms < 1000, `parse took ${ms} ms`);
  assert.equal(mime.binarySize(raw, root, [2]), 7_500_000);
  assert.equal(mime.sectionBytes(raw, root, { part: [3] }).buffer, raw.buffer);
});

test('huge headers are bounded: fields past the cap are not kept, except the ones MIME needs', () => {
  const lines = Array.from({ length: 20000 }, (_, i) => `X-Junk-${i}: ${i}`);
  const raw = crlf(...lines, 'Subject: late', 'Content-Type: text/html', '', 'body');
  const root = mime.parseStructure(raw);
  assert.ok(root.headers.length < 6000);
  assert.equal(mime.mediaType(root), 'text/html');
  assert.equal(section(raw, { part: [], text: 'HEADER.FIELDS', fields: ['x-junk-19999'] }), 'X-Junk-19999: 19999\r\n\r\n');
});

test('BINARY: unknown encodings are UNKNOWN-CTE; quoted-printable soft breaks and padding', () => {
  const raw = fixture('unknown-cte.eml');
  const root = mime.parseStructure(raw);
  assert.deepEqual(mime.binarySection(raw, root, [2]), { error: 'UNKNOWN-CTE', encoding: 'x-uuencode' });
  assert.deepEqual(mime.binarySize(raw, root, [2]), { error: 'UNKNOWN-CTE', encoding: 'x-uuencode' });
  assert.equal(text(mime.decodeQuotedPrintable(bytes('a=3Db=\r\nc  \r\nd=\nE=zz=4'))), 'a=bc\r\ndE=zz=4');
  assert.equal(text(mime.decodeBase64(bytes('aGVs\r\nbG8=\r\nd29y bGQ='))), 'helloworld');
  // BINARY[] of a single-part encoded message: header says binary, body decoded.
  const single = crlf('Subject: s', 'Content-Transfer-Encoding: base64', '', 'aGk=', '');
  const whole = mime.binarySection(single, mime.parseStructure(single), []);
  assert.ok('bytes' in whole);
  assert.equal(text(whole.bytes), 'Subject: s\r\nContent-Transfer-Encoding: binary\r\n\r\nhi');
});

test('partial applies <offset.length>', () => {
  const b = bytes('0123456789');
  assert.equal(text(mime.partial(b, 2, 3)), '234');
  assert.equal(text(mime.partial(b, 8, 10)), '89');
  assert.equal(text(mime.partial(b, 20, 1)), '');
  assert.equal(text(mime.partial(b, 4)), '456789');
});

test('toCrlf converts bare LFs only', () => {
  assert.equal(text(mime.toCrlf(bytes('a\nb\r\nc\n'))), 'a\r\nb\r\nc\r\n');
  const same = bytes('a\r\n');
  assert.equal(mime.toCrlf(same), same);
});
