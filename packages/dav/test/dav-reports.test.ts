import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import ICAL from 'ical.js';
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

const CALDAV_NS = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"';
const CARDDAV_NS = 'xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"';
const unescape = (s: string) => s.replace(/&#13;/g, '\r').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
/** The calendar-data / address-data of each response, by href. */
function dataByHref(text: string, element: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/<D:response>([\s\S]*?)<\/D:response>/g)) {
    const href = /<D:href>([^<]*)<\/D:href>/.exec(m[1]!)?.[1];
    const data = new RegExp(`<${element}>([\\s\\S]*?)</${element}>`).exec(m[1]!)?.[1];
    if (href && data !== undefined) out.set(href, unescape(data));
  }
  return out;
}
const vcal = (text: string) => new ICAL.Component(ICAL.parse(text) as never);

// A weekly meeting in New York time with an alarm; the third occurrence moved by an hour, and from
// the fifth on every meeting moved to Friday (RANGE=THISANDFUTURE).
const NY_TZ = ['BEGIN:VTIMEZONE', 'TZID:America/New_York', 'BEGIN:DAYLIGHT', 'TZOFFSETFROM:-0500', 'TZOFFSETTO:-0400', 'TZNAME:EDT',
  'DTSTART:20070311T020000', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU', 'END:DAYLIGHT', 'BEGIN:STANDARD', 'TZOFFSETFROM:-0400',
  'TZOFFSETTO:-0500', 'TZNAME:EST', 'DTSTART:20071104T020000', 'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU', 'END:STANDARD', 'END:VTIMEZONE'];
const weeklyNy = [
  'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Nymote//Test//EN', ...NY_TZ,
  'BEGIN:VEVENT', 'UID:review', 'DTSTAMP:20261001T000000Z', 'DTSTART;TZID=America/New_York:20261005T100000',
  'DTEND;TZID=America/New_York:20261005T110000', 'RRULE:FREQ=WEEKLY;COUNT=8', 'SUMMARY:Review', 'DESCRIPTION:Weekly review',
  'ATTENDEE;CN=Ann;PARTSTAT=ACCEPTED:mailto:ann@example.org',
  'BEGIN:VALARM', 'ACTION:DISPLAY', 'DESCRIPTION:Review', 'TRIGGER:-PT15M', 'END:VALARM', 'END:VEVENT',
  'BEGIN:VEVENT', 'UID:review', 'DTSTAMP:20261001T000000Z', 'RECURRENCE-ID;TZID=America/New_York:20261019T100000',
  'DTSTART;TZID=America/New_York:20261019T110000', 'DTEND;TZID=America/New_York:20261019T120000', 'SUMMARY:Review (later)', 'END:VEVENT',
  'BEGIN:VEVENT', 'UID:review', 'DTSTAMP:20261001T000000Z', 'RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=America/New_York:20261102T100000',
  'DTSTART;TZID=America/New_York:20261106T100000', 'DTEND;TZID=America/New_York:20261106T110000', 'SUMMARY:Review (Fridays)', 'END:VEVENT',
  'END:VCALENDAR', ''].join('\r\n');

test('calendar-query with comp/prop selection returns only what was asked, VTIMEZONE whole', async () => {
  assert.equal((await s.request('PUT', `${CAL}review.ics`, { body: weeklyNy })).status, 201);
  try {
    const r = await s.request('REPORT', CAL, {
      headers: { Depth: '1' },
      body: `<?xml version="1.0" encoding="utf-8" ?>
<C:calendar-query ${CALDAV_NS}>
  <D:prop><D:getetag/>
    <C:calendar-data>
      <C:comp name="VCALENDAR"><C:prop name="VERSION"/>
        <C:comp name="VEVENT"><C:prop name="SUMMARY"/><C:prop name="UID"/><C:prop name="DTSTART"/><C:prop name="DTEND"/>
          <C:prop name="RRULE"/><C:prop name="RECURRENCE-ID"/><C:prop name="ATTENDEE" novalue="yes"/></C:comp>
        <C:comp name="VTIMEZONE"/>
      </C:comp>
    </C:calendar-data>
  </D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20261019T000000Z" end="20261020T000000Z"/></C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>`,
    });
    assert.equal(r.status, 207);
    const data = dataByHref(r.text, 'C:calendar-data');
    assert.deepEqual([...data.keys()], [`${CAL}review.ics`]);
    const c = vcal(data.get(`${CAL}review.ics`)!);
    assert.deepEqual(c.getAllProperties().map((p) => p.name), ['version']);
    assert.equal(c.getFirstSubcomponent('vtimezone')!.getAllSubcomponents().length, 2);
    const vevents = c.getAllSubcomponents('vevent');
    assert.equal(vevents.length, 3);
    for (const e of vevents) {
      assert.equal(e.hasProperty('dtstamp'), false);
      assert.equal(e.hasProperty('description'), false);
      assert.equal(e.getAllSubcomponents('valarm').length, 0);
    }
    assert.match(data.get(`${CAL}review.ics`)!, /\r\nATTENDEE;CN=Ann;PARTSTAT=ACCEPTED:\r\n/);
    assert.match(r.text, /<D:getetag>/);
  } finally {
    await s.request('DELETE', `${CAL}review.ics`);
  }
});

