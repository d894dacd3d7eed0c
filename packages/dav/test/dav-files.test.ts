// The plain WebDAV file area, /dav/files/NAME/, with raw requests: folders, any bytes, properties, copies and moves.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { after, before, test } from 'node:test';
import { PASSWORD, fsck, startServer, type TestServer } from './dav-helpers.js';

let s: TestServer;
before(async () => { s = await startServer(['alice', 'bob'], { maxBodyBytes: 64 * 1024 }); });
after(async () => { await s.close(); });

const HOME = '/dav/files/alice/';
const xml = (body: string) => `<?xml version="1.0" encoding="utf-8"?>\n${body}`;
const git = (...args: string[]) => execFileSync('git', ['--git-dir', s.repo, ...args]);
const head = () => s.log('users/alice')[0];
const count = () => s.log('users/alice').length;

/** A request with a body of any bytes, read back as bytes (fetch would take the body as text). */
function raw(method: string, path: string, body?: Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(s.url + path);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname, port: url.port, path: url.pathname, method,
      headers: { Authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`, ...(body ? { 'Content-Length': String(body.length) } : {}), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const propfind = (path: string, depth: string, props = '<D:getetag/><D:resourcetype/><D:getcontentlength/><D:getcontenttype/>') =>
  s.request('PROPFIND', path, { headers: { Depth: depth }, body: xml(`<D:propfind xmlns:D="DAV:"><D:prop>${props}</D:prop></D:propfind>`) });
const hrefs = (text: string) => [...text.matchAll(/<D:href>([^<]*)<\/D:href>/g)].map((m) => decodeURIComponent(m[1]!));

test('MKCOL makes folders at any depth; 405 when something is there, 409 without a parent, 415 for a body', async () => {
  const mk = await s.request('MKCOL', `${HOME}docs/`);
  assert.equal(mk.status, 201);
  assert.equal(mk.headers.get('location'), `${HOME}docs/`);
  assert.equal(head(), 'Create folder docs');
  assert.equal((await s.request('MKCOL', `${HOME}docs/deep/`)).status, 201);
  assert.equal((await s.request('MKCOL', `${HOME}docs/deep/deeper`)).status, 201);
  assert.equal(head(), 'Create folder docs/deep/deeper');
  assert.equal((await s.request('MKCOL', `${HOME}docs/`)).status, 405);
  assert.equal((await s.request('MKCOL', HOME)).status, 405);
  assert.equal((await s.request('MKCOL', `${HOME}nowhere/x/`)).status, 409);
  assert.equal((await s.request('MKCOL', `${HOME}withbody/`, { body: 'not xml' })).status, 415);
  assert.equal((await s.request('MKCOL', `${HOME}.hidden/`)).status, 403);
  // Each folder has its marker file, which is what keeps an empty one in git (no empty trees there).
  assert.equal(git('ls-tree', '-r', '--name-only', 'users/alice', 'files/docs').toString(),
    ['files/docs/.collection.json', 'files/docs/deep/.collection.json', 'files/docs/deep/deeper/.collection.json', ''].join('\n'));
  // Extended MKCOL: dead properties come along; only plain collections can be made.
  const ext = await s.request('MKCOL', `${HOME}tagged/`, {
    body: xml(`<D:mkcol xmlns:D="DAV:" xmlns:Z="urn:example"><D:set><D:prop><D:resourcetype><D:collection/></D:resourcetype><Z:colour>blue</Z:colour></D:prop></D:set></D:mkcol>`),
  });
  assert.equal(ext.status, 201);
  assert.match((await propfind(`${HOME}tagged/`, '0', '<Z:colour xmlns:Z="urn:example"/>')).text, /<x0:colour>blue<\/x0:colour>/);
  const cal = await s.request('MKCOL', `${HOME}cal/`, {
    body: xml(`<D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:resourcetype><D:collection/><C:calendar/></D:resourcetype></D:prop></D:set></D:mkcol>`),
  });
  assert.equal(cal.status, 403);
  assert.match(cal.text, /<D:valid-resourcetype\/>/);
  assert.equal((await s.request('MKCALENDAR', `${HOME}cal/`)).status, 403);
});

test('PUT stores any bytes with their type; GET and HEAD give them back with the blob id as ETag', async () => {
  const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x41, 0x0a, 0x80, 0x00, 0x7f]);
  const put = await raw('PUT', `${HOME}docs/blob.bin`, bytes, { 'Content-Type': 'application/x-thing' });
  assert.equal(put.status, 201);
  assert.equal(head(), 'Add file docs/blob.bin');
  const hash = execFileSync('git', ['hash-object', '--stdin'], { input: bytes }).toString().trim();
  assert.equal(put.headers['etag'], `"${hash}"`);
  assert.deepEqual(git('show', 'users/alice:files/docs/blob.bin'), bytes);
  const get = await raw('GET', `${HOME}docs/blob.bin`);
  assert.equal(get.status, 200);
  assert.deepEqual(get.body, bytes);
  assert.equal(get.headers['content-type'], 'application/x-thing');
  assert.equal(get.headers['etag'], `"${hash}"`);
  assert.ok(!Number.isNaN(Date.parse(String(get.headers['last-modified']))));
  const headReq = await raw('HEAD', `${HOME}docs/blob.bin`);
  assert.equal(headReq.status, 200);
  assert.equal(headReq.body.length, 0);
  assert.equal(headReq.headers['content-length'], String(bytes.length));
  assert.equal((await raw('GET', `${HOME}docs/blob.bin`, undefined, { 'If-None-Match': `"${hash}"` })).status, 304);
  assert.equal((await raw('GET', `${HOME}docs/blob.bin`, undefined, { 'If-Match': '"0000000000000000000000000000000000000000"' })).status, 412);

  // Preconditions, and a change: 204 with the new ETag, and the type of the new PUT.
  const before = count();
  assert.equal((await raw('PUT', `${HOME}docs/blob.bin`, Buffer.from('x'), { 'If-None-Match': '*' })).status, 412);
  assert.equal((await raw('PUT', `${HOME}docs/blob.bin`, Buffer.from('x'), { 'If-Match': '"0000000000000000000000000000000000000000"' })).status, 412);
  assert.equal(count(), before);
  const change = await raw('PUT', `${HOME}docs/blob.bin`, Buffer.from('plain words\n'), { 'If-Match': `"${hash}"`, 'Content-Type': 'text/plain; charset=utf-8' });
  assert.equal(change.status, 204);
  assert.equal(head(), 'Change file docs/blob.bin');
  const again = await raw('GET', `${HOME}docs/blob.bin`);
  assert.equal(again.body.toString(), 'plain words\n');
  assert.equal(again.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal((await raw('GET', `${HOME}plain`)).status, 404);
  assert.equal((await raw('PUT', `${HOME}plain`, Buffer.from('no type'))).status, 201);
  assert.equal((await raw('GET', `${HOME}plain`)).headers['content-type'], 'application/octet-stream');
  // A name with spaces and non-ASCII letters travels percent-encoded and is stored as itself.
  assert.equal((await raw('PUT', `${HOME}docs/${encodeURIComponent('Ünïcode name.txt')}`, Buffer.from('ü'))).status, 201);
  assert.equal(git('show', 'users/alice:files/docs/Ünïcode name.txt').toString(), 'ü');

  // Where a PUT cannot go.
  assert.equal((await raw('PUT', `${HOME}missing/a.txt`, Buffer.from('x'))).status, 409);
  assert.equal((await raw('PUT', `${HOME}plain/under-a-file`, Buffer.from('x'))).status, 409);
  assert.equal((await raw('PUT', `${HOME}docs`, Buffer.from('x'))).status, 405);
  assert.equal((await raw('PUT', HOME, Buffer.from('x'))).status, 405);
  assert.equal((await raw('PUT', `${HOME}docs/.collection.json`, Buffer.from('{}'))).status, 403);
  assert.equal((await raw('GET', `${HOME}docs/.collection.json`)).status, 404);
  assert.equal((await raw('PUT', `${HOME}docs/big`, Buffer.alloc(100 * 1024))).status, 413);
  assert.equal(count(), before + 3);
});

test('PROPFIND Depth 0, 1 and infinity; the marker is never listed; the home is listed from the root', async () => {
  const d0 = await propfind(`${HOME}docs/blob.bin`, '0', '<D:getetag/><D:getcontentlength/><D:getcontenttype/><D:resourcetype/><D:creationdate/><D:getlastmodified/>');
  assert.equal(d0.status, 207);
  assert.match(d0.text, /<D:getcontentlength>12<\/D:getcontentlength>/);
  assert.match(d0.text, /<D:getcontenttype>text\/plain; charset=utf-8<\/D:getcontenttype>/);
  assert.match(d0.text, /<D:getetag>"[0-9a-f]{40}"<\/D:getetag>/);
  assert.match(d0.text, /<D:resourcetype\/>/);
  assert.match(d0.text, /<D:creationdate>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ<\/D:creationdate>/);
  assert.match(d0.text, /<D:getlastmodified>\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT<\/D:getlastmodified>/);
  const d1 = await propfind(`${HOME}docs/`, '1');
  assert.deepEqual(hrefs(d1.text).sort(), [`${HOME}docs/`, `${HOME}docs/blob.bin`, `${HOME}docs/deep/`, `${HOME}docs/Ünïcode name.txt`].sort());
  assert.match(d1.text, /<D:href>\/dav\/files\/alice\/docs\/deep\/<\/D:href><D:propstat><D:prop><D:resourcetype><D:collection\/><\/D:resourcetype>/);
  const inf = await propfind(HOME, 'infinity', '<D:resourcetype/>');
  assert.ok(hrefs(inf.text).includes(`${HOME}docs/deep/deeper/`), inf.text);
  assert.ok(!inf.text.includes('.collection.json'));
  // No Depth is infinity (RFC 4918 9.1).
  assert.deepEqual(hrefs((await propfind(HOME, '')).text).sort(), hrefs(inf.text).sort());
  assert.equal((await propfind(HOME, 'two')).status, 400);
  assert.equal((await propfind(`${HOME}nothing/`, '0')).status, 404);
  const root = await s.request('PROPFIND', '/dav/', { headers: { Depth: '1' }, body: xml('<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/></D:prop></D:propfind>') });
  assert.ok(hrefs(root.text).includes(HOME), root.text);
  const names = await s.request('PROPFIND', `${HOME}docs/blob.bin`, { headers: { Depth: '0' }, body: xml('<propfind xmlns="DAV:"><propname/></propfind>') });
  assert.match(names.text, /<D:getcontenttype\/>/);
  assert.match(names.text, /<D:creationdate\/>/);
});

test('PROPPATCH keeps dead properties of files and folders in the store, all or nothing', async () => {
  const before = count();
  const set = await s.request('PROPPATCH', `${HOME}docs/blob.bin`, {
    body: xml(`<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example"><D:set><D:prop>
      <Z:author>Ann &amp; Bob</Z:author><Z:link><D:href>/elsewhere</D:href><Y:x xmlns:Y="urn:other" a="1">y</Y:x></Z:link><D:displayname>Blob</D:displayname>
    </D:prop></D:set></D:propertyupdate>`),
  });
  assert.equal(set.status, 207);
  assert.equal((set.text.match(/200 OK/g) ?? []).length, 1);
  assert.equal(head(), 'Change the properties of file docs/blob.bin');
  const back = await propfind(`${HOME}docs/blob.bin`, '0', '<Z:author xmlns:Z="urn:example"/><Z:link xmlns:Z="urn:example"/><D:displayname/>');
  assert.match(back.text, /<x0:author>Ann &amp; Bob<\/x0:author>/);
  assert.match(back.text, /<x0:link><D:href>\/elsewhere<\/D:href><x1:x a="1">y<\/x1:x><\/x0:link>/);
  assert.match(back.text, /<D:displayname>Blob<\/D:displayname>/);
  // They live in the folder's marker, beside the bytes, which stay as they were.
  const marker = JSON.parse(git('show', 'users/alice:files/docs/.collection.json').toString()) as { files: Record<string, { dead: Record<string, unknown> }> };
  assert.equal(marker.files['blob.bin']!.dead['{urn:example}author'], 'Ann & Bob');
  assert.equal(git('show', 'users/alice:files/docs/blob.bin').toString(), 'plain words\n');

  const folder = await s.request('PROPPATCH', `${HOME}docs/deep/`, {
    body: xml(`<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example"><D:set><D:prop><Z:colour>green</Z:colour></D:prop></D:set></D:propertyupdate>`),
  });
  assert.equal(folder.status, 207);
  assert.equal(head(), 'Change the properties of folder docs/deep');
  const bad = await s.request('PROPPATCH', `${HOME}docs/blob.bin`, {
    body: xml(`<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example"><D:remove><D:prop><Z:author/></D:prop></D:remove><D:set><D:prop><D:getetag>"x"</D:getetag></D:prop></D:set></D:propertyupdate>`),
  });
  assert.equal(bad.status, 207);
  assert.match(bad.text, /<D:getetag\/><\/D:prop><D:status>HTTP\/1.1 403 Forbidden/);
  assert.match(bad.text, /<x0:author\/><\/D:prop><D:status>HTTP\/1.1 424 Failed Dependency/);
  assert.equal(count(), before + 2);
  assert.match((await propfind(`${HOME}docs/blob.bin`, '0', '<Z:author xmlns:Z="urn:example"/>')).text, /Ann &amp; Bob/);
  const removed = await s.request('PROPPATCH', `${HOME}docs/deep/`, {
    body: xml(`<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:example"><D:remove><D:prop><Z:colour/><Z:never-set/></D:prop></D:remove></D:propertyupdate>`),
  });
  assert.equal(removed.status, 207);
  assert.match((await propfind(`${HOME}docs/deep/`, '0', '<Z:colour xmlns:Z="urn:example"/>')).text, /<x0:colour\/><\/D:prop><D:status>HTTP\/1.1 404/);
  assert.equal((await s.request('PROPPATCH', `${HOME}nothing`, { body: xml('<D:propertyupdate xmlns:D="DAV:"/>') })).status, 404);
});

