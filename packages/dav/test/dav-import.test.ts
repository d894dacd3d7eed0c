// Import and export of whole calendars and address books: splitting, the checks of a PUT, UID
// replacement, one commit, and export -> import giving back the same objects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import ICAL from 'ical.js';
import { Store, memoryBackend } from '@nymote/store';
import {
  ImportError, exportAddressBook, exportCalendar, importAddressBook, importCalendar, resourceNameFor, sampleCalendar, sampleUid,
  sampleVCards, splitICalendar, splitVCards, type TextSink,
} from '../src/index.js';
import { event, startServer, vcard } from './dav-helpers.js';

const newStore = () => new Store(memoryBackend(), { author: { name: 'Admin', email: 'admin@example.org' } });

/** A sink collecting what an export writes. */
function collect(): TextSink & { text(): string } {
  const parts: string[] = [];
  return { write: (c: string) => void parts.push(c), text: () => parts.join('') };
}

/** Each object of a calendar by UID: its components (not time zones) as sorted text, and the TZIDs of its VTIMEZONEs. */
async function objectsOf(store: Store, user: string, cal: string): Promise<Map<string, { components: string[]; zones: string[] }>> {
  const tree = await store.tree(`users/${user}`);
  const out = new Map<string, { components: string[]; zones: string[] }>();
  for (const e of await tree.keys(`calendars/${cal}`)) {
    if (!e.key.endsWith('.ics')) continue;
    const comp = new ICAL.Component(ICAL.parse(Buffer.from((await tree.get(e.key))!).toString('utf8')) as unknown[]);
    const subs = comp.getAllSubcomponents();
    const components = subs.filter((c) => c.name !== 'vtimezone').map((c) => c.toString()).sort();
    const zones = subs.filter((c) => c.name === 'vtimezone').map((c) => String(c.getFirstPropertyValue('tzid'))).sort();
    const uid = String(subs.find((c) => c.name !== 'vtimezone')!.getFirstPropertyValue('uid'));
    assert.ok(!out.has(uid), `UID ${uid} is in two objects of ${cal}`);
    out.set(uid, { components, zones });
  }
  return out;
}

const BERLIN = ['BEGIN:VTIMEZONE', 'TZID:Europe/Berlin', 'BEGIN:STANDARD', 'DTSTART:19701025T030000', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'END:STANDARD', 'END:VTIMEZONE'];
const TOKYO = ['BEGIN:VTIMEZONE', 'TZID:Asia/Tokyo', 'BEGIN:STANDARD', 'DTSTART:19700101T000000', 'TZOFFSETFROM:+0900', 'TZOFFSETTO:+0900', 'END:STANDARD', 'END:VTIMEZONE'];

/** A file as calendar apps export them: METHOD, two zones, a series whose override comes last, a folded line, LF line ends. */
const FILE = [
  'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Test//EN', 'METHOD:PUBLISH', 'X-WR-CALNAME:Team\\, shared', ...BERLIN, ...TOKYO,
  'BEGIN:VEVENT', 'UID:series-1', 'DTSTAMP:20260101T000000Z', 'DTSTART;TZID=Europe/Berlin:20260105T090000', 'DURATION:PT30M',
  'RRULE:FREQ=WEEKLY;COUNT=5', 'SUMMARY:Stand-up', 'DESCRIPTION:A long description that a client folded over', '  two lines', 'END:VEVENT',
  'BEGIN:VEVENT', 'UID:single-2', 'DTSTAMP:20260101T000000Z', 'DTSTART:20260110T100000Z', 'DTEND:20260110T110000Z', 'SUMMARY:Lunch',
  'BEGIN:VALARM', 'ACTION:DISPLAY', 'DESCRIPTION:soon', 'TRIGGER:-PT5M', 'END:VALARM', 'END:VEVENT',
  'BEGIN:VTODO', 'UID:todo-3', 'DTSTAMP:20260101T000000Z', 'SUMMARY:Write report', 'END:VTODO',
  'BEGIN:VEVENT', 'UID:series-1', 'DTSTAMP:20260101T000000Z', 'RECURRENCE-ID;TZID=Europe/Berlin:20260112T090000',
  'DTSTART;TZID=Europe/Berlin:20260112T100000', 'DURATION:PT30M', 'SUMMARY:Stand-up (later)', 'END:VEVENT',
  'END:VCALENDAR',
  // A second calendar concatenated to the first, as `cat a.ics b.ics` makes.
  'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Other//EN', 'BEGIN:VEVENT', 'UID:tokyo-4', 'DTSTAMP:20260101T000000Z',
  'DTSTART;TZID=Asia/Tokyo:20260201T090000', 'SUMMARY:Call', 'END:VEVENT', 'END:VCALENDAR', '',
].join('\n');

