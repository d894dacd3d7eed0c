// Contacts and calendars: our CalDAV server (`nymote dav serve`, a child process) against Radicale 3
// (Debian `radicale`, run by /usr/bin/python3), both on 127.0.0.1, each with its own data folder,
// driven over HTTP with the same iCalendar text and the same requests.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleCalendar } from '@nymote/dav';
import { expectSame } from './check.js';
import { freePort, stop } from './processes.js';
import { settleDisk } from './settle.js';
import { median, progressEvery, timed } from './timing.js';
import type { Benchmark, Context, Row } from './types.js';

const PYTHON = '/usr/bin/python3';
const NYMOTE = fileURLToPath(new URL('../../../packages/nymote/bin/nymote.js', import.meta.url));
const USER = 'bench';
const PASSWORD = 'bench password';
const BENCH = '6 dav';
/** Calendar objects PUT one after another in the write measurement. */
const PUTS = 1_000;
/** Events changed before the sync-collection measurement. */
const CHANGES = 100;
/** Requests in flight while filling the query calendar (not measured). */
const FILL_CONCURRENCY = 8;

interface Peer {
  name: string;
  base: string;
  /** Puts events straight into the server's storage, where PUT would take too long to fill a big calendar. */
  writeDirect?: (coll: string, name: string, text: string) => Promise<void>;
  /** Imports a whole .ics file into a new calendar `coll` the way the server's users would: what the import row times. */
  importFile(coll: string, file: string): Promise<void>;
  close(): Promise<void>;
}

const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

async function request(url: string, method: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const r = await fetch(url, { method, headers: { Authorization: AUTH, ...headers }, ...(body !== undefined ? { body } : {}) });
  return { status: r.status, text: await r.text() };
}

async function ok(url: string, method: string, body?: string, headers: Record<string, string> = {}): Promise<string> {
  const r = await request(url, method, body, headers);
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status}\n${r.text.slice(0, 500)}`);
  return r.text;
}

/**
 * A PUT that may take minutes (Radicale on a 10 MB calendar): node:http, since fetch gives up waiting
 * for the response headers after 300 s.
 */
function putLong(url: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'PUT', headers: { Authorization: AUTH, 'Content-Type': 'text/calendar; charset=utf-8', 'Content-Length': body.length } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end(body);
  });
}

async function waitUntilUp(url: string, child: ChildProcess, name: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    try {
      await fetch(url, { method: 'OPTIONS' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${name} did not start on ${url}`);
}