test('COPY and MOVE of files and folders, with their properties', async () => {
  const dest = (p: string) => ({ Destination: `${s.url}${HOME}${p}` });
  const copy = await s.request('COPY', `${HOME}docs/blob.bin`, { headers: dest('copy.bin') });
  assert.equal(copy.status, 201);
  assert.equal(head(), 'Copy file docs/blob.bin to copy.bin');
  assert.match((await propfind(`${HOME}copy.bin`, '0', '<Z:author xmlns:Z="urn:example"/>')).text, /Ann &amp; Bob/);
  assert.equal((await s.request('COPY', `${HOME}docs/blob.bin`, { headers: { ...dest('copy.bin'), Overwrite: 'F' } })).status, 412);
  assert.equal((await s.request('COPY', `${HOME}plain`, { headers: dest('copy.bin') })).status, 204);
  assert.equal((await raw('GET', `${HOME}copy.bin`)).body.toString(), 'no type');
  assert.equal((await s.request('COPY', `${HOME}plain`, { headers: dest('plain') })).status, 403);
  assert.equal((await s.request('COPY', `${HOME}plain`, { headers: dest('missing/plain') })).status, 409);
  assert.equal((await s.request('COPY', `${HOME}plain`, { headers: { Destination: 'http://elsewhere.example/dav/files/alice/x' } })).status, 502);
  assert.equal((await s.request('COPY', `${HOME}plain`, { headers: { Destination: `${s.url}/dav/files/bob/x` } })).status, 403);
  assert.equal((await s.request('COPY', `${HOME}plain`, { headers: { Destination: `${s.url}/dav/calendars/alice/default/x.ics` } })).status, 403);
  assert.equal((await s.request('COPY', `${HOME}nothing`, { headers: dest('x') })).status, 404);
  assert.equal((await s.request('COPY', `${HOME}plain`)).status, 400);

  const move = await s.request('MOVE', `${HOME}docs/blob.bin`, { headers: dest('docs/deep/moved.bin') });
  assert.equal(move.status, 201);
  assert.equal(head(), 'Move file docs/blob.bin to docs/deep/moved.bin');
  assert.equal((await raw('GET', `${HOME}docs/blob.bin`)).status, 404);
  const moved = await raw('GET', `${HOME}docs/deep/moved.bin`);
  assert.equal(moved.body.toString(), 'plain words\n');
  assert.equal(moved.headers['content-type'], 'text/plain; charset=utf-8');
  assert.match((await propfind(`${HOME}docs/deep/moved.bin`, '0', '<Z:author xmlns:Z="urn:example"/>')).text, /Ann &amp; Bob/);
  const marker = git('show', 'users/alice:files/docs/.collection.json').toString();
  assert.ok(!marker.includes('blob.bin'), marker);

  // Folders: a whole tree, or the folder alone with Depth 0; MOVE takes only infinity.
  const tree = await s.request('COPY', `${HOME}docs/`, { headers: dest('docs2/') });
  assert.equal(tree.status, 201);
  assert.equal(head(), 'Copy folder docs to docs2');
  assert.equal((await raw('GET', `${HOME}docs2/deep/moved.bin`)).body.toString(), 'plain words\n');
  assert.equal(git('rev-parse', 'users/alice:files/docs2').toString(), git('rev-parse', 'users/alice:files/docs').toString());
  const shallow = await s.request('COPY', `${HOME}tagged/`, { headers: { ...dest('docs/shallow/'), Depth: '0' } });
  assert.equal(shallow.status, 201);
  assert.match((await propfind(`${HOME}docs/shallow/`, '0', '<Z:colour xmlns:Z="urn:example"/>')).text, /blue/);
  assert.equal((await s.request('COPY', `${HOME}docs/`, { headers: { ...dest('docs3/'), Depth: '1' } })).status, 400);
  assert.equal((await s.request('MOVE', `${HOME}docs2/`, { headers: { ...dest('docs3/'), Depth: '0' } })).status, 400);
  assert.equal((await s.request('MOVE', `${HOME}docs2/`, { headers: dest('docs2/deep/inside/') })).status, 403);
  assert.equal((await s.request('MOVE', `${HOME}docs2/deep/`, { headers: dest('docs2/') })).status, 403);
  const mv = await s.request('MOVE', `${HOME}docs2/`, { headers: dest('docs/deep/') });
  assert.equal(mv.status, 204);
  assert.equal(head(), 'Move folder docs2 to docs/deep');
  assert.equal((await raw('GET', `${HOME}docs/deep/deep/moved.bin`)).status, 200);
  assert.equal((await propfind(`${HOME}docs2/`, '0')).status, 404);
  fsck(s.repo);
});

