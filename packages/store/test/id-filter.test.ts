// The filter in front of a pack set's indexes: never "absent" for an id a pack holds, whatever order
// packs come and go in; "absent" for nearly every id none holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { IdFilter } from '../src/git/pack/id-filter.js';
import { PackSet } from '../src/backend/fs/packs.js';
import { tempDir } from './helpers/git.js';

const text = new TextEncoder();

test('IdFilter: every id added is "maybe"; of ids never added, few are', () => {
  const filter = new IdFilter(10_000);
  const added = Array.from({ length: 10_000 }, () => randomBytes(20));
  for (const id of added) filter.addAt(id, 0);
  assert.equal(filter.size, 10_000);
  for (const id of added) assert.ok(filter.mightHave(id));
  let maybe = 0;
  for (let i = 0; i < 100_000; i++) if (filter.mightHave(randomBytes(20))) maybe++;
  assert.ok(maybe < 1_000, `${maybe} of 100,000 absent ids were "maybe"`);
  // An id at an offset inside a larger buffer, as in an index file.
  const bytes = Buffer.concat([Buffer.alloc(7), randomBytes(20)]);
  filter.addAt(bytes, 7);
  assert.ok(filter.mightHave(bytes.subarray(7)));
});

test('a pack set finds every object of every pack after its filter is built, through packs added and merged away', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const packDir = join(dir, 'objects', 'pack');
    mkdirSync(packDir, { recursive: true });
    const set = new PackSet(packDir, { readExternal: async () => undefined, onWarning: () => {} });
    const blobs = (tag: string, n: number) => Array.from({ length: n }, (_, i) => ({ type: 'blob' as const, body: text.encode(`${tag} ${i}\n`) }));
    const idOf = (body: Uint8Array) => createHash('sha1').update(`blob ${body.length}\0`).update(body).digest('hex');
    const held: string[] = [];
    const write = (tag: string, n: number) => {
      const objects = blobs(tag, n);
      set.writeSmall(objects);
      held.push(...objects.map((o) => idOf(o.body)));
    };
    write('a', 10);
    write('b', 10);
    // Enough lookups of absent ids to build the filter, then packs beyond the size it was built for.
    for (let i = 0; i < 1_000; i++) assert.equal(set.has(randomBytes(20).toString('hex')), false);
    for (let k = 0; k < 40; k++) write(`c${k}`, 200);
    for (const id of held) assert.ok(set.has(id), id);
    // A pack another process wrote, found by a rescan.
    const other = new PackSet(packDir, { readExternal: async () => undefined, onWarning: () => {} });
    const late = blobs('late', 50);
    other.writeSmall(late);
    await other.close();
    await set.rescan();
    for (const o of late) assert.ok(set.has(idOf(o.body)));
    // Packs deleted: their ids are gone from the set even if the filter still says "maybe".
    const gone = set.files[set.files.length - 1]!;
    const goneIds = [...gone.index.ids()];
    rmSync(gone.path.replace(/\.pack$/, '.idx'));
    rmSync(gone.path);
    await set.rescan();
    for (const id of goneIds) assert.equal(set.has(id), false);
    await set.close();
  } finally {
    cleanup();
  }
});
