import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Accounts } from '@nymote/accounts';
import { openStore } from '@nymote/store/node';
import { createDavServer } from '../src/index.js';
import type { AddressInfo } from 'node:net';
import { PASSWORD, event, startServer, vcard, type TestServer } from './dav-helpers.js';

let s: TestServer;
before(async () => {
  s = await startServer(['alice']);
  await s.request('PUT', `${CAL}early.ics`, { body: event('early', 'Early', '20261101T090000Z', '20261101T100000Z') });
  await s.request('PUT', `${CAL}late.ics`, { body: event('late', 'Late', '20261215T090000Z', '20261215T100000Z') });
  await s.request('PUT', `${BOOK}ann.vcf`, { body: vcard('ann', 'Ann', '4.0', 'ann@work.example') });
  await s.request('PUT', `${BOOK}ben.vcf`, { body: vcard('ben', 'Ben', '3.0', 'ben@home.example') });
});
after(async () => { await s.close(); });

const CAL = '/dav/calendars/alice/default/';
const BOOK = '/dav/addressbooks/alice/default/';
const hrefs = (text: string) => [...text.matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) => m[1]!).sort();

test('calendar-multiget: data and etags; a missing href is a 404 response', async () => {
  const r = await s.request('REPORT', CAL, {
    headers: { Depth: '1' },
    body: `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>
      <D:href>${CAL}early.ics</D:href><D:href>${CAL}missing.ics</D:href></C:calendar-multiget>`,
  });
  assert.equal(r.status, 207);
  // CR as a character reference, or the client's XML parser would hand it LF line ends.
  assert.match(r.text, /<C:calendar-data>BEGIN:VCALENDAR&#13;\n/);
  assert.match(r.text, /SUMMARY:Early/);
  assert.match(r.text, /<D:href>\/dav\/calendars\/alice\/default\/missing.ics<\/D:href><D:status>HTTP\/1.1 404 Not Found<\/D:status>/);
});

test('calendar-query with a time range returns only the events in it', async () => {
  const r = await s.request('REPORT', CAL, {
    headers: { Depth: '1' },
    body: `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>
      <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20261201T000000Z" end="20270101T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`,
  });
  assert.equal(r.status, 207);
  assert.deepEqual(hrefs(r.text), [`${CAL}late.ics`]);
  const all = await s.request('REPORT', CAL, {
    headers: { Depth: '1' },
    body: `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>
      <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter></C:calendar-query>`,
  });
  assert.deepEqual(hrefs(all.text), [`${CAL}early.ics`, `${CAL}late.ics`]);
  const todos = await s.request('REPORT', CAL, {
    headers: { Depth: '1' },
    body: `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>
      <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"/></C:comp-filter></C:filter></C:calendar-query>`,
  });
  assert.deepEqual(hrefs(todos.text), []);
  const bad = await s.request('REPORT', CAL, {
    body: `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><C:filter><C:comp-filter name="VEVENT"/></C:filter></C:calendar-query>`,
  });
  assert.ok(bad.status === 400 || bad.status === 403, String(bad.status));
  assert.match(bad.text, /<D:error/);
});

test('addressbook-query with a text-match on EMAIL; addressbook-multiget', async () => {
  const r = await s.request('REPORT', BOOK, {
    headers: { Depth: '1' },
    body: `<CR:addressbook-query xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><CR:address-data/></D:prop>
      <CR:filter><CR:prop-filter name="EMAIL"><CR:text-match match-type="contains">work</CR:text-match></CR:prop-filter></CR:filter></CR:addressbook-query>`,
  });
  assert.equal(r.status, 207);
  assert.deepEqual(hrefs(r.text), [`${BOOK}ann.vcf`]);
  assert.match(r.text, /<CR:address-data>BEGIN:VCARD/);
  const m = await s.request('REPORT', BOOK, {
    body: `<CR:addressbook-multiget xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><CR:address-data/></D:prop>
      <D:href>${BOOK}ben.vcf</D:href></CR:addressbook-multiget>`,
  });
  assert.match(m.text, /FN:Ben/);
});

test('free-busy-query answers a VFREEBUSY', async () => {
  const r = await s.request('REPORT', CAL, {
    body: `<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20261201T000000Z" end="20270101T000000Z"/></C:free-busy-query>`,
  });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/calendar/);
  assert.match(r.text, /BEGIN:VFREEBUSY/);
  assert.match(r.text, /FREEBUSY[^:]*:20261215T090000Z\/20261215T100000Z/);
});

test('sync-collection: initial sync, changes since a token, and the token survives a restart', async () => {
  const first = await s.request('REPORT', BOOK, {
    body: `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`,
  });
  assert.equal(first.status, 207);
  assert.deepEqual(hrefs(first.text), [`${BOOK}ann.vcf`, `${BOOK}ben.vcf`]);
  const token = /<D:sync-token>([^<]+)<\/D:sync-token>/.exec(first.text)![1]!;

  await s.request('DELETE', `${BOOK}ben.vcf`);
  await s.request('PUT', `${BOOK}cy.vcf`, { body: vcard('cy', 'Cy') });

  // A second server over the same repository: nothing but the store carries the token's meaning.
  const store = await openStore(s.repo);
  const server = createDavServer({ store, accounts: new Accounts(store, { cost: { ln: 4, r: 8, p: 1 } }) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const r = await fetch(url + BOOK, {
      method: 'REPORT',
      headers: { Authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}` },
      body: `<D:sync-collection xmlns:D="DAV:"><D:sync-token>${token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`,
    });
    const text = await r.text();
    assert.equal(r.status, 207);
    assert.deepEqual(hrefs(text), [`${BOOK}ben.vcf`, `${BOOK}cy.vcf`]);
    assert.match(text, /<D:href>\/dav\/addressbooks\/alice\/default\/ben.vcf<\/D:href><D:status>HTTP\/1.1 404 Not Found/);
    assert.doesNotMatch(text, new RegExp(`<D:sync-token>${token}<`));
  } finally {
    server.close();
    await store.close();
  }
  const bad = await s.request('REPORT', BOOK, {
    body: `<D:sync-collection xmlns:D="DAV:"><D:sync-token>http://nymote.org/ns/sync/0000000000000000000000000000000000000000</D:sync-token><D:sync-level>1</D:sync-level><D:prop/></D:sync-collection>`,
  });
  assert.equal(bad.status, 403);
  assert.match(bad.text, /<D:valid-sync-token\/>/);
});

test('calendar-data with expand gives the instances of a recurring event in the range', async () => {
  const weekly = event('weekly', 'Weekly', '20261202T090000Z', '20261202T100000Z').replace('SUMMARY:Weekly', 'SUMMARY:Weekly\r\nRRULE:FREQ=WEEKLY;COUNT=10');
  assert.equal((await s.request('PUT', `${CAL}weekly.ics`, { body: weekly })).status, 201);
  const r = await s.request('REPORT', CAL, {
    headers: { Depth: '1' },
    body: `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>
      <C:calendar-data><C:expand start="20261201T000000Z" end="20261220T000000Z"/></C:calendar-data></D:prop>
      <D:href>${CAL}weekly.ics</D:href></C:calendar-multiget>`,
  });
  assert.equal(r.status, 207);
  assert.equal((r.text.match(/RECURRENCE-ID/g) ?? []).length, 3);
  assert.doesNotMatch(r.text, /RRULE/);
  await s.request('DELETE', `${CAL}weekly.ics`);
});
