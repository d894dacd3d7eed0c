import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NS } from '../src/xml-element.js';
import ICAL from 'ical.js';
import { addressData, convertVCard, matchVCard, parseAddressData, parseAddressbookFilter, QueryError, type AddressbookFilter } from '../src/query/index.js';
import { CR, el, ics } from './query-helpers.js';

const ana = ics('BEGIN:VCARD', 'VERSION:4.0', 'UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1', 'FN:Ana Lima',
  'N:Lima;Ana;;Dr.;', 'EMAIL;TYPE=work:ana.lima@example.com', 'EMAIL;TYPE=home:ana@home.example',
  'TEL;VALUE=uri;TYPE="voice,cell":tel:+33-6-12-34-56-78', 'ORG:Example Corp', 'NOTE:Prefers Café meetings', 'END:VCARD');
// vCard 3.0 as Apple Contacts writes it: grouped properties, repeated TYPE parameters.
const bob = ics('BEGIN:VCARD', 'VERSION:3.0', 'PRODID:-//Apple Inc.//iOS 17.0//EN', 'N:Martin;Bob;;;', 'FN:Bob Martin',
  'item1.EMAIL;TYPE=INTERNET;TYPE=WORK;TYPE=pref:bob@work.example', 'TEL;TYPE=HOME;TYPE=VOICE:+1 555 0100',
  'UID:bob-1', 'END:VCARD');

const f = (attrs: Record<string, string>, ...props: ReturnType<typeof CR.prop>[]): AddressbookFilter =>
  parseAddressbookFilter(CR.filter(attrs, ...props));

describe('CardDAV prop-filter and text-match', () => {
  test('contains is the default match-type, case-insensitive', () => {
    const q = f({}, CR.prop('FN', {}, CR.text('lima')));
    assert.equal(matchVCard(ana, q), true);
    assert.equal(matchVCard(bob, q), false);
  });

  test('match-types', () => {
    const m = (mt: string, v: string, card = ana) => matchVCard(card, f({}, CR.prop('EMAIL', {}, CR.text(v, { 'match-type': mt }))));
    assert.equal(m('equals', 'ANA.LIMA@example.com'), true);
    assert.equal(m('equals', 'ana.lima@example'), false);
    assert.equal(m('starts-with', 'ana.'), true);
    assert.equal(m('starts-with', 'lima'), false);
    assert.equal(m('ends-with', '@home.example'), true, 'any EMAIL property');
    assert.equal(m('ends-with', '.org'), false);
    assert.equal(m('contains', 'work.exam', bob), true, 'grouped item1.EMAIL in vCard 3');
  });

  test('property names are case-insensitive', () => {
    assert.equal(matchVCard(ana, f({}, CR.prop('email', {}, CR.text('ana')))), true);
  });

  test('structured values: N matches its components and its joined text', () => {
    assert.equal(matchVCard(ana, f({}, CR.prop('N', {}, CR.text('Lima', { 'match-type': 'equals' })))), true);
    assert.equal(matchVCard(ana, f({}, CR.prop('N', {}, CR.text('lima;ana', { 'match-type': 'starts-with' })))), true);
  });

  test('collations: unicode-casemap is the CardDAV default, ascii-casemap and octet are available', () => {
    assert.equal(matchVCard(ana, f({}, CR.prop('NOTE', {}, CR.text('CAFÉ')))), true);
    assert.equal(matchVCard(ana, f({}, CR.prop('NOTE', {}, CR.text('CAFÉ', { collation: 'i;ascii-casemap' })))), false);
    assert.equal(matchVCard(ana, f({}, CR.prop('NOTE', {}, CR.text('café', { collation: 'i;octet' })))), false);
    assert.equal(matchVCard(ana, f({}, CR.prop('NOTE', {}, CR.text('Café', { collation: 'i;octet' })))), true);
  });

  test('negate-condition', () => {
    assert.equal(matchVCard(ana, f({}, CR.prop('FN', {}, CR.text('bob', { 'negate-condition': 'yes' })))), true);
    assert.equal(matchVCard(bob, f({}, CR.prop('FN', {}, CR.text('bob', { 'negate-condition': 'yes' })))), false);
  });

  test('is-not-defined and bare existence', () => {
    assert.equal(matchVCard(bob, f({}, CR.prop('ORG', {}, CR.notDefined()))), true);
    assert.equal(matchVCard(ana, f({}, CR.prop('ORG', {}, CR.notDefined()))), false);
    assert.equal(matchVCard(ana, f({}, CR.prop('ORG', {}))), true);
    assert.equal(matchVCard(bob, f({}, CR.prop('ORG', {}))), false);
  });
});