async function startRadicale(dir: string): Promise<Peer> {
  if (spawnSync(PYTHON, ['-c', 'import radicale']).status !== 0) {
    throw new Error(`Radicale is missing from ${PYTHON} (apt-get install radicale)`);
  }
  const port = await freePort();
  const child = spawn(PYTHON, [
    '-m', 'radicale', '--config', '', '--storage-filesystem-folder', join(dir, 'collections'),
    '--server-hosts', `127.0.0.1:${port}`, '--auth-type', 'none', '--logging-level', 'warning',
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  await waitUntilUp(`${base}/`, child, 'radicale');
  // Radicale keeps a collection as a folder of .ics files and notices files added behind its back
  // (its caches are keyed by content); a PUT of each would take it tens of minutes at 10,000 events,
  // since every PUT rereads the collection to check the UID.
  const folder = join(dir, 'collections', 'collection-root', USER);
  const writeDirect = (coll: string, name: string, text: string) => writeFile(join(folder, coll, name), text);
  // Radicale's way to import a file: a PUT of the whole VCALENDAR onto the collection's URL, which it
  // splits by UID into a new collection replacing whatever was there.
  const importFile = async (coll: string, file: string) => {
    const status = await putLong(`${base}/${USER}/${coll}/`, await readFile(file));
    if (status !== 201) throw new Error(`Radicale answered ${status} to the PUT of ${file}`);
  };
  return { name: 'Radicale 3', base: `${base}/${USER}/`, writeDirect, importFile, close: () => stop(child) };
}

async function startOurs(dir: string): Promise<Peer> {
  const data = join(dir, 'data');
  await new Promise<void>((resolve, reject) => {
    const add = spawn(process.execPath, [NYMOTE, 'user', '--data', data, 'add', USER], { stdio: ['pipe', 'ignore', 'inherit'] });
    add.stdin!.end(`${PASSWORD}\n`);
    add.once('error', reject);
    add.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nymote user add exited with ${code}`))));
  });
  // stderr has one line per request: kept only to explain a failure.
  const child = spawn(process.execPath, [...(process.env['NYMOTE_BENCH_PROFILE'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['NYMOTE_BENCH_PROFILE']}`] : []), NYMOTE, 'dav', '--data', data, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    errors = (errors + text).slice(-4000);
    // A 500's stack trace, as the server logs it, is worth seeing at once.
    if (/^error: /m.test(text)) process.stderr.write(text.slice(text.search(/^error: /m)));
  });
  child.once('exit', (code, signal) => { if (code) process.stderr.write(`nymote dav serve exited with ${code ?? signal}:\n${errors}\n`); });
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /serving contacts and calendars at (http:\/\/127\.0\.0\.1:\d+)\/dav\//.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`nymote dav serve exited with ${code}: ${out}`)));
  });
  child.stdout!.resume();
  // Our users' way: the command line, a process of its own beside the running server, on the same data.
  const importFile = (coll: string, file: string) => new Promise<void>((resolve, reject) => {
    const p = spawn(process.execPath, [NYMOTE, 'calendar', '--data', data, 'import', USER, coll, file, '-q'], { stdio: ['ignore', 'ignore', 'inherit'] });
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nymote calendar import exited with ${code}`))));
  });
  return { name: 'ours', base: `${base}/dav/calendars/${USER}/`, importFile, close: () => stop(child) };
}

/** Event `i` of the data set: one a day or so through 2026, every tenth weekly for 20 weeks. */
function eventText(i: number, revision = 0): string {
  const day = new Date(Date.UTC(2026, 0, 1) + Math.floor((i * 365) / 1000 % 365) * 86_400_000 + (i % 10) * 3_600_000);
  const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const end = new Date(day.getTime() + 45 * 60_000);
  return [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Nymote//bench//EN', 'BEGIN:VEVENT', `UID:bench-${i}@example.org`,
    'DTSTAMP:20261126T100000Z', `DTSTART:${stamp(day)}`, `DTEND:${stamp(end)}`,
    ...(i % 10 === 0 ? ['RRULE:FREQ=WEEKLY;COUNT=20'] : []),
    `SUMMARY:Event ${i}${revision ? ` (revision ${revision})` : ''}`, 'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');
}

const MKCALENDAR = `<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>Bench</D:displayname></D:prop></D:set></C:mkcalendar>`;

const QUERY = (start: string, end: string) => `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="${start}" end="${end}"/></C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>`;

const SYNC = (token: string) => `<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:"><D:sync-token>${token}</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`;

const PROPFIND_ETAG = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>`;

const PROPFIND_TOKEN = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:sync-token/></D:prop></D:propfind>`;

/** The event hrefs of a multistatus that have a 200 propstat, by resource name, sorted. */
function hrefsOf(xml: string): string[] {
  const out: string[] = [];
  for (const m of xml.matchAll(/<(?:\w+:)?response\b[^>]*>([\s\S]*?)<\/(?:\w+:)?response>/g)) {
    const href = /<(?:\w+:)?href>([^<]*)<\/(?:\w+:)?href>/.exec(m[1]!)?.[1];
    if (href && /200 OK/.test(m[1]!) && href.endsWith('.ics')) out.push(decodeURIComponent(href.slice(href.lastIndexOf('/') + 1)));
  }
  return out.sort();
}

async function syncToken(coll: string): Promise<string> {
  const text = await ok(coll, 'PROPFIND', PROPFIND_TOKEN, { Depth: '0', 'Content-Type': 'application/xml' });
  const token = /<(?:\w+:)?sync-token>([^<]+)</.exec(text)?.[1];
  if (!token) throw new Error(`no sync-token in ${text.slice(0, 300)}`);
  return token;
}

async function fill(peer: Peer, name: string, count: number, progress: (done: number) => void): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      if (peer.writeDirect) await peer.writeDirect(name, `e${i}.ics`, eventText(i));
      else await ok(`${peer.base}${name}/e${i}.ics`, 'PUT', eventText(i), { 'Content-Type': 'text/calendar; charset=utf-8' });
      progress(++done);
    }
  };
  await Promise.all(Array.from({ length: FILL_CONCURRENCY }, worker));
}