test('splitICalendar: one object per UID with its overrides and the time zones it uses; folded lines kept; METHOD dropped', async () => {
  const split = await splitICalendar(Buffer.from(FILE));
  assert.equal(split.name, 'Team, shared');
  // Each object's line is its first component's BEGIN, the line before its UID.
  const lineOf = (uid: string) => FILE.split('\n').indexOf(`UID:${uid}`);
  assert.deepEqual(split.entries.map((e) => [e.entry, e.uid, e.line]), ['series-1', 'single-2', 'todo-3', 'tokyo-4'].map((u, i) => [i + 1, u, lineOf(u)]));
  assert.equal(lineOf('series-1'), 22);
  const [series, single, , tokyo] = split.entries;
  assert.ok(split.entries.every((e) => e.error === undefined && !/METHOD/.test(e.text) && e.text.endsWith('END:VCALENDAR\r\n') && !/[^\r]\n/.test(e.text)));
  assert.equal(series!.text.match(/BEGIN:VEVENT/g)!.length, 2, 'the override joined its master');
  assert.match(series!.text, /RECURRENCE-ID;TZID=Europe\/Berlin:20260112T090000/);
  assert.match(series!.text, /DESCRIPTION:A long description that a client folded over\r\n {2}two lines\r\n/);
  assert.match(series!.text, /TZID:Europe\/Berlin/);
  assert.doesNotMatch(series!.text, /Asia\/Tokyo/);
  assert.doesNotMatch(single!.text, /VTIMEZONE/);
  assert.match(single!.text, /BEGIN:VALARM/);
  // The zone comes from the first calendar of the file: the second has none of its own.
  assert.match(tokyo!.text, /^BEGIN:VCALENDAR\r\nVERSION:2\.0\r\nPRODID:-\/\/Other\/\/EN\r\nBEGIN:VTIMEZONE\r\nTZID:Asia\/Tokyo/);
  const parsed = new ICAL.Component(ICAL.parse(series!.text) as unknown[]);
  assert.equal(parsed.getFirstSubcomponent('vevent')!.getFirstPropertyValue('description'), 'A long description that a client folded over two lines');
});