test('expand with selection, limit-recurrence-set, and THISANDFUTURE over HTTP', async () => {
  assert.equal((await s.request('PUT', `${CAL}review.ics`, { body: weeklyNy })).status, 201);
  try {
    const multiget = (calendarData: string) => s.request('REPORT', CAL, {
      body: `<C:calendar-multiget ${CALDAV_NS}><D:prop>${calendarData}</D:prop><D:href>${CAL}review.ics</D:href></C:calendar-multiget>`,
    });
    const expanded = await multiget(`<C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VEVENT"><C:prop name="SUMMARY"/><C:prop name="DTSTART"/><C:prop name="RECURRENCE-ID"/></C:comp></C:comp>
      <C:expand start="20261101T000000Z" end="20261115T000000Z"/></C:calendar-data>`);
    assert.equal(expanded.status, 207);
    const instances = vcal(dataByHref(expanded.text, 'C:calendar-data').get(`${CAL}review.ics`)!).getAllSubcomponents('vevent');
    // From 2 November on the meeting is on Fridays (10:00 EST = 15:00Z).
    assert.deepEqual(instances.map((e) => [e.getFirstProperty('dtstart')!.toICALString(), e.getFirstProperty('recurrence-id')!.toICALString(), e.getFirstPropertyValue('summary')]), [
      ['DTSTART:20261106T150000Z', 'RECURRENCE-ID:20261102T150000Z', 'Review (Fridays)'],
      ['DTSTART:20261113T150000Z', 'RECURRENCE-ID:20261109T150000Z', 'Review (Fridays)'],
    ]);
    for (const e of instances) assert.deepEqual(e.getAllProperties().map((p) => p.name).sort(), ['dtstart', 'recurrence-id', 'summary']);

    const limited = await multiget(`<C:calendar-data><C:limit-recurrence-set start="20261012T000000Z" end="20261026T000000Z"/></C:calendar-data>`);
    const kept = vcal(dataByHref(limited.text, 'C:calendar-data').get(`${CAL}review.ics`)!).getAllSubcomponents('vevent');
    assert.deepEqual(kept.map((e) => e.getFirstPropertyValue('summary')), ['Review', 'Review (later)']);
    assert.ok(kept[0]!.hasProperty('rrule'));

    // The moved Friday meeting is found by a time-range query (the cached-summary path), the
    // Monday slot it left is not.
    const query = (start: string, end: string) => s.request('REPORT', CAL, {
      headers: { Depth: '1' },
      body: `<C:calendar-query ${CALDAV_NS}><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
        <C:time-range start="${start}" end="${end}"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`,
    });
    assert.deepEqual(hrefs((await query('20261120T000000Z', '20261121T000000Z')).text), [`${CAL}review.ics`]);
    assert.deepEqual(hrefs((await query('20261116T000000Z', '20261117T000000Z')).text), []);
  } finally {
    await s.request('DELETE', `${CAL}review.ics`);
  }
});

test('calendar-data errors: 403 supported-calendar-data, 400 for a malformed selection, 400 valid-filter', async () => {
  const withData = (calendarData: string) => s.request('REPORT', CAL, {
    body: `<C:calendar-multiget ${CALDAV_NS}><D:prop>${calendarData}</D:prop><D:href>${CAL}early.ics</D:href></C:calendar-multiget>`,
  });
  const json = await withData('<C:calendar-data content-type="application/calendar+json"/>');
  assert.equal(json.status, 403);
  assert.match(json.text, /<D:error[^>]*><C:supported-calendar-data\/><\/D:error>/);
  const v1 = await withData('<C:calendar-data content-type="text/calendar" version="1.0"/>');
  assert.equal(v1.status, 403);
  const notVcal = await withData('<C:calendar-data><C:comp name="VEVENT"/></C:calendar-data>');
  assert.equal(notVcal.status, 400);
  assert.match(notVcal.text, /VCALENDAR/);
  const both = await withData('<C:calendar-data><C:comp name="VCALENDAR"><C:allprop/><C:prop name="VERSION"/></C:comp></C:calendar-data>');
  assert.equal(both.status, 400);
  assert.match(both.text, /allprop and prop/);
  const badExpand = await withData('<C:calendar-data><C:expand start="20261201T000000Z"/></C:calendar-data>');
  assert.equal(badExpand.status, 400);
  const fine = await withData('<C:calendar-data content-type="text/calendar" version="2.0"/>');
  assert.equal(fine.status, 207);
  const badRange = await s.request('REPORT', CAL, {
    headers: { Depth: '1' },
    body: `<C:calendar-query ${CALDAV_NS}><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
      <C:time-range start="2026-12-01"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`,
  });
  assert.equal(badRange.status, 400);
  assert.match(badRange.text, /<C:valid-filter\/>/);
});

