import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { event, fsck, startServer, vcard, type TestServer } from './dav-helpers.js';

let s: TestServer;
before(async () => { s = await startServer(['alice', 'bob'], { maxBodyBytes: 64 * 1024 }); });
after(async () => { await s.close(); });

const CAL = '/dav/calendars/alice/default/';
const BOOK = '/dav/addressbooks/alice/default/';
const xml = (body: string) => `<?xml version="1.0" encoding="utf-8"?>\n${body}`;

test('authentication: none, wrong password, another user', async () => {
  const none = await s.request('PROPFIND', CAL, { password: null, headers: { Depth: '0' } });
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Basic realm="Nymote"/);
  assert.equal((await s.request('PROPFIND', CAL, { password: 'not the password' })).status, 401);
  assert.equal((await s.request('PROPFIND', CAL, { user: 'nobody' })).status, 401);
  assert.equal((await s.request('PROPFIND', '/dav/calendars/bob/', { headers: { Depth: '1' } })).status, 403);
  assert.equal((await s.request('GET', '/dav/addressbooks/bob/default/x.vcf')).status, 403);
  assert.equal((await s.request('PUT', '/dav/calendars/bob/default/x.ics', { body: event('x', 'X') })).status, 403);
});

test('discovery: well-known redirects, OPTIONS, principal properties', async () => {
  for (const w of ['/.well-known/caldav', '/.well-known/carddav']) {
    const r = await s.request('PROPFIND', w, { password: null });
    assert.equal(r.status, 301);
    assert.equal(r.headers.get('location'), '/dav/');
  }
  const o = await s.request('OPTIONS', '/dav/', { password: null });
  assert.equal(o.status, 200);
  assert.match(o.headers.get('dav') ?? '', /calendar-access/);
  assert.match(o.headers.get('dav') ?? '', /addressbook/);
  assert.match(o.headers.get('allow') ?? '', /MKCALENDAR/);
  const p = await s.request('PROPFIND', '/dav/', { headers: { Depth: '0' }, body: xml(`<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>`) });
  assert.equal(p.status, 207);
  assert.match(p.text, /<D:current-user-principal><D:href>\/dav\/principals\/alice\/<\/D:href>/);
  const homes = await s.request('PROPFIND', '/dav/principals/alice/', {
    headers: { Depth: '0' },
    body: xml(`<propfind xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="urn:ietf:params:xml:ns:carddav"><prop><C:calendar-home-set/><A:addressbook-home-set/><principal-URL/><getetag/></prop></propfind>`),
  });
  assert.match(homes.text, /<C:calendar-home-set><D:href>\/dav\/calendars\/alice\/<\/D:href>/);
  assert.match(homes.text, /<CR:addressbook-home-set><D:href>\/dav\/addressbooks\/alice\/<\/D:href>/);
  // getetag has no value on a principal: a 404 propstat beside the 200 one.
  assert.match(homes.text, /<D:propstat><D:prop><D:getetag\/><\/D:prop><D:status>HTTP\/1.1 404 Not Found<\/D:status>/);
});

test('PROPFIND depth 1, propname, allprop; bad XML is 400', async () => {
  assert.equal((await s.request('PUT', `${CAL}a.ics`, { body: event('a', 'A'), headers: { 'Content-Type': 'text/calendar' } })).status, 201);
  const d1 = await s.request('PROPFIND', CAL, { headers: { Depth: '1' }, body: xml(`<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:resourcetype/></D:prop></D:propfind>`) });
  assert.equal(d1.status, 207);
  assert.equal((d1.text.match(/<D:response>/g) ?? []).length, 2);
  assert.match(d1.text, /<D:href>\/dav\/calendars\/alice\/default\/a.ics<\/D:href><D:propstat><D:prop><D:getetag>"[0-9a-f]{40}"<\/D:getetag>/);
  const names = await s.request('PROPFIND', CAL, { headers: { Depth: '0' }, body: xml(`<propfind xmlns="DAV:"><propname/></propfind>`) });
  assert.match(names.text, /<D:sync-token\/>/);
  assert.match(names.text, /<C:supported-calendar-component-set\/>/);
  const all = await s.request('PROPFIND', CAL, { headers: { Depth: '0' } });
  assert.match(all.text, /<D:displayname>Calendar<\/D:displayname>/);
  assert.match(all.text, /<CS:getctag>[0-9a-f]{40}<\/CS:getctag>/);
  const bad = await s.request('PROPFIND', CAL, { headers: { Depth: '0' }, body: '<propfind xmlns="DAV:"><prop>' });
  assert.equal(bad.status, 400);
  const doctype = await s.request('PROPFIND', CAL, { body: '<!DOCTYPE x [<!ENTITY a "aaaa">]><propfind xmlns="DAV:"/>' });
  assert.equal(doctype.status, 400);
  const prefix = await s.request('PROPFIND', CAL, { body: '<x:propfind/>' });
  assert.equal(prefix.status, 400);
});