describe('CardDAV param-filter', () => {
  test('TYPE=work, in vCard 4 and in vCard 3 with repeated TYPE', () => {
    const work = f({}, CR.prop('EMAIL', {}, CR.param('TYPE', CR.text('work', { 'match-type': 'equals' }))));
    assert.equal(matchVCard(ana, work), true);
    assert.equal(matchVCard(bob, work), true);
    const cell = f({}, CR.prop('TEL', {}, CR.param('TYPE', CR.text('cell', { 'match-type': 'equals' }))));
    assert.equal(matchVCard(ana, cell), true, 'TYPE="voice,cell"');
    assert.equal(matchVCard(bob, cell), false);
  });

  test('param existence and is-not-defined', () => {
    assert.equal(matchVCard(ana, f({}, CR.prop('FN', {}, CR.param('LANGUAGE', CR.notDefined())))), true);
    assert.equal(matchVCard(ana, f({}, CR.prop('EMAIL', {}, CR.param('TYPE')))), true);
    assert.equal(matchVCard(ana, f({}, CR.prop('FN', {}, CR.param('TYPE')))), false);
  });

  test('prop-filter test="allof" needs text and param on the same property', () => {
    const q = (test: string) => f({}, CR.prop('EMAIL', { test },
      CR.text('home.example', { 'match-type': 'ends-with' }), CR.param('TYPE', CR.text('work', { 'match-type': 'equals' }))));
    assert.equal(matchVCard(ana, q('anyof')), true);
    assert.equal(matchVCard(ana, q('allof')), false, 'the home address is not TYPE=work');
  });
});

describe('CardDAV filter test', () => {
  const fnBob = CR.prop('FN', {}, CR.text('bob'));
  const hasOrg = CR.prop('ORG', {});
  test('anyof (default) and allof at the filter level', () => {
    assert.equal(matchVCard(bob, f({}, fnBob, hasOrg)), true);
    assert.equal(matchVCard(bob, f({ test: 'anyof' }, fnBob, hasOrg)), true);
    assert.equal(matchVCard(bob, f({ test: 'allof' }, fnBob, hasOrg)), false);
    assert.equal(matchVCard(ana, f({ test: 'allof' }, CR.prop('FN', {}, CR.text('ana')), hasOrg)), true);
  });

  test('an empty filter matches every card; unparseable text none', () => {
    assert.equal(matchVCard(ana, f({})), true);
    assert.equal(matchVCard('garbage', f({})), false);
    assert.equal(matchVCard(ics('BEGIN:VCALENDAR', 'VERSION:2.0', 'END:VCALENDAR'), f({})), false);
  });
});

describe('parseAddressbookFilter errors', () => {
  const bad = (x: ReturnType<typeof CR.filter>, precondition: string) =>
    assert.throws(() => parseAddressbookFilter(x), (e: unknown) => e instanceof QueryError && e.precondition === precondition);
  test('bad test, collation, match-type, structure', () => {
    bad(CR.filter({ test: 'someof' }), 'valid-filter');
    bad(CR.filter({}, CR.prop('FN', { test: 'none' })), 'valid-filter');
    bad(CR.filter({}, CR.prop('FN', {}, CR.text('x', { collation: 'i;basic' }))), 'supported-collation');
    bad(CR.filter({}, CR.prop('FN', {}, CR.text('x', { 'match-type': 'regex' }))), 'supported-filter');
    bad(CR.filter({}, CR.prop('FN', {}, CR.notDefined(), CR.text('x'))), 'valid-filter');
    bad(CR.filter({}, el(NS.CARDDAV, 'prop-filter')), 'valid-filter');
    assert.throws(() => parseAddressbookFilter(el(NS.CALDAV, 'filter')), QueryError);
  });
});