test('DELETE of a file keeps its folder; of a folder takes everything in it; every write is one commit', async () => {
  assert.equal((await s.request('MKCOL', `${HOME}keep/`)).status, 201);
  assert.equal((await raw('PUT', `${HOME}keep/only`, Buffer.from('1'))).status, 201);
  const etag = (await raw('GET', `${HOME}keep/only`)).headers['etag'] as string;
  assert.equal((await s.request('DELETE', `${HOME}keep/only`, { headers: { 'If-Match': '"0000000000000000000000000000000000000000"' } })).status, 412);
  assert.equal((await s.request('DELETE', `${HOME}keep/only`, { headers: { 'If-Match': etag } })).status, 204);
  assert.equal(head(), 'Delete file keep/only');
  assert.equal((await propfind(`${HOME}keep/`, '0')).status, 207);
  const before = count();
  assert.equal((await s.request('DELETE', `${HOME}docs/`)).status, 204);
  assert.equal(head(), 'Delete folder docs');
  assert.equal(count(), before + 1);
  assert.equal((await propfind(`${HOME}docs/deep/deep/`, '0')).status, 404);
  assert.equal((await s.request('DELETE', `${HOME}docs/`)).status, 404);
  assert.equal((await s.request('DELETE', HOME)).status, 403);
  fsck(s.repo);
});

