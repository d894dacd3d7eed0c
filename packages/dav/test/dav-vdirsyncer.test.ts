// vdirsyncer, khal and khard (Debian packages) against our server: vdirsyncer discovers the
// collections from the server root, syncs both ways with a local vdir (additions, changes,
// deletions, a conflict on each side of the configured resolution), creates collections that exist
// only locally, and syncs displayname and colour; then khal and khard read the local copy.
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PASSWORD, startServer, type TestServer } from './dav-helpers.js';

const VDIRSYNCER = '/usr/bin/vdirsyncer';
const KHAL = '/usr/bin/khal';
const KHARD = '/usr/bin/khard';
const missing = [VDIRSYNCER, KHAL, KHARD].filter((f) => !existsSync(f));

const CAL = '/dav/calendars/alice/default/';
const BOOK = '/dav/addressbooks/alice/default/';
const BRANCH = 'users/alice';

interface Result { code: number; stdout: string; stderr: string }

/** Children still running; a subtest that fails early must not leave one writing into removed directories. */
const running = new Set<ChildProcess>();

/** Asynchronous on purpose: the server answers on this process's event loop. */
function run(file: string, args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { env, timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') reject(new Error(`${file} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
    // Closed either way, so a prompt we did not expect reads end of input instead of hanging. A
    // program that never reads its input may exit before it is written: that EPIPE is no failure.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input);
    running.add(child);
    child.on('exit', () => running.delete(child));
  });
}