test('splitICalendar and splitVCards: broken structure is an entry with its line, and the rest still splits', async () => {
  const ics = [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:x',
    'BEGIN:VEVENT', 'UID:a', 'DTSTAMP:20260101T000000Z', 'DTSTART:20260101T100000Z', 'END:VTODO', 'END:VEVENT',
    'BEGIN:VEVENT', 'UID:b', 'DTSTAMP:20260101T000000Z', 'DTSTART:20260101T100000Z', 'END:VEVENT',
    'END:VCALENDAR', 'garbage', 'BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:c', '',
  ].join('\r\n');
  const { entries } = await splitICalendar(ics);
  assert.deepEqual(entries.map((e) => [e.entry, e.line, e.uid, e.error !== undefined]), [[1, 4, 'a', true], [2, 10, 'b', false], [3, 16, undefined, true], [4, 18, 'c', true]]);
  assert.match(entries[0]!.error!, /END:VTODO on line 8 where END:VEVENT was expected/);
  assert.match(entries[2]!.error!, /"garbage" is outside any BEGIN:VCALENDAR/);
  assert.match(entries[3]!.error!, /END:VEVENT missing/);

  // Latin-1 "Café" in the second event's SUMMARY (line 20), the file handed over in two chunks.
  const latin1 = Buffer.from(event('ok', 'Fine') + event('bad', 'Caf#') + event('after', 'After'));
  latin1[latin1.indexOf('#')] = 0xe9;
  const bytes = await splitICalendar([latin1.subarray(0, 100), latin1.subarray(100)]);
  assert.deepEqual(bytes.entries.map((e) => [e.uid, e.error]), [['ok', undefined], ['bad', 'line 20 is not valid UTF-8'], ['after', undefined]]);

  const vcf = `${vcard('ann', 'Ann', '3.0')}BEGIN:VCARD\nVERSION:4.0\nUID:ben\nFN:Ben\n${vcard('cid', 'Cid').replace(/\r\n/g, '\n')}NOTE:stray\n`;
  const cards = await splitVCards(Buffer.from(vcf));
  assert.deepEqual(cards.map((e) => [e.entry, e.line, e.uid, e.error?.replace(/ \(.*/, '')]), [
    [1, 1, 'ann', undefined], [2, 7, 'ben', 'END:VCARD missing before line 11'], [3, 11, 'cid', undefined], [4, 17, undefined, '"NOTE:stray" is outside any BEGIN:VCARD ... END:VCARD'],
  ]);
  assert.equal(cards[2]!.text, vcard('cid', 'Cid'), 'LF line ends come out as CRLF');
});

test('splitVCards: 3.0 and 4.0, folded lines, LF or CRLF', async () => {
  const folded = 'BEGIN:VCARD\nVERSION:3.0\nUID:dee\nFN:Dee\nNOTE:a note long enough to be\n  folded\nEND:VCARD\n';
  const entries = await splitVCards([Buffer.from(sampleVCards(3)), Buffer.from(folded.slice(0, 30)), Buffer.from(folded.slice(30))]);
  assert.deepEqual(entries.map((e) => e.uid), ['urn:uuid:contact-0', 'contact-1', 'urn:uuid:contact-2', 'dee']);
  assert.ok(entries.every((e) => e.error === undefined));
  assert.match(entries[3]!.text, /NOTE:a note long enough to be\r\n {2}folded\r\n/);
});

test('resource names come from the UID when it is plain, else from its hash', () => {
  assert.equal(resourceNameFor('abc-123@example.org', '.ics'), 'abc-123@example.org.ics');
  assert.equal(resourceNameFor('urn:uuid:0f3a', '.vcf'), '0f3a.vcf');
  assert.match(resourceNameFor('a/b c', '.ics'), /^[0-9a-f]{40}\.ics$/);
  assert.match(resourceNameFor('.hidden', '.ics'), /^[0-9a-f]{40}\.ics$/);
  assert.match(resourceNameFor('x'.repeat(300), '.ics'), /^[0-9a-f]{40}\.ics$/);
});

test('importCalendar writes one commit, creates the calendar with the file\'s name, and reports progress', async () => {
  const store = newStore();
  const seen: string[] = [];
  const r = await importCalendar(store, FILE, { user: 'alice', collection: 'team', onProgress: (p) => seen.push(`${p.phase} ${p.done}/${p.total}`) });
  assert.equal(r.message, 'Import 3 events and 1 task into calendar Team, shared');
  assert.deepEqual([r.imported, r.added, r.replaced, r.createdCollection], [4, 4, 0, true]);
  assert.deepEqual(seen, ['parse 4/4', 'validate 4/4', 'write 4/4']);
  const log = await store.log({ at: 'users/alice' });
  assert.deepEqual(log.entries.map((e) => e.message.trim()), ['Import 3 events and 1 task into calendar Team, shared']);
  assert.equal(log.entries[0]!.author.name, 'alice');
  const tree = await store.tree('users/alice');
  assert.deepEqual((await tree.list('calendars/team')).map((e) => e.name).sort(),
    ['.collection.json', 'series-1.ics', 'single-2.ics', 'todo-3.ics', 'tokyo-4.ics']);
  // A fresh branch also gets the defaults the server would have made, so the user still has an address book.
  assert.equal(await tree.kind('addressbooks/default/.collection.json'), 'value');
  assert.match(Buffer.from((await tree.get('calendars/team/.collection.json'))!).toString(), /"displayname": "Team, shared"/);

  const again = await importCalendar(store, FILE, { user: 'alice', collection: 'team' });
  assert.equal(again.commit, undefined, 'the same file again changes nothing');
  assert.equal(again.unchanged, 4);
});

test('a bad entry refuses the whole import, naming its place; --skip-invalid leaves it out', async () => {
  const store = newStore();
  await importCalendar(store, event('keep', 'Keep'), { user: 'alice', collection: 'work' });
  const head = await store.head('users/alice');
  await store.set('calendars/work/.collection.json', '{"displayname":"Work","components":["VEVENT"]}', { branch: 'users/alice' });
  const headAfterProps = await store.head('users/alice');
  const file = [
    event('good-1', 'Good'),
    event('bad-2', 'Bad').replace('DTSTART:20261201T100000Z', 'DTSTART;X="unclosed:20261201T100000Z'),
    'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTODO\r\nUID:todo-3\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:T\r\nEND:VTODO\r\nEND:VCALENDAR\r\n',
    event('', 'No UID').replace('UID:\r\n', ''),
    event('big-5', 'x'.repeat(3000)),
  ].join('');
  await assert.rejects(importCalendar(store, file, { user: 'alice', collection: 'work', maxResourceSize: 2000 }), (e: unknown) => {
    assert.ok(e instanceof ImportError);
    // Objects of 11 lines (the VTODO one 9, the one without UID 10); each starts at its BEGIN:VEVENT or BEGIN:VTODO.
    assert.deepEqual(e.problems.map((p) => [p.entry, p.line, p.uid]), [[2, 15, 'bad-2'], [3, 26, 'todo-3'], [4, 35, undefined], [5, 45, 'big-5']]);
    assert.match(e.problems[0]!.message, /not valid iCalendar/);
    assert.match(e.problems[1]!.message, /does not take VTODO/);
    assert.match(e.problems[2]!.message, /without UID/);
    assert.match(e.problems[3]!.message, /larger than 2,000 bytes/);
    return true;
  });
  assert.equal(await store.head('users/alice'), headAfterProps, 'nothing written');
  assert.notEqual(head, headAfterProps);

  const r = await importCalendar(store, file, { user: 'alice', collection: 'work', maxResourceSize: 2000, skipInvalid: true });
  assert.deepEqual(r.skipped.map((p) => p.entry), [2, 3, 4, 5]);
  assert.equal(r.added, 1);
  const log = await store.log({ at: 'users/alice', limit: 1 });
  assert.equal(log.entries[0]!.message, 'Import 1 event into calendar Work\n\n4 invalid entries of the file left out.\n');
});

test('import replaces the object with the same UID where it is, never overwrites another, and keeps UIDs unique (one commit)', async () => {
  const s = await startServer(['alice']);
  try {
    const cal = '/dav/calendars/alice/default/';
    assert.equal((await s.request('PUT', `${cal}phone-chose-this.ics`, { body: event('meeting', 'Meeting') })).status, 201);
    // A client's object under the name UID "lunch" would get.
    assert.equal((await s.request('PUT', `${cal}lunch.ics`, { body: event('something-else', 'Other') })).status, 201);
    const before = s.log('users/alice').length;
    const file = event('meeting', 'Meeting (moved)') + event('lunch', 'Lunch') + event('new', 'New');
    const r = await importCalendar(s.store, Buffer.from(file), { user: 'alice', collection: 'default' });
    assert.deepEqual([r.added, r.replaced, r.unchanged], [2, 1, 0]);
    assert.equal(s.log('users/alice').length, before + 1);
    assert.equal(s.log('users/alice')[0], 'Import 3 events into calendar Calendar');

    const moved = await s.request('GET', `${cal}phone-chose-this.ics`);
    assert.match(moved.text, /SUMMARY:Meeting \(moved\)/);
    assert.match((await s.request('GET', `${cal}lunch.ics`)).text, /UID:something-else/);
    const objects = await objectsOf(s.store, 'alice', 'default');
    assert.deepEqual([...objects.keys()].sort(), ['lunch', 'meeting', 'new', 'something-else']);
    // The server's own check agrees: a PUT of UID "new" under another name is a conflict.
    assert.equal((await s.request('PUT', `${cal}dup.ics`, { body: event('new', 'Again') })).status, 403);
    // And what was imported is served.
    const report = await s.request('REPORT', cal, {
      headers: { Depth: '1', 'Content-Type': 'application/xml' },
      body: '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter></C:calendar-query>',
    });
    assert.equal(report.text.match(/<[^/>]*href>/g)!.length, 4);
  } finally {
    await s.close();
  }
});

test('export then import gives the same objects (calendar and address book)', async () => {
  const store = newStore();
  const sample = sampleCalendar(300, { name: 'Sample' });
  await importCalendar(store, sample.text, { user: 'alice', collection: 'a' });
  const original = await objectsOf(store, 'alice', 'a');
  assert.equal(original.size, 300);
  assert.equal(original.get(sampleUid(0))!.components.length, 2, 'a series with its override');
  assert.deepEqual(original.get(sampleUid(2))!.zones, ['Europe/Berlin']);
  assert.deepEqual(original.get(sampleUid(1))!.zones, []);

  const out = collect();
  const exported = await exportCalendar(store, 'alice', 'a', out);
  assert.equal(exported.objects, 300);
  const text = out.text();
  assert.equal(text.match(/BEGIN:VTIMEZONE/g)!.length, 2, 'each time zone once');
  assert.equal(text.match(/BEGIN:VCALENDAR/g)!.length, 1);
  assert.ok(text.indexOf('BEGIN:VTIMEZONE') < text.indexOf('BEGIN:VEVENT'));
  assert.match(text, /X-WR-CALNAME:Sample\r\n/);
  new ICAL.Component(ICAL.parse(text) as unknown[]).getAllSubcomponents();

  const r = await importCalendar(store, Buffer.from(text), { user: 'alice', collection: 'b' });
  assert.equal(r.added, 300);
  assert.deepEqual(await objectsOf(store, 'alice', 'b'), original);
  const again = collect();
  await exportCalendar(store, 'alice', 'b', again);
  assert.equal(again.text(), text);

  await importAddressBook(store, sampleVCards(50), { user: 'alice', collection: 'people' });
  const cards = collect();
  assert.equal((await exportAddressBook(store, 'alice', 'people', cards)).objects, 50);
  await importAddressBook(store, cards.text(), { user: 'alice', collection: 'copy' });
  const tree = await store.tree('users/alice');
  const contents = async (book: string) => (await Promise.all((await tree.keys(`addressbooks/${book}`)).filter((e) => e.key.endsWith('.vcf'))
    .map(async (e) => Buffer.from((await tree.get(e.key))!).toString()))).sort();
  assert.deepEqual(await contents('copy'), await contents('people'));
  assert.equal((await contents('people')).length, 50);
  await assert.rejects(exportCalendar(store, 'alice', 'missing', collect()), /alice has no calendar missing/);
});

test('importAddressBook: a vCard twice in the file is taken once (the later), cards without UID are named by content', async () => {
  const store = newStore();
  const noUid = 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Nobody\r\nEND:VCARD\r\n';
  const r = await importAddressBook(store, vcard('ann', 'Ann') + noUid + vcard('ann', 'Ann Smith'), { user: 'bob', collection: 'default' });
  assert.deepEqual([r.imported, r.added, r.duplicates], [2, 2, 1]);
  assert.equal(r.message, 'Import 2 contacts into address book Contacts');
  const tree = await store.tree('users/bob');
  assert.match(Buffer.from((await tree.get('addressbooks/default/ann.vcf'))!).toString(), /FN:Ann Smith/);
  const again = await importAddressBook(store, noUid, { user: 'bob', collection: 'default' });
  assert.equal(again.unchanged, 1);
  await assert.rejects(importAddressBook(store, 'BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Old\r\nEND:VCARD\r\n', { user: 'bob', collection: 'default' }),
    (e: unknown) => e instanceof ImportError && /version 2\.1 is not supported/.test(e.problems[0]!.message));
});

test('an import racing PUTs through the server: every write lands, the import as one commit', async () => {
  const s = await startServer(['alice']);
  try {
    const cal = '/dav/calendars/alice/default/';
    assert.equal((await s.request('PROPFIND', cal, { headers: { Depth: '0' } })).status, 207);
    const before = s.log('users/alice').length;
    const sample = sampleCalendar(2000);
    const puts = (async () => {
      for (let i = 0; i < 20; i++) assert.equal((await s.request('PUT', `${cal}put-${i}.ics`, { body: event(`put-${i}`, `Put ${i}`) })).status, 201);
    })();
    const [r] = await Promise.all([importCalendar(s.store, Buffer.from(sample.text), { user: 'alice', collection: 'default' }), puts]);
    assert.equal(r.added, 2000);
    const log = s.log('users/alice');
    assert.equal(log.length, before + 21);
    assert.equal(log.filter((m) => m.startsWith('Import ')).length, 1);
    const objects = await objectsOf(s.store, 'alice', 'default');
    assert.equal(objects.size, 2020);
  } finally {
    await s.close();
  }
});