test('address-data with prop selection and a vCard version', async () => {
  // ann is stored as vCard 4.0.
  const r = await s.request('REPORT', BOOK, {
    headers: { Depth: '1' },
    body: `<CR:addressbook-query ${CARDDAV_NS}><D:prop><D:getetag/>
      <CR:address-data content-type="text/vcard" version="3.0"><CR:prop name="UID"/><CR:prop name="FN"/><CR:prop name="EMAIL"/><CR:prop name="N"/></CR:address-data></D:prop>
      <CR:filter><CR:prop-filter name="FN"><CR:text-match match-type="equals">Ann</CR:text-match></CR:prop-filter></CR:filter></CR:addressbook-query>`,
  });
  assert.equal(r.status, 207);
  const card = dataByHref(r.text, 'CR:address-data').get(`${BOOK}ann.vcf`)!;
  const c = vcal(card);
  assert.equal(c.getFirstPropertyValue('version'), '3.0');
  assert.deepEqual(c.getAllProperties().map((p) => p.name), ['version', 'n', 'uid', 'fn', 'email']);
  assert.equal(c.getFirstPropertyValue('email'), 'ann@work.example');
  const novalue = await s.request('REPORT', BOOK, {
    body: `<CR:addressbook-multiget ${CARDDAV_NS}><D:prop><CR:address-data><CR:prop name="EMAIL" novalue="yes"/></CR:address-data></D:prop>
      <D:href>${BOOK}ann.vcf</D:href></CR:addressbook-multiget>`,
  });
  assert.match(dataByHref(novalue.text, 'CR:address-data').get(`${BOOK}ann.vcf`)!, /^BEGIN:VCARD\r\nVERSION:4.0\r\nEMAIL;TYPE=work:\r\nEND:VCARD\r\n$/);
  const unsupported = await s.request('REPORT', BOOK, {
    body: `<CR:addressbook-multiget ${CARDDAV_NS}><D:prop><CR:address-data version="2.1"/></D:prop><D:href>${BOOK}ann.vcf</D:href></CR:addressbook-multiget>`,
  });
  assert.equal(unsupported.status, 403);
  assert.match(unsupported.text, /<CR:supported-address-data\/>/);
});

test('addressbook-query with CARDDAV:limit: the first N matches and a 507 for the collection', async () => {
  const query = (limit: string) => s.request('REPORT', BOOK, {
    headers: { Depth: '1' },
    body: `<CR:addressbook-query ${CARDDAV_NS}><D:prop><D:getetag/></D:prop>
      <CR:filter><CR:prop-filter name="FN"/></CR:filter>${limit}</CR:addressbook-query>`,
  });
  const all = hrefs((await query('')).text);
  assert.ok(all.length >= 2, `needs two cards, has ${all.length}`);
  const one = await query('<CR:limit><CR:nresults>1</CR:nresults></CR:limit>');
  assert.equal(one.status, 207);
  const responses = [...one.text.matchAll(/<D:response>([\s\S]*?)<\/D:response>/g)].map((m) => m[1]!);
  assert.equal(responses.length, 2);
  assert.match(responses[0]!, /<D:propstat>/);
  assert.match(responses[1]!, new RegExp(`^<D:href>${BOOK}</D:href><D:status>HTTP/1.1 507 Insufficient Storage</D:status><D:error><D:number-of-matches-within-limits/></D:error>`));
  const enough = await query(`<CR:limit><CR:nresults>${all.length}</CR:nresults></CR:limit>`);
  assert.doesNotMatch(enough.text, /507/);
  assert.deepEqual(hrefs(enough.text), all);
  const bad = await query('<CR:limit><CR:nresults>many</CR:nresults></CR:limit>');
  assert.equal(bad.status, 400);
  assert.match(bad.text, /nresults/);
});
