import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NS } from '../src/xml-element.js';
import { matchVCard, parseAddressbookFilter, QueryError, type AddressbookFilter } from '../src/query/index.js';
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