export const davBench: Benchmark = {
  name: 'dav',
  description: '6. CalDAV: PUT, calendar-query by time range, sync-collection, import of a 10 MB .ics vs Radicale 3',
  async run(ctx: Context) {
    if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing (apt-get install radicale)`);
    const n = ctx.sizes.commits; // 10,000, or 1,000 with --quick
    const root = await ctx.workspace.dir('dav');
    await writeFile(join(root, 'README'), 'radicale/ and ours/ hold the two servers\' data\n');
    const peers: Peer[] = [];
    try {
      // One at a time, so that one failing to start (no Radicale) leaves none running to hold the bench.
      peers.push(await startOurs(join(root, 'ours')));
      peers.push(await startRadicale(join(root, 'radicale')));
    } catch (e) {
      for (const p of peers) await p.close();
      throw e;
    }
    const [ours, radicale] = peers as [Peer, Peer];
    const results = new Map<string, { put: number; queryCold: number; query: number; sync: number; found: string[]; synced: string[]; imported: number; importedNames: string[] }>();
    // The import file: the same generator as the import tests, n events (about 1 KB each, so 10 MB at
    // 10,000), a tenth of them weekly series, half of those with a moved occurrence, a fifth with a TZID.
    const sample = sampleCalendar(n, { name: 'Imported' });
    const importFile = join(root, 'import.ics');
    await writeFile(importFile, sample.text);
    const importMb = (sample.text.length / 1e6).toFixed(1);
    try {
      for (const peer of peers) {
        // Every login to ours is one scrypt run, then remembered; this request pays for it.
        await ok(peer.base, 'PROPFIND', PROPFIND_TOKEN, { Depth: '0', 'Content-Type': 'application/xml' }).catch(() => undefined);
        const writes = `${peer.base}writes/`;
        await ok(writes, 'MKCALENDAR', MKCALENDAR, { 'Content-Type': 'application/xml' });
        ctx.progress(`dav: ${peer.name}: PUT ${PUTS.toLocaleString('en-US')} events, one at a time`);
        const put = await timed(async () => {
          for (let i = 0; i < PUTS; i++) await ok(`${writes}e${i}.ics`, 'PUT', eventText(i), { 'Content-Type': 'text/calendar; charset=utf-8' });
        });

        const coll = `${peer.base}query/`;
        await ok(coll, 'MKCALENDAR', MKCALENDAR, { 'Content-Type': 'application/xml' });
        ctx.progress(`dav: ${peer.name}: filling a calendar with ${n.toLocaleString('en-US')} events`);
        await fill(peer, 'query', n, progressEvery(n, ctx.progress, `dav: ${peer.name}`));
        const body = QUERY('20260601T000000Z', '20260701T000000Z');
        const headers = { Depth: '1', 'Content-Type': 'application/xml' };
        ctx.progress(`dav: ${peer.name}: calendar-query, one month`);
        const cold = await timed(() => ok(coll, 'REPORT', body, headers));
        const query = await median(ctx.sizes.reps, () => timed(() => ok(coll, 'REPORT', body, headers)));

        ctx.progress(`dav: ${peer.name}: ${CHANGES} changes, then sync-collection`);
        const token = await syncToken(coll);
        for (let i = 0; i < CHANGES; i++) {
          const k = Math.floor((i * n) / CHANGES);
          await ok(`${coll}e${k}.ics`, 'PUT', eventText(k, 1), { 'Content-Type': 'text/calendar; charset=utf-8' });
        }
        const sync = await median(ctx.sizes.reps, () => timed(() => ok(coll, 'REPORT', SYNC(token), { Depth: '0', 'Content-Type': 'application/xml' })));

        ctx.progress(`dav: ${peer.name}: import a ${importMb} MB .ics (${n.toLocaleString('en-US')} events)`);
        settleDisk();
        const imported = await timed(() => peer.importFile('imported', importFile));
        const listing = await ok(`${peer.base}imported/`, 'PROPFIND', PROPFIND_ETAG, { Depth: '1', 'Content-Type': 'application/xml' });
        results.set(peer.name, {
          put: put.ms, queryCold: cold.ms, query: query.ms, sync: sync.ms, found: hrefsOf(query.value), synced: hrefsOf(sync.value),
          imported: imported.ms, importedNames: hrefsOf(listing),
        });
      }
    } finally {
      for (const p of peers) await p.close();
    }
    const a = results.get(ours.name)!;
    const b = results.get(radicale.name)!;
    expectSame('events found by the one-month calendar-query', b.found, a.found, 'ours');
    expectSame('events reported by sync-collection', b.synced, a.synced, 'ours');
    if (a.synced.length !== CHANGES) throw new Error(`sync-collection reported ${a.synced.length} events, expected ${CHANGES}`);
    // Both name an imported object by its UID, so the listings must be equal, one object per UID.
    expectSame('objects after importing the .ics', b.importedNames, a.importedNames, 'ours');
    if (a.importedNames.length !== sample.objects) throw new Error(`the import made ${a.importedNames.length} objects, expected ${sample.objects}`);
    const peer = (ms: number) => ({ name: radicale.name, result: { ms } });
    const N = n.toLocaleString('en-US');
    const rows: Row[] = [
      { bench: BENCH, task: `PUT ${PUTS.toLocaleString('en-US')} events, one at a time`, ours: { ms: a.put }, peer: peer(b.put), target: 1 },
      { bench: BENCH, task: `calendar-query, one month of ${N} events (${a.found.length.toLocaleString('en-US')} match), first`, ours: { ms: a.queryCold }, peer: peer(b.queryCold) },
      { bench: BENCH, task: `calendar-query, one month of ${N} events (${a.found.length.toLocaleString('en-US')} match)`, ours: { ms: a.query }, peer: peer(b.query), target: 10 },
      { bench: BENCH, task: `sync-collection after ${CHANGES} changes in ${N} events`, ours: { ms: a.sync }, peer: peer(b.sync), target: 1 },
      { bench: BENCH, task: `import a ${importMb} MB .ics (${N} events, ${sample.overrides} with an override): \`nymote calendar import\` vs PUT of the file`, ours: { ms: a.imported }, peer: peer(b.imported), target: 1 },
    ];
    return rows;
  },
};
