import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { Accounts } from '@nymote/accounts';
import { Store, memoryBackend } from '@nymote/store';
import { Authenticator, isLoopback, parseBasic } from '../src/auth.js';
import { DavError } from '../src/errors.js';
import { parseTarget } from '../src/paths.js';
import { parseXml, serialize, el, XmlError } from '../src/xml.js';
import { NS } from '../src/xml-element.js';

test('parseXml resolves prefixes and default namespaces; serialize escapes', () => {
  const x = parseXml(`<?xml version="1.0"?><A:propfind xmlns:A="DAV:" xmlns="urn:x"><A:prop><thing a:b="1" xmlns:a="urn:a">t &amp; u</thing></A:prop></A:propfind>`);
  assert.equal(x.ns, NS.DAV);
  assert.equal(x.name, 'propfind');
  const thing = x.children[0]!.children[0]!;
  assert.deepEqual([thing.ns, thing.name, thing.attrs, thing.text], ['urn:x', 'thing', { b: '1' }, 't & u']);
  assert.throws(() => parseXml('<a:b/>'), XmlError);
  assert.throws(() => parseXml('<a/><b/>'), XmlError);
  assert.throws(() => parseXml('<a>'), XmlError);
  const out = serialize(el(NS.DAV, 'x', el('urn:other', 'y', 'a<b & "c"\u0001'), el('', 'z')));
  assert.match(out, /<D:x [^>]*xmlns:x0="urn:other"><x0:y>a&lt;b &amp; "c"<\/x0:y><z xmlns=""\/><\/D:x>/);
  // An XML parser turns a literal CRLF into LF; the reference keeps iCalendar's line ends.
  assert.match(serialize(el(NS.CALDAV, 'calendar-data', 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n')), /<C:calendar-data [^>]*>BEGIN:VCALENDAR&#13;\nEND:VCALENDAR&#13;\n<\/C:calendar-data>/);
});

test('URLs name principals, homes, collections and resources; odd ones are refused', () => {
  assert.deepEqual(parseTarget('/dav/calendars/alice/work/a%20b.ics'), { type: 'resource', kind: 'calendars', user: 'alice', coll: 'work', res: 'a b.ics' });
  assert.deepEqual(parseTarget('http://h:1/dav/addressbooks/alice/'), { type: 'home', kind: 'addressbooks', user: 'alice' });
  assert.deepEqual(parseTarget('/dav/principals/alice/'), { type: 'principal', user: 'alice' });
  assert.equal(parseTarget('/elsewhere'), undefined);
  assert.equal(parseTarget('/dav/calendars/alice/a/b/c'), undefined);
  assert.throws(() => parseTarget('/dav/calendars/alice/%2e%2e/x'), DavError);
  assert.throws(() => parseTarget('/dav/calendars/alice/%zz/'), DavError);
});

test('Basic credentials; plain HTTP only from loopback', async () => {
  assert.deepEqual(parseBasic(`Basic ${Buffer.from('a:b:c').toString('base64')}`), { name: 'a', password: 'b:c' });
  assert.equal(parseBasic('Bearer x'), undefined);
  assert.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('::ffff:127.0.0.1'));
  assert.ok(!isLoopback('192.168.1.2') && !isLoopback(undefined));
  const store = new Store(memoryBackend());
  const accounts = new Accounts(store, { cost: { ln: 4, r: 8, p: 1 } });
  await accounts.add('alice', 'correct horse battery');
  const auth = new Authenticator(accounts);
  const req = (remoteAddress: string, password: string) => ({
    socket: { remoteAddress },
    headers: { authorization: `Basic ${Buffer.from(`alice:${password}`).toString('base64')}` },
  }) as unknown as IncomingMessage;
  assert.equal(await auth.authenticate(req('127.0.0.1', 'correct horse battery')), 'alice');
  await assert.rejects(auth.authenticate(req('10.0.0.1', 'correct horse battery')), (e: DavError) => e.status === 403 && /TLS/.test(e.message));
  await assert.rejects(auth.authenticate(req('127.0.0.1', 'wrong one')), (e: DavError) => e.status === 401);
  await accounts.setPassword('alice', 'another long one');
  // The remembered login was for the old password, which now fails at once; so does a removed user.
  await assert.rejects(auth.authenticate(req('127.0.0.1', 'correct horse battery')), (e: DavError) => e.status === 401);
  assert.equal(await auth.authenticate(req('127.0.0.1', 'another long one')), 'alice');
  await accounts.remove('alice');
  await assert.rejects(auth.authenticate(req('127.0.0.1', 'another long one')), (e: DavError) => e.status === 401);
  await assert.rejects(auth.authenticate({ socket: { remoteAddress: '127.0.0.1' }, headers: { authorization: `Basic ${Buffer.from('../x:y').toString('base64')}` } } as unknown as IncomingMessage), (e: DavError) => e.status === 401);
});
