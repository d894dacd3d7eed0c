import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DAVClient } from 'tsdav';
import { PASSWORD, event, fsck, startServer, vcard, type TestServer } from './dav-helpers.js';

let s: TestServer;
before(async () => { s = await startServer(); });
after(async () => { await s.close(); });

const client = (accountType: 'caldav' | 'carddav') => new DAVClient({
  serverUrl: `${s.url}/`,
  credentials: { username: 'alice', password: PASSWORD },
  authMethod: 'Basic',
  defaultAccountType: accountType,
});

test('tsdav discovers the calendars from the server root and works with events', async () => {
  const c = client('caldav');
  await c.login();
  const calendars = await c.fetchCalendars();
  assert.equal(calendars.length, 1);
  const cal = calendars[0]!;
  assert.equal(cal.displayName, 'Calendar');
  assert.match(cal.url, /\/dav\/calendars\/alice\/default\/$/);
  assert.ok(cal.components?.includes('VEVENT'));

  const created = await c.createCalendarObject({ calendar: cal, filename: 'standup.ics', iCalString: event('standup-1', 'Stand-up') });
  assert.equal(created.status, 201);
  const objects = await c.fetchCalendarObjects({ calendar: cal });
  assert.equal(objects.length, 1);
  const obj = objects[0]!;
  assert.match(String(obj.data), /SUMMARY:Stand-up/);
  assert.match(String(obj.etag), /^"?[0-9a-f]{40}"?$/);

  const token = (await c.fetchCalendars())[0]!.syncToken;
  assert.ok(token);

  const updated = await c.updateCalendarObject({ calendarObject: { url: obj.url, etag: obj.etag!, data: event('standup-1', 'Stand-up (moved)') } });
  assert.equal(updated.status, 204);
  const stale = await c.updateCalendarObject({ calendarObject: { url: obj.url, etag: obj.etag!, data: event('standup-1', 'Stand-up (again)') } });
  assert.equal(stale.status, 412);

  await c.createCalendarObject({ calendar: cal, filename: 'lunch.ics', iCalString: event('lunch-1', 'Lunch') });
  const changes = await c.syncCollection({
    url: cal.url,
    props: { 'd:getetag': {} },
    syncLevel: 1,
    syncToken: token!,
  });
  const hrefs = changes.map((r) => r.href).filter((h): h is string => !!h).sort();
  assert.deepEqual(hrefs, ['/dav/calendars/alice/default/lunch.ics', '/dav/calendars/alice/default/standup.ics']);

  const fresh = (await c.fetchCalendarObjects({ calendar: cal })).find((o) => o.url.endsWith('standup.ics'))!;
  const deleted = await c.deleteCalendarObject({ calendarObject: fresh });
  assert.equal(deleted.status, 204);
  const afterDelete = await c.syncCollection({ url: cal.url, props: { 'd:getetag': {} }, syncLevel: 1, syncToken: token! });
  const gone = afterDelete.find((r) => r.href?.endsWith('standup.ics'));
  assert.equal(gone?.status, 404);

  const log = s.log('users/alice');
  assert.deepEqual(log.slice(0, 4), [
    'Delete event Stand-up (moved) from calendar Calendar',
    'Add event Lunch to calendar Calendar',
    'Change event Stand-up (moved) in calendar Calendar',
    'Add event Stand-up to calendar Calendar',
  ]);
  fsck(s.repo);
});

test('tsdav works with address books and vCards', async () => {
  const c = client('carddav');
  await c.login();
  const books = await c.fetchAddressBooks();
  assert.equal(books.length, 1);
  const book = books[0]!;
  assert.equal(book.displayName, 'Contacts');
  const r = await c.createVCard({ addressBook: book, filename: 'bob.vcf', vCardString: vcard('bob-1', 'Bob') });
  assert.equal(r.status, 201);
  await c.createVCard({ addressBook: book, filename: 'carol.vcf', vCardString: vcard('carol-1', 'Carol', '3.0') });
  const cards = await c.fetchVCards({ addressBook: book });
  assert.deepEqual(cards.map((x) => x.url.replace(/.*\//, '')).sort(), ['bob.vcf', 'carol.vcf']);
  assert.ok(cards.every((x) => /BEGIN:VCARD/.test(String(x.data))));
  assert.equal(s.log('users/alice')[0], 'Add contact Carol to address book Contacts');
  fsck(s.repo);
});