test('PROPPATCH changes collection properties in one commit, all or nothing', async () => {
  const before = s.log('users/alice').length;
  const r = await s.request('PROPPATCH', CAL, {
    body: xml(`<D:propertyupdate xmlns:D="DAV:" xmlns:I="http://apple.com/ns/ical/" xmlns:C="urn:ietf:params:xml:ns:caldav">
      <D:set><D:prop><D:displayname>Work &amp; play</D:displayname><I:calendar-color>#ff0000</I:calendar-color><C:calendar-description>Busy</C:calendar-description></D:prop></D:set>
    </D:propertyupdate>`),
  });
  assert.equal(r.status, 207);
  assert.equal((r.text.match(/200 OK/g) ?? []).length, 1);
  assert.equal(s.log('users/alice').length, before + 1);
  assert.equal(s.log('users/alice')[0], 'Change the properties of calendar Calendar');
  const p = await s.request('PROPFIND', CAL, { headers: { Depth: '0' }, body: xml(`<propfind xmlns="DAV:"><prop><displayname/><x:calendar-color xmlns:x="http://apple.com/ns/ical/"/></prop></propfind>`) });
  assert.match(p.text, /<D:displayname>Work &amp; play<\/D:displayname>/);
  assert.match(p.text, /<ICAL:calendar-color>#ff0000<\/ICAL:calendar-color>/);

  const bad = await s.request('PROPPATCH', CAL, {
    body: xml(`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>X</D:displayname><D:getetag>"x"</D:getetag></D:prop></D:set></D:propertyupdate>`),
  });
  assert.equal(bad.status, 207);
  assert.match(bad.text, /<D:getetag\/><\/D:prop><D:status>HTTP\/1.1 403 Forbidden/);
  assert.match(bad.text, /<D:displayname\/><\/D:prop><D:status>HTTP\/1.1 424 Failed Dependency/);
  assert.equal(s.log('users/alice').length, before + 1);

  const dead = await s.request('PROPPATCH', BOOK, {
    body: xml(`<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example"><D:set><D:prop><Z:flavour>mint</Z:flavour></D:prop></D:set></D:propertyupdate>`),
  });
  assert.equal(dead.status, 207);
  const back = await s.request('PROPFIND', BOOK, { headers: { Depth: '0' }, body: xml(`<propfind xmlns="DAV:"><prop><flavour xmlns="urn:example"/></prop></propfind>`) });
  assert.match(back.text, /<x0:flavour>mint<\/x0:flavour>/);
});

test('MKCALENDAR and extended MKCOL make collections; components are enforced', async () => {
  const mk = await s.request('MKCALENDAR', '/dav/calendars/alice/tasks/', {
    body: xml(`<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
      <D:displayname>Tasks</D:displayname><C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set>
    </D:prop></D:set></C:mkcalendar>`),
  });
  assert.equal(mk.status, 201);
  assert.equal(s.log('users/alice')[0], 'Create calendar Tasks');
  assert.equal((await s.request('MKCALENDAR', '/dav/calendars/alice/tasks/')).status, 405);
  const wrong = await s.request('PUT', '/dav/calendars/alice/tasks/e.ics', { body: event('e', 'E') });
  assert.equal(wrong.status, 403);
  assert.match(wrong.text, /<C:supported-calendar-component\/>/);

  const col = await s.request('MKCOL', '/dav/addressbooks/alice/work/', {
    body: xml(`<D:mkcol xmlns:D="DAV:" xmlns:A="urn:ietf:params:xml:ns:carddav"><D:set><D:prop>
      <D:resourcetype><D:collection/><A:addressbook/></D:resourcetype><D:displayname>Work</D:displayname>
    </D:prop></D:set></D:mkcol>`),
  });
  assert.equal(col.status, 201);
  const homes = await s.request('PROPFIND', '/dav/addressbooks/alice/', { headers: { Depth: '1' }, body: xml(`<propfind xmlns="DAV:"><prop><displayname/><resourcetype/></prop></propfind>`) });
  assert.match(homes.text, /<D:displayname>Work<\/D:displayname><D:resourcetype><D:collection\/><CR:addressbook\/>/);
  const calInBooks = await s.request('MKCOL', '/dav/addressbooks/alice/cal/', {
    body: xml(`<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:resourcetype><D:collection/><C:calendar/></D:resourcetype></D:prop></D:set></D:mkcol>`),
  });
  assert.equal(calInBooks.status, 403);
  assert.equal((await s.request('PUT', '/dav/calendars/alice/nowhere/x.ics', { body: event('x', 'X') })).status, 409);
});

test('GET, PUT with preconditions, DELETE', async () => {
  const put = await s.request('PUT', `${BOOK}ann.vcf`, { body: vcard('ann-1', 'Ann'), headers: { 'If-None-Match': '*' } });
  assert.equal(put.status, 201);
  const etag = put.headers.get('etag')!;
  assert.match(etag, /^"[0-9a-f]{40}"$/);
  const get = await s.request('GET', `${BOOK}ann.vcf`);
  assert.equal(get.status, 200);
  assert.equal(get.headers.get('etag'), etag);
  assert.match(get.headers.get('content-type') ?? '', /^text\/vcard/);
  assert.equal(get.text, vcard('ann-1', 'Ann'));
  const head = await s.request('HEAD', `${BOOK}ann.vcf`);
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
  assert.equal((await s.request('GET', `${BOOK}ann.vcf`, { headers: { 'If-None-Match': etag } })).status, 304);
  assert.equal((await s.request('PUT', `${BOOK}ann.vcf`, { body: vcard('ann-1', 'Ann B'), headers: { 'If-None-Match': '*' } })).status, 412);
  assert.equal((await s.request('PUT', `${BOOK}ann.vcf`, { body: vcard('ann-1', 'Ann B'), headers: { 'If-Match': '"0000000000000000000000000000000000000000"' } })).status, 412);
  const changed = await s.request('PUT', `${BOOK}ann.vcf`, { body: vcard('ann-1', 'Ann B'), headers: { 'If-Match': etag } });
  assert.equal(changed.status, 204);
  assert.equal(s.log('users/alice')[0], 'Change contact Ann B in address book Contacts');
  assert.equal((await s.request('DELETE', `${BOOK}ann.vcf`, { headers: { 'If-Match': etag } })).status, 412);
  assert.equal((await s.request('DELETE', `${BOOK}ann.vcf`)).status, 204);
  assert.equal(s.log('users/alice')[0], 'Delete contact Ann B from address book Contacts');
  assert.equal((await s.request('GET', `${BOOK}ann.vcf`)).status, 404);
  assert.equal((await s.request('DELETE', `${BOOK}ann.vcf`)).status, 404);
  assert.equal((await s.request('PUT', `${BOOK}.collection.json`, { body: vcard('z', 'Z') })).status, 403);
});

test('broken data and UID conflicts are refused with their precondition, and nothing is committed', async () => {
  const before = s.log('users/alice').length;
  const cases: [string, string, RegExp][] = [
    [`${BOOK}broken.vcf`, 'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Broken\r\n', /<CR:valid-address-data\/>/],
    [`${BOOK}nofn.vcf`, 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:q\r\nEND:VCARD\r\n', /<CR:valid-address-data\/>/],
    [`${BOOK}v2.vcf`, 'BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Old\r\nEND:VCARD\r\n', /<CR:supported-address-data\/>/],
    [`${BOOK}ics.vcf`, event('q', 'Q'), /<CR:valid-address-data\/>/],
    [`${CAL}broken.ics`, 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VCALENDAR\r\n', /<C:valid-calendar-data\/>/],
    [`${CAL}garbage.ics`, 'hello', /<C:valid-calendar-data\/>/],
    [`${CAL}method.ics`, event('m', 'M').replace('VERSION:2.0', 'VERSION:2.0\r\nMETHOD:REQUEST'), /<C:valid-calendar-object-resource\/>/],
    [`${CAL}nouid.ics`, event('n', 'N').replace('UID:n\r\n', ''), /<C:valid-calendar-object-resource\/>/],
    [`${CAL}two.ics`, event('t1', 'T').replace('END:VCALENDAR', event('t2', 'T').split('\r\n').slice(3, -2).join('\r\n') + '\r\nEND:VCALENDAR'), /<C:valid-calendar-object-resource\/>/],
  ];
  for (const [path, body, pre] of cases) {
    const r = await s.request('PUT', path, { body });
    assert.equal(r.status, 403, path);
    assert.match(r.text, /^<\?xml[^>]*>\n<D:error /, path);
    assert.match(r.text, pre, path);
  }
  assert.equal((await s.request('PUT', `${BOOK}dora.vcf`, { body: vcard('dora-1', 'Dora') })).status, 201);
  const clash = await s.request('PUT', `${BOOK}dora2.vcf`, { body: vcard('dora-1', 'Dora again') });
  assert.equal(clash.status, 403);
  assert.match(clash.text, /<CR:no-uid-conflict><D:href>\/dav\/addressbooks\/alice\/default\/dora.vcf<\/D:href><\/CR:no-uid-conflict>/);
  assert.equal((await s.request('PUT', `${CAL}u1.ics`, { body: event('same-uid', 'One') })).status, 201);
  const calClash = await s.request('PUT', `${CAL}u2.ics`, { body: event('same-uid', 'Two') });
  assert.match(calClash.text, /<C:no-uid-conflict><D:href>\/dav\/calendars\/alice\/default\/u1.ics<\/D:href>/);
  assert.equal(s.log('users/alice').length, before + 2);
  const big = await s.request('PUT', `${BOOK}big.vcf`, { body: 'x'.repeat(100 * 1024) });
  assert.equal(big.status, 413);
  fsck(s.repo);
});

test('COPY and MOVE of resources and collections', async () => {
  await s.request('MKCALENDAR', '/dav/calendars/alice/other/');
  assert.equal((await s.request('PUT', `${CAL}m.ics`, { body: event('move-me', 'Move me') })).status, 201);
  const dest = `${s.url}/dav/calendars/alice/other/m2.ics`;
  const copy = await s.request('COPY', `${CAL}m.ics`, { headers: { Destination: dest } });
  assert.equal(copy.status, 201);
  assert.equal(s.log('users/alice')[0], 'Copy event Move me to calendar other');
  assert.equal((await s.request('COPY', `${CAL}m.ics`, { headers: { Destination: dest, Overwrite: 'F' } })).status, 412);
  // A second copy into the same calendar would hold the UID twice.
  const dup = await s.request('COPY', `${CAL}m.ics`, { headers: { Destination: `${s.url}${CAL}m-copy.ics` } });
  assert.equal(dup.status, 403);
  assert.match(dup.text, /no-uid-conflict/);
  const rename = await s.request('MOVE', `${CAL}m.ics`, { headers: { Destination: `${s.url}${CAL}renamed.ics` } });
  assert.equal(rename.status, 201);
  assert.equal(s.log('users/alice')[0], 'Rename event Move me in calendar Work & play');
  assert.equal((await s.request('GET', `${CAL}m.ics`)).status, 404);
  assert.equal((await s.request('GET', `${CAL}renamed.ics`)).status, 200);
  const toBob = await s.request('MOVE', `${CAL}renamed.ics`, { headers: { Destination: `${s.url}/dav/calendars/bob/default/x.ics` } });
  assert.equal(toBob.status, 403);
  const moveCol = await s.request('MOVE', '/dav/calendars/alice/other/', { headers: { Destination: `${s.url}/dav/calendars/alice/archive/` } });
  assert.equal(moveCol.status, 201);
  assert.equal((await s.request('GET', '/dav/calendars/alice/archive/m2.ics')).status, 200);
  assert.equal((await s.request('PROPFIND', '/dav/calendars/alice/other/', { headers: { Depth: '0' } })).status, 404);
  assert.equal((await s.request('DELETE', '/dav/calendars/alice/archive/')).status, 204);
  assert.equal(s.log('users/alice')[0], 'Delete calendar archive');
  fsck(s.repo);
});

test('concurrent writes: every PUT lands as its own commit; of two creates of one name, one wins', async () => {
  const before = s.log('users/alice').length;
  const puts = await Promise.all(Array.from({ length: 12 }, (_, i) =>
    s.request('PUT', `${CAL}burst-${i}.ics`, { body: event(`burst-${i}`, `Burst ${i}`), headers: { 'Content-Type': 'text/calendar' } })));
  assert.deepEqual(puts.map((r) => r.status), Array(12).fill(201));
  assert.equal(s.log('users/alice').length, before + 12);
  const race = await Promise.all([1, 2].map((n) =>
    s.request('PUT', `${CAL}race.ics`, { body: event('race', `Race ${n}`), headers: { 'If-None-Match': '*', 'Content-Type': 'text/calendar' } })));
  assert.deepEqual(race.map((r) => r.status).sort(), [201, 412]);
  fsck(s.repo);
});
