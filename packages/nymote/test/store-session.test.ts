// A serving command's store packs its loose objects as they pile up; a one-shot command's leaves them to gc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Io } from '../src/io.js';
import { StoreSession } from '../src/store/session.js';

const silent = { write: () => true };
const io = { stdin: (async function* () {})(), stdout: silent, stderr: { ...silent, isTTY: false }, env: {}, interrupted: () => new Promise<void>(() => {}) } as unknown as Io;

const looseIn = (repo: string) => readdirSync(join(repo, 'objects')).filter((n) => /^[0-9a-f]{2}$/.test(n))
  .reduce((sum, d) => sum + readdirSync(join(repo, 'objects', d)).length, 0);

test('a store opened for a service packs loose objects past git\'s gc.auto (6700)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nymote-session-'));
  try {
    const repo = join(dir, 'store.git');
    const session = new StoreSession(io, repo);
    const { store } = await session.open({ create: true, service: true });
    // One commit at a time, each a few loose objects: about 9,000 in all.
    for (let i = 0; i < 2200; i++) await store.set(`k/${i % 40}/${i}`, `value ${i}`);
    await session.close();
    const loose = looseIn(repo);
    assert.ok(loose < 5000, `${loose} loose files left`);
    assert.ok(readdirSync(join(repo, 'objects', 'pack')).some((n) => n.endsWith('.pack')));
    const again = new StoreSession(io, repo);
    const reopened = (await again.open()).store;
    assert.equal(new TextDecoder().decode(await reopened.get('k/3/1283')), 'value 1283');
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
