// ENVELOPE and address lists (RFC 3501 7.4.2, RFC 5322 3.4 and 4.4).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as mime from '../src/mime/index.js';
import { crlf, fixture, imap } from './mime-helpers.js';

const env = (raw: Buffer): string => imap(mime.envelope(raw, mime.parseStructure(raw).headers));
const addrs = (s: string): string => imap(mime.addressList(mime.parseAddressList(s)));

test('ENVELOPE of a simple message: strings unfolded, reply-to and sender default to from', () => {
  assert.equal(env(fixture('simple.eml')),
    '("Tue, 3 Mar 2026 10:59:59 +0100 (CET)" "Lunch on Friday?" (("Alice Example" NIL "alice" "example.org")) ' +
    '(("Alice Example" NIL "alice" "example.org")) (("Alice Example" NIL "alice" "example.org")) ' +
    '(("Bob" NIL "bob" "example.net") (NIL NIL "carol" "example.com")) (("Dave, Jr." NIL "dave" "example.com")) NIL ' +
    '"<prev.1@example.net>" "<20260303105959.1234@example.org>")');
});

test('groups, routes, comments as names, missing host and mailbox', () => {
  const e = env(fixture('groups.eml'));
  assert.ok(e.includes('(("Reply Here" NIL "reply" "example.com"))'));
  assert.ok(e.includes('("Mary Smith" "@machine.tld,@relay.tld" "mary" "x.test")'));
  assert.ok(e.includes('((NIL NIL "A Group" NIL) ("Ed Jones" NIL "c" "a.test") (NIL NIL "joe" "where.test") ("John" NIL "jdoe" "one.test") (NIL NIL NIL NIL) (NIL NIL "undisclosed-recipients" NIL) (NIL NIL NIL NIL))'));
  assert.ok(e.includes('((NIL NIL "nohost" "MISSING_DOMAIN") (NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN") ("quoted \\"name\\"" NIL "q" "example.com"))'));
  assert.equal(addrs('undisclosed-recipients:;'), '((NIL NIL "undisclosed-recipients" NIL) (NIL NIL NIL NIL))');
  assert.equal(addrs('"a b"@example.com, x.y@[10.0.0.1]'), '((NIL NIL "\\"a b\\"" "example.com") (NIL NIL "x.y" "[10.0.0.1]"))');
  assert.equal(addrs('Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>'), '(("Pete" NIL "pete" "silly.test"))');
  assert.equal(addrs(''), 'NIL');
  assert.equal(addrs('(just a comment), ,'), 'NIL');
  // Found by the property test: a stray ")" once made the tokenizer loop forever.
  assert.equal(addrs('g:joe@where.tes) a comment)'), '((NIL NIL "g" NIL) (NIL NIL "joe" "where.tes") (NIL NIL "a" "MISSING_DOMAIN") (NIL NIL "comment" "MISSING_DOMAIN") (NIL NIL NIL NIL))');
});

test('encoded words stay encoded; 8-bit UTF-8 headers are text; other 8-bit bytes stay bytes', () => {
  assert.ok(env(fixture('encoded-words.eml')).includes('(("=?koi8-r?B?8NLJ18XU?=" NIL "ivan" "example.ru"))'));
  const utf8 = mime.envelope(fixture('utf8-headers.eml'), mime.parseStructure(fixture('utf8-headers.eml')).headers) as unknown[];
  assert.equal(utf8[1], 'café naïve');
  const latin = Buffer.concat([Buffer.from('Subject: caf'), Buffer.from([0xe9]), Buffer.from('\r\n\r\n')]);
  const e = mime.envelope(latin, mime.parseStructure(latin).headers) as unknown[];
  assert.ok(e[1] instanceof Uint8Array);
  assert.deepEqual([...(e[1] as Uint8Array)], [0x63, 0x61, 0x66, 0xe9]);
});

test('missing and empty headers', () => {
  assert.equal(env(Buffer.alloc(0)), '(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)');
  assert.equal(env(crlf('From: a@b', 'Reply-To:', 'Sender: g:;', 'Subject:', '', '')),
    '(NIL "" ((NIL NIL "a" "b")) ((NIL NIL "g" NIL) (NIL NIL NIL NIL)) ((NIL NIL "a" "b")) NIL NIL NIL NIL NIL)');
});