// address-data request elements (RFC 6352 10.4).
const AD = {
  data: (attrs: Record<string, string>, ...kids: ReturnType<typeof el>[]) => el(NS.CARDDAV, 'address-data', attrs, kids),
  prop: (name: string, novalue?: string) => el(NS.CARDDAV, 'prop', { name, ...(novalue ? { novalue } : {}) }),
};
const card = (text: string) => new ICAL.Component(ICAL.parse(text) as never);
const names = (text: string) => card(text).getAllProperties().map((p) => p.name);

describe('address-data prop selection (RFC 6352 10.4)', () => {
  test('only the named properties, plus VERSION; groups do not hide a property', () => {
    const out = addressData(bob, parseAddressData(AD.data({}, AD.prop('FN'), AD.prop('EMAIL'))))!;
    assert.deepEqual(names(out), ['version', 'fn', 'email']);
    assert.match(out, /\r\nitem1\.EMAIL;TYPE=INTERNET;TYPE=WORK;TYPE=pref:bob@work\.example\r\n/, 'the stored line as it was');
  });

  test('novalue="yes" keeps name and parameters with an empty value', () => {
    const out = addressData(ana, parseAddressData(AD.data({}, AD.prop('UID'), AD.prop('TEL', 'yes'))))!;
    assert.match(out, /\r\nTEL;VALUE=uri;TYPE="voice,cell":\r\n/);
    assert.match(out, /\r\nUID:urn:uuid:4fbe8971/);
    assert.doesNotMatch(out, /FN:|EMAIL/);
  });

  test('an empty address-data or allprop returns the stored card', () => {
    assert.equal(addressData(ana, parseAddressData(AD.data({}))), ana);
    assert.equal(addressData(ana, parseAddressData(AD.data({}, el(NS.CARDDAV, 'allprop')))), ana);
    assert.equal(addressData(ana, parseAddressData(AD.data({ 'content-type': 'text/vcard', version: '4.0' }))), ana, 'already 4.0');
  });

  test('errors: other media types and versions are supported-address-data; malformed requests have no precondition', () => {
    const fails = (e: ReturnType<typeof el>, precondition: string | undefined, msg: RegExp) =>
      assert.throws(() => parseAddressData(e), (x: unknown) => x instanceof QueryError && x.precondition === precondition && msg.test(x.message));
    fails(AD.data({ 'content-type': 'application/vcard+json' }), 'supported-address-data', /vcard\+json/);
    fails(AD.data({ version: '2.1' }), 'supported-address-data', /2\.1/);
    fails(AD.data({}, el(NS.CARDDAV, 'allprop'), AD.prop('FN')), undefined, /allprop and prop/);
    fails(AD.data({}, el(NS.CARDDAV, 'prop')), undefined, /name/);
    fails(AD.data({}, AD.prop('FN', 'sometimes')), undefined, /novalue/);
    fails(AD.data({}, el(NS.CARDDAV, 'comp', { name: 'X' })), undefined, /unexpected comp/);
  });
});