async function git(repo: string, ...args: string[]): Promise<string> {
  const r = await run('git', ['--git-dir', repo, ...args], { PATH: process.env['PATH'] });
  assert.equal(r.code, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function calendar(...components: string[][]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Nymote//vdirsyncer test//EN',
    ...components.flatMap((c) => ['BEGIN:VEVENT', ...c, 'END:VEVENT']), 'END:VCALENDAR', ''].join('\r\n');
}

function single(uid: string, summary: string, start: string, end: string): string {
  return calendar([`UID:${uid}`, 'DTSTAMP:20261126T100000Z', `DTSTART:${start}`, `DTEND:${end}`, `SUMMARY:${summary}`]);
}

/** Daily at 09:00 UTC from 1 December, five times; the third moved to the afternoon. */
function standup(summary: string): string {
  return calendar(
    ['UID:standup@nymote.test', 'DTSTAMP:20261126T100000Z', 'DTSTART:20261201T090000Z', 'DTEND:20261201T091500Z', 'RRULE:FREQ=DAILY;COUNT=5', `SUMMARY:${summary}`],
    ['UID:standup@nymote.test', 'DTSTAMP:20261126T100000Z', 'RECURRENCE-ID:20261203T090000Z', 'DTSTART:20261203T140000Z', 'DTEND:20261203T141500Z', 'SUMMARY:Stand-up (afternoon)'],
  );
}

function card(version: '3.0' | '4.0', uid: string, given: string, family: string, email: string): string {
  return ['BEGIN:VCARD', `VERSION:${version}`, `UID:${uid}`, `FN:${given} ${family}`, `N:${family};${given};;;`, `EMAIL:${email}`, 'END:VCARD', ''].join('\r\n');
}

const uidOf = (text: string) => /^UID:(.*?)\r?$/m.exec(text)?.[1];

/** The items of a local vdir collection, by UID. */
function localItems(dir: string, ext: string): Map<string, { file: string; text: string }> {
  const items = new Map<string, { file: string; text: string }>();
  for (const name of readdirSync(dir).filter((n) => n.endsWith(ext))) {
    const text = readFileSync(join(dir, name), 'utf8');
    items.set(uidOf(text) ?? `no UID in ${name}`, { file: join(dir, name), text });
  }
  return items;
}

/** The resources of a collection as stored on the branch, by UID. */
async function storedItems(repo: string, collection: string): Promise<Map<string, { name: string; text: string }>> {
  const items = new Map<string, { name: string; text: string }>();
  const names = (await git(repo, 'ls-tree', '--name-only', `${BRANCH}:${collection}`)).split('\n').filter((n) => n && !n.startsWith('.'));
  for (const name of names) {
    const text = await git(repo, 'show', `${BRANCH}:${collection}/${name}`);
    items.set(uidOf(text) ?? `no UID in ${name}`, { name, text });
  }
  return items;
}

const xml = (body: string) => `<?xml version="1.0" encoding="utf-8"?>\n${body}`;

let s: TestServer;
let work: string;
before(async () => {
  s = await startServer(['alice']);
  work = mkdtempSync(join(tmpdir(), 'nymote-vdirsyncer-'));
});
after(async () => {
  await Promise.all([...running].map((c) => new Promise((resolve) => { c.once('exit', resolve); c.kill(); })));
  await s.close();
  rmSync(work, { recursive: true, force: true });
});

test('vdirsyncer syncs both ways with a local vdir; khal and khard read it', { skip: missing.length === 0 || process.env['CI'] ? false : `${missing.join(', ')} not installed (apt-get install vdirsyncer khal khard)` }, async (t) => {
  const dir = (...p: string[]) => { const d = join(work, ...p); mkdirSync(d, { recursive: true }); return d; };
  const calDir = dir('calendars');
  const bookDir = dir('contacts');
  // Only temporary directories: nothing of the real user's configuration or data is read or written.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'], HOME: dir('home'), XDG_CONFIG_HOME: dir('config'), XDG_DATA_HOME: dir('data'),
    XDG_CACHE_HOME: dir('cache'), TZ: 'UTC', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8',
  };
  const config = join(work, 'vdirsyncer.conf');
  // The server root, not a home: vdirsyncer finds the principal and the homes itself. The two
  // pairs resolve conflicts in opposite directions so both are seen.
  writeFileSync(config, `[general]
status_path = "${dir('status')}"

[pair calendars]
a = "calendars_server"
b = "calendars_local"
collections = ["from a", "from b"]
metadata = ["displayname", "color"]
conflict_resolution = "a wins"

[storage calendars_server]
type = "caldav"
url = "${s.url}/"
username = "alice"
password = "${PASSWORD}"

[storage calendars_local]
type = "filesystem"
path = "${calDir}"
fileext = ".ics"

[pair contacts]
a = "contacts_server"
b = "contacts_local"
collections = ["from a", "from b"]
metadata = ["displayname"]
conflict_resolution = "b wins"

[storage contacts_server]
type = "carddav"
url = "${s.url}/"
username = "alice"
password = "${PASSWORD}"

[storage contacts_local]
type = "filesystem"
path = "${bookDir}"
fileext = ".vcf"
`);

  /**
   * Runs vdirsyncer; it must succeed and report no error (it reports on stderr). Warnings pass:
   * 0.19 says "Deleting an item with no etag" exactly when it does send If-Match (its test is inverted).
   */
  const vdirsyncer = async (...args: string[]) => {
    // discover asks before it creates a collection on either side; yes to each.
    const r = await run(VDIRSYNCER, ['-c', config, ...args], env, 'y\n'.repeat(20));
    const output = r.stdout + r.stderr;
    assert.equal(r.code, 0, `vdirsyncer ${args.join(' ')}:\n${output}`);
    assert.doesNotMatch(output, /^(error|critical):/m, `vdirsyncer ${args.join(' ')}:\n${output}`);
    t.diagnostic(`vdirsyncer ${args.join(' ')}: ${output.trim().split('\n').join(' | ')}`);
    return output;
  };
  const put = async (path: string, body: string, type: string, headers: Record<string, string> = {}) => {
    const r = await s.request('PUT', path, { body, headers: { 'Content-Type': type, ...headers } });
    assert.ok(r.status === 201 || r.status === 204, `PUT ${path}: ${r.status} ${r.text}`);
    return r.headers.get('etag')!;
  };
  const localCal = () => localItems(join(calDir, 'default'), '.ics');
  const localBook = () => localItems(join(bookDir, 'default'), '.vcf');

  await t.test('discover from the server root; server items arrive locally byte for byte', async () => {
    const standupEtag = await put(`${CAL}standup.ics`, standup('Stand-up'), 'text/calendar');
    assert.match(standupEtag, /^"[0-9a-f]{40}"$/);
    await put(`${CAL}dentist.ics`, single('dentist@nymote.test', 'Dentist', '20261202T150000Z', '20261202T160000Z'), 'text/calendar');
    await put(`${BOOK}ann.vcf`, card('4.0', 'ann@nymote.test', 'Ann', 'Example', 'ann@example.org'), 'text/vcard');
    await put(`${BOOK}bob.vcf`, card('3.0', 'bob@nymote.test', 'Bob', 'Builder', 'bob@example.org'), 'text/vcard');

    const found = await vdirsyncer('discover');
    // The server's collections, with their display names, found through the principal.
    assert.match(found, /calendars_server:\n\s+- "default" \("Calendar"\)/);
    assert.match(found, /contacts_server:\n\s+- "default" \("Contacts"\)/);
    await vdirsyncer('sync');

    const cal = localCal();
    assert.deepEqual([...cal.keys()].sort(), ['dentist@nymote.test', 'standup@nymote.test']);
    const stored = await storedItems(s.repo, 'calendars/default');
    for (const [uid, item] of cal) assert.equal(item.text, stored.get(uid)?.text, uid);
    assert.match(cal.get('standup@nymote.test')!.text, /RECURRENCE-ID:20261203T090000Z/);
    const book = localBook();
    assert.deepEqual([...book.keys()].sort(), ['ann@nymote.test', 'bob@nymote.test']);
    assert.equal(book.get('bob@nymote.test')!.text, card('3.0', 'bob@nymote.test', 'Bob', 'Builder', 'bob@example.org'));
  });

  await t.test('local additions, changes and deletions reach the server', async () => {
    const lunch = single('lunch@nymote.test', 'Lunch', '20261204T120000Z', '20261204T130000Z');
    writeFileSync(join(calDir, 'default', 'lunch.ics'), lunch);
    const dentist = single('dentist@nymote.test', 'Dentist (later)', '20261202T160000Z', '20261202T170000Z');
    writeFileSync(localCal().get('dentist@nymote.test')!.file, dentist);
    const carol = card('3.0', 'carol@nymote.test', 'Carol', 'Local', 'carol@example.org');
    writeFileSync(join(bookDir, 'default', 'carol.vcf'), carol);
    unlinkSync(localBook().get('bob@nymote.test')!.file);
    const commits = (await git(s.repo, 'rev-list', '--count', BRANCH)).trim();

    await vdirsyncer('sync');

    const cal = await storedItems(s.repo, 'calendars/default');
    assert.deepEqual([...cal.keys()].sort(), ['dentist@nymote.test', 'lunch@nymote.test', 'standup@nymote.test']);
    assert.equal(cal.get('lunch@nymote.test')!.text, lunch);
    assert.equal(cal.get('dentist@nymote.test')!.name, 'dentist.ics', 'changed in place, under the name the server had');
    const got = await s.request('GET', `${CAL}dentist.ics`);
    assert.equal(got.status, 200);
    assert.equal(got.text, dentist);
    const book = await storedItems(s.repo, 'addressbooks/default');
    assert.deepEqual([...book.keys()].sort(), ['ann@nymote.test', 'carol@nymote.test']);
    assert.equal(book.get('carol@nymote.test')!.text, carol);
    assert.equal((await s.request('GET', `${BOOK}bob.vcf`)).status, 404);
    // One commit per change, each saying what happened.
    const log = (await git(s.repo, 'log', '--format=%s', `-n${4}`, BRANCH)).trim().split('\n');
    assert.deepEqual(log.slice().sort(), [
      'Add contact Carol Local to address book Contacts',
      'Add event Lunch to calendar Calendar',
      'Change event Dentist (later) in calendar Calendar',
      'Delete contact Bob Builder from address book Contacts',
    ]);
    assert.equal(Number((await git(s.repo, 'rev-list', '--count', BRANCH)).trim()), Number(commits) + 4);
  });

  await t.test('server changes and deletions reach the local vdir', async () => {
    const etag = (await s.request('HEAD', `${CAL}standup.ics`)).headers.get('etag')!;
    await put(`${CAL}standup.ics`, standup('Daily stand-up'), 'text/calendar', { 'If-Match': etag });
    assert.equal((await s.request('DELETE', `${CAL}dentist.ics`)).status, 204);
    const ann = card('4.0', 'ann@nymote.test', 'Ann', 'Example', 'ann@work.example.org');
    await put(`${BOOK}ann.vcf`, ann, 'text/vcard');

    await vdirsyncer('sync');

    const cal = localCal();
    assert.deepEqual([...cal.keys()].sort(), ['lunch@nymote.test', 'standup@nymote.test']);
    assert.equal(cal.get('standup@nymote.test')!.text, standup('Daily stand-up'));
    assert.equal(localBook().get('ann@nymote.test')!.text, ann);
  });

  await t.test('a conflict: "a wins" keeps the server\'s event, "b wins" the local contact', async () => {
    const lunchFile = localCal().get('lunch@nymote.test')!.file;
    const lunchHref = (await storedItems(s.repo, 'calendars/default')).get('lunch@nymote.test')!.name;
    const serverLunch = single('lunch@nymote.test', 'Lunch (server)', '20261204T120000Z', '20261204T130000Z');
    await put(CAL + lunchHref, serverLunch, 'text/calendar');
    writeFileSync(lunchFile, single('lunch@nymote.test', 'Lunch (local)', '20261204T123000Z', '20261204T133000Z'));

    const carolFile = localBook().get('carol@nymote.test')!.file;
    const carolHref = (await storedItems(s.repo, 'addressbooks/default')).get('carol@nymote.test')!.name;
    await put(BOOK + carolHref, card('3.0', 'carol@nymote.test', 'Carol', 'Server', 'carol@example.org'), 'text/vcard');
    const localCarol = card('3.0', 'carol@nymote.test', 'Carol', 'Local', 'carol@home.example.org');
    writeFileSync(carolFile, localCarol);

    const output = await vdirsyncer('sync');
    assert.match(output, /conflict resolution for item lunch@nymote\.test/);
    assert.match(output, /conflict resolution for item carol@nymote\.test/);
    assert.equal(readFileSync(lunchFile, 'utf8'), serverLunch);
    assert.equal((await storedItems(s.repo, 'calendars/default')).get('lunch@nymote.test')!.text, serverLunch);
    const got = await s.request('GET', BOOK + carolHref);
    assert.equal(got.text, localCarol);
    assert.equal(readFileSync(carolFile, 'utf8'), localCarol);
    assert.equal((await git(s.repo, 'log', '--format=%s', '-n1', BRANCH)).trim(), 'Change contact Carol Local in address book Contacts');
  });

  await t.test('collections made locally are created on the server; metasync both ways', async () => {
    const garden = dir('calendars', 'garden');
    writeFileSync(join(garden, 'displayname'), 'Garden');
    writeFileSync(join(garden, 'color'), '#00aa00');
    const tomatoes = single('tomatoes@nymote.test', 'Plant tomatoes', '20261206T100000Z', '20261206T110000Z');
    writeFileSync(join(garden, 'tomatoes.ics'), tomatoes);
    const family = dir('contacts', 'family');
    const dave = card('4.0', 'dave@nymote.test', 'Dave', 'Family', 'dave@example.org');
    writeFileSync(join(family, 'dave.vcf'), dave);

    // The cached collection list is stale: discover again, which offers to create them remotely.
    await vdirsyncer('discover');
    await vdirsyncer('sync');
    await vdirsyncer('metasync');

    const props = xml(`<propfind xmlns="DAV:" xmlns:I="http://apple.com/ns/ical/"><prop><resourcetype/><displayname/><I:calendar-color/></prop></propfind>`);
    const cal = await s.request('PROPFIND', '/dav/calendars/alice/garden/', { headers: { Depth: '0' }, body: props });
    assert.equal(cal.status, 207);
    assert.match(cal.text, /<D:resourcetype><D:collection\/><C:calendar\/><\/D:resourcetype>/);
    assert.match(cal.text, /<D:displayname>Garden<\/D:displayname>/);
    assert.match(cal.text, /<ICAL:calendar-color>#00aa00<\/ICAL:calendar-color>/);
    assert.deepEqual(JSON.parse(await git(s.repo, 'show', `${BRANCH}:calendars/garden/.collection.json`)), {
      color: '#00aa00', components: ['VEVENT', 'VTODO', 'VJOURNAL'], displayname: 'Garden',
    });
    assert.equal((await storedItems(s.repo, 'calendars/garden')).get('tomatoes@nymote.test')?.text, tomatoes);
    const book = await s.request('PROPFIND', '/dav/addressbooks/alice/family/', { headers: { Depth: '0' }, body: props });
    assert.match(book.text, /<D:resourcetype><D:collection\/><CR:addressbook\/><\/D:resourcetype>/);
    assert.equal((await storedItems(s.repo, 'addressbooks/family')).get('dave@nymote.test')?.text, dave);
    const log = (await git(s.repo, 'log', '--format=%s', BRANCH)).split('\n');
    assert.ok(log.includes('Create calendar garden'), log.join('\n'));
    assert.ok(log.includes('Create address book family'), log.join('\n'));
    // The server's names came down too.
    assert.equal(readFileSync(join(calDir, 'default', 'displayname'), 'utf8'), 'Calendar');
    assert.equal(readFileSync(join(bookDir, 'default', 'displayname'), 'utf8'), 'Contacts');

    // A change made on the server since the last metasync wins without a conflict.
    const patch = await s.request('PROPPATCH', CAL, {
      body: xml(`<D:propertyupdate xmlns:D="DAV:" xmlns:I="http://apple.com/ns/ical/"><D:set><D:prop><D:displayname>Home</D:displayname><I:calendar-color>#3366ff</I:calendar-color></D:prop></D:set></D:propertyupdate>`),
    });
    assert.equal(patch.status, 207);
    await vdirsyncer('metasync');
    assert.equal(readFileSync(join(calDir, 'default', 'displayname'), 'utf8'), 'Home');
    assert.equal(readFileSync(join(calDir, 'default', 'color'), 'utf8'), '#3366ff');
    // And nothing is left to do: a second sync of everything changes nothing on the server.
    const head = await git(s.repo, 'rev-parse', BRANCH);
    const again = await vdirsyncer('sync');
    assert.doesNotMatch(again, /Copying|Deleting/);
    assert.equal(await git(s.repo, 'rev-parse', BRANCH), head);
  });

  await t.test('khal lists the synced events, the recurring one with its exception', async () => {
    const khalConf = join(work, 'khal.conf');
    writeFileSync(khalConf, `[calendars]
[[synced]]
path = ${calDir}/*
type = discover

[locale]
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
default_timezone = UTC
local_timezone = UTC
`);
    const r = await run(KHAL, ['-c', khalConf, 'list', '--format', '{start} {end} {title} [{calendar}]', '--day-format', '', '2026-12-01', '2026-12-08'], env);
    assert.equal(r.code, 0, r.stderr);
    // khal names a discovered calendar by its displayname file, which metasync wrote.
    assert.deepEqual(r.stdout.split('\n').filter((l) => l.trim()), [
      '2026-12-01 09:00 2026-12-01 09:15 Daily stand-up [Home]',
      '2026-12-02 09:00 2026-12-02 09:15 Daily stand-up [Home]',
      '2026-12-03 14:00 2026-12-03 14:15 Stand-up (afternoon) [Home]',
      '2026-12-04 09:00 2026-12-04 09:15 Daily stand-up [Home]',
      '2026-12-04 12:00 2026-12-04 13:00 Lunch (server) [Home]',
      '2026-12-05 09:00 2026-12-05 09:15 Daily stand-up [Home]',
      '2026-12-06 10:00 2026-12-06 11:00 Plant tomatoes [Garden]',
    ], r.stdout + r.stderr);
  });

  await t.test('khard lists and shows the synced contacts', async () => {
    const khardConf = join(work, 'khard.conf');
    writeFileSync(khardConf, `[addressbooks]
[[contacts]]
path = ${join(bookDir, 'default')}
[[family]]
path = ${join(bookDir, 'family')}

[general]
editor = /bin/false
merge_editor = /bin/false
`);
    const list = await run(KHARD, ['-c', khardConf, 'list', '--parsable', '--display', 'formatted_name'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.stdout.trim().split('\n').sort(), [
      'ann@nymote.test\tAnn Example\tcontacts',
      'carol@nymote.test\tCarol Local\tcontacts',
      'dave@nymote.test\tDave Family\tfamily',
    ], list.stdout + list.stderr);
    const show = await run(KHARD, ['-c', khardConf, 'show', 'uid:ann@nymote.test'], env);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /Full name: Ann Example/);
    assert.match(show.stdout, /ann@work\.example\.org/, 'the address changed on the server');
    assert.match(show.stdout, /Address book: contacts/);
  });

  await git(s.repo, 'fsck', '--strict');
});
