// Decoding for SEARCH: encoded words, charsets, body text, matching, dates and the summary.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as mime from '../src/mime/index.js';
import { crlf, fixture } from './mime-helpers.js';

test('encoded words in several charsets, adjacent words joined, malformed ones kept', () => {
  const raw = fixture('encoded-words.eml');
  const root = mime.parseStructure(raw);
  assert.deepEqual(mime.headerTexts(raw, root, 'subject'), ['café crème ą✓ done plain what =?utf-8?q?bro=ken?=']);
  assert.deepEqual(mime.headerTexts(raw, root, 'From'), ['Привет <ivan@example.ru>']);
  assert.deepEqual(mime.headerTexts(raw, root, 'to'), ['日本語 <taro@example.jp>, 日本語 <jiro@example.jp>']);
  assert.deepEqual(mime.headerTexts(raw, root, 'cc'), ['中文 <zh@example.cn>, Café <cafe@example.fr>']);
  // A multi-byte character split across two encoded words.
  assert.equal(mime.decodeEncodedWords('=?utf-8?B?w6k=?= =?utf-8?B?w6k=?= x =?UTF-8?Q?=C3?= =?UTF-8?Q?=A9?='), 'éé x é');
  assert.equal(mime.decodeEncodedWords('=?x-unknown?Q?caf=C3=A9?='), 'café');
  assert.equal(mime.decodeEncodedWords('=?utf-8*en?Q?hi?='), 'hi');
});

test('body text: transfer encoding and charset undone, HTML reduced to text', () => {
  const ew = fixture('encoded-words.eml');
  assert.equal(mime.bodyText(ew, mime.parseStructure(ew)), 'Привет мир!\n');
  const alt = fixture('alternative.eml');
  const t = mime.bodyText(alt, mime.parseStructure(alt));
  assert.ok(t.includes('Grüße aus München! Ein sehr langer Satz, der umbrochen werden muss'));
  assert.ok(t.includes('Grüße aus  München !'));
  const fwd = fixture('forward.eml');
  const f = mime.bodyText(fwd, mime.parseStructure(fwd));
  assert.ok(f.includes('Subject: Lunch on Friday?') && f.includes('Are we still on?') && f.includes('just text'));
  const mixed = fixture('mixed-attachments.eml');
  assert.ok(!mime.bodyText(mixed, mime.parseStructure(mixed)).includes('PDF'), 'attachments are not text');
  assert.equal(mime.htmlToText('<style>p{}</style><p>a&amp;b&#233;&#x41;&nbsp;</p>'), '  a&béA  ');
});

test('matching is case-insensitive, Unicode-aware substring matching', () => {
  assert.ok(mime.matchesSearch('Lunch on Friday?', 'FRIDAY'));
  assert.ok(mime.matchesSearch('Grüße', 'GRÜSSE'));
  assert.ok(mime.matchesSearch('Cafe\u0301', 'CAFÉ'));
  assert.ok(!mime.matchesSearch('café', 'cafe'));
  assert.ok(mime.matchesSearch('ＡＢＣ', 'abc'));
  assert.ok(mime.matchesSearch('anything', ''));
  const t = mime.messageText(fixture('utf8-headers.eml'), mime.parseStructure(fixture('utf8-headers.eml')));
  assert.ok(mime.matchesSearch(t, 'jürgen') && mime.matchesSearch(t, 'ŒUVRE') && mime.matchesSearch(t, 'zoë'));
});

test('dates: RFC 5322, obsolete forms, zones', () => {
  const d = mime.parseDate('Tue, 3 Mar 2026 10:59:59 +0100 (CET)')!;
  assert.equal(d.day8, 20260303);
  assert.equal(new Date(d.time).toISOString(), '2026-03-03T09:59:59.000Z');
  const obs = mime.parseDate('Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n               -0330 (Newfoundland Time)')!;
  assert.equal(new Date(obs.time).toISOString(), '1969-02-14T03:02:00.000Z');
  assert.equal(obs.day8, 19690213, 'SENT* compares the date as written');
  const two = mime.parseDate('1 Apr 26 08:00 EST')!;
  assert.equal(new Date(two.time).toISOString(), '2026-04-01T13:00:00.000Z');
  assert.equal(mime.parseDate('5 May 99 1:02 GMT')!.year, 1999);
  assert.equal(mime.parseDate('Mon, 01 Jan 101 00:00 +0000')!.year, 2001);
  assert.equal(mime.parseDate('2026-03-09T10:00:00Z')!.day8, 20260309);
  assert.equal(mime.parseDate('garbage'), null);
  assert.equal(mime.parseDate(''), null);
});

test('the summary holds what common SEARCHes need, from the header only', () => {
  const s = mime.summarize(fixture('simple.eml'));
  assert.equal(s.size, fixture('simple.eml').length);
  assert.equal(s.subject, 'Lunch on Friday?');
  assert.equal(s.date?.day8, 20260303);
  assert.deepEqual(s.from.addresses, [{ name: 'Alice Example', address: 'alice@example.org' }]);
  assert.deepEqual(s.to.addresses.map((a) => a.address), ['bob@example.net', 'carol@example.com']);
  assert.equal(s.cc.text, '"Dave, Jr." <dave@example.com>');
  assert.equal(s.bcc.text, null);
  assert.equal(s.messageId, '<20260303105959.1234@example.org>');
  assert.deepEqual(s.inReplyTo, ['<prev.1@example.net>']);
  assert.deepEqual(s.references, ['<root.0@example.net>', '<prev.1@example.net>']);
  const e = mime.summarize(fixture('encoded-words.eml'));
  assert.equal(e.from.text, 'Привет <ivan@example.ru>');
  assert.deepEqual(e.to.addresses.map((a) => a.name), ['日本語', '日本語']);
  const g = mime.summarize(crlf('To: list:a@b,c@d;', 'Message-ID: no-brackets', '', ''));
  assert.deepEqual(g.to.addresses.map((a) => a.address), ['a@b', 'c@d']);
  assert.equal(g.messageId, 'no-brackets');
});

test('charsets: known ones through TextDecoder, unknown ones fall back', () => {
  assert.equal(mime.decodeCharset(Buffer.from([0xe9]), 'ISO-8859-1'), 'é');
  assert.equal(mime.decodeCharset(Buffer.from([0x80]), 'cp1252'), '€');
  assert.equal(mime.decodeCharset(Buffer.from('é'), 'x-nonsense'), 'é');
  assert.equal(mime.decodeCharset(Buffer.from([0xe9]), 'x-nonsense'), 'é');
  assert.ok(mime.knownCharset('koi8-r') && mime.knownCharset('gb18030') && !mime.knownCharset('x-nonsense'));
});