describe('vCard 3.0 <-> 4.0 conversion', () => {
  test('3.0 to 4.0: VERSION, TYPE=pref to PREF, no TYPE=internet, inline photo to a data: URI, Apple groups to KIND/MEMBER', () => {
    const three = ics('BEGIN:VCARD', 'VERSION:3.0', 'N:Martin;Bob;;;', 'FN:Bob Martin', 'UID:bob-1',
      'item1.EMAIL;TYPE=INTERNET;TYPE=WORK;TYPE=pref:bob@work.example', 'TEL;TYPE=CELL:+1 555 0100',
      'PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRg==', 'END:VCARD');
    const out = addressData(three, parseAddressData(AD.data({ version: '4.0' })))!;
    const c = card(out);
    assert.equal(c.getFirstPropertyValue('version'), '4.0');
    const email = c.getFirstProperty('email')!;
    assert.equal(email.getParameter('pref'), '1');
    assert.equal(String(email.getParameter('type')).toLowerCase(), 'work');
    assert.equal(email.getParameter('group'), 'item1');
    assert.equal(c.getFirstPropertyValue('photo'), 'data:image/jpeg;base64,/9j/4AAQSkZJRg==');
    assert.equal(c.getFirstPropertyValue('tel'), '+1 555 0100');
    assert.match(out, /\r\nN:Martin;Bob;;;\r\n/, 'unchanged lines are kept as stored');
    const group = convertVCard(ics('BEGIN:VCARD', 'VERSION:3.0', 'FN:Team', 'N:Team;;;;', 'X-ADDRESSBOOKSERVER-KIND:group',
      'X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:bob-1', 'END:VCARD'), '4.0')!;
    assert.match(group, /\r\nKIND:group\r\nMEMBER:urn:uuid:bob-1\r\n/);
  });

  test('4.0 to 3.0: PREF to TYPE=pref, tel: URIs to numbers, data: URIs to inline binary, N added, 4.0-only parameters dropped', () => {
    const four = ics('BEGIN:VCARD', 'VERSION:4.0', 'FN:Ana Lima', 'UID:ana', 'KIND:individual',
      'EMAIL;PREF=1;PID=1.1;TYPE=work:ana@example.com', 'TEL;VALUE=uri;TYPE="voice,cell":tel:+33-6-12-34-56-78',
      'PHOTO:data:image/png;base64,iVBORw0KGgo=', 'LOGO:https://example.com/logo.png', 'END:VCARD');
    const out = addressData(four, parseAddressData(AD.data({ 'content-type': 'text/vcard', version: '3.0' })))!;
    const c = card(out);
    assert.equal(c.getFirstPropertyValue('version'), '3.0');
    assert.deepEqual(c.getFirstProperty('n')!.getFirstValue(), ['Ana Lima', '', '', '', '']);
    const email = c.getFirstProperty('email')!;
    assert.deepEqual(email.getParameter('type'), ['work', 'pref']);
    assert.equal(email.getParameter('pid'), undefined);
    assert.equal(c.getFirstPropertyValue('tel'), '+33-6-12-34-56-78');
    assert.match(out, /\r\nTEL;TYPE=voice,cell:\+33-6-12-34-56-78\r\n/);
    assert.match(out, /\r\nPHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgo=\r\n/);
    assert.match(out, /\r\nLOGO;VALUE=uri:https:\/\/example.com\/logo.png\r\n/);
    assert.match(out, /\r\nX-ADDRESSBOOKSERVER-KIND:individual\r\n/);
  });

  test('selection applies after conversion; long converted lines are folded', () => {
    const photo = 'A'.repeat(200);
    const three = ics('BEGIN:VCARD', 'VERSION:3.0', 'FN:P', 'N:P;;;;', `PHOTO;ENCODING=b;TYPE=JPEG:${photo}`, 'END:VCARD');
    const out = addressData(three, parseAddressData(AD.data({ version: '4.0' }, AD.prop('PHOTO'))))!;
    assert.ok(out.split('\r\n').every((l) => Buffer.byteLength(l) <= 75));
    assert.deepEqual(names(out), ['version', 'photo']);
    assert.equal(card(out).getFirstPropertyValue('photo'), `data:image/jpeg;base64,${photo}`);
  });

  test('a card that cannot be converted gives undefined', () => {
    assert.equal(addressData('garbage', parseAddressData(AD.data({ version: '4.0' }))), undefined);
    assert.equal(convertVCard(ics('BEGIN:VCARD', 'FN:x', 'END:VCARD'), '3.0'), undefined);
  });
});