test('bad input is refused before anything is stored; another user is 403', async () => {
  const before = count();
  assert.equal((await s.request('PROPFIND', HOME, { headers: { Depth: '0' }, body: '<propfind xmlns="DAV:"><prop>' })).status, 400);
  assert.equal((await s.request('PROPPATCH', `${HOME}plain`, { body: '<D:propertyupdate xmlns:D="DAV:"><D:set>' })).status, 400);
  assert.equal((await s.request('PROPPATCH', `${HOME}plain`, { body: xml('<D:propfind xmlns:D="DAV:"/>') })).status, 400);
  assert.equal((await s.request('PROPPATCH', `${HOME}plain`, { body: '<!DOCTYPE x [<!ENTITY a "aaaa">]><D:propertyupdate xmlns:D="DAV:"/>' })).status, 400);
  assert.equal((await s.request('GET', `${HOME}bad%zz`)).status, 400);
  assert.equal((await s.request('MOVE', `${HOME}plain`, { headers: { Destination: `${s.url}${HOME}x`, Overwrite: 'maybe' } })).status, 400);
  assert.equal((await s.request('REPORT', HOME, { body: xml('<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:prop/></D:sync-collection>') })).status, 403);
  assert.equal(count(), before);
  assert.equal((await s.request('PROPFIND', '/dav/files/bob/', { headers: { Depth: '0' } })).status, 403);
  assert.equal((await s.request('PUT', '/dav/files/bob/x', { body: 'x' })).status, 403);
  assert.equal((await s.request('MKCOL', '/dav/files/bob/x/')).status, 403);
  assert.equal((await s.request('GET', '/dav/files/bob/x', { user: 'bob' })).status, 404);
  assert.equal((await s.request('PUT', '/dav/files/bob/x', { user: 'bob', body: 'mine' })).status, 201);
  assert.equal(git('show', 'users/bob:files/x').toString(), 'mine');
  assert.equal((await s.request('GET', '/dav/files/bob/x')).status, 403);
  // Calendars and address books are where they were.
  assert.equal((await propfind('/dav/calendars/alice/default/', '0')).status, 207);
  fsck(s.repo);
});
