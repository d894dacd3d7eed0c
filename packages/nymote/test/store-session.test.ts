// A serving command's store writes packs and packs the loose objects others leave; a one-shot command's writes loose files and leaves them to gc.
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

test('a service writes packs, and packs the loose objects one-shot commands left once past git\'s gc.auto (6700)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nymote-session-'));
  try {
    const repo = join(dir, 'store.git');
    // A one-shot command's commits: loose files, about four per commit.
    const once = new StoreSession(io, repo);
    const { store: direct } = await once.open({ create: true });
    for (let i = 0; i < 2000; i++) await direct.set(`k/${i % 40}/${i}`, `value ${i}`);
    await once.close();
    const left = looseIn(repo);
    assert.ok(left > 7000, `${left} loose files`);
    // A service's commits are packs; its first write finds the loose objects over the limit and packs them.
    const service = new StoreSession(io, repo);
    const { store } = await service.open({ service: true });
    for (let i = 2000; i < 2050; i++) await store.set(`k/${i % 40}/${i}`, `value ${i}`);
    await service.close(); // waits for the packing
    const loose = looseIn(repo);
    assert.ok(loose < 100, `${loose} loose files left of ${left}`);
    const again = new StoreSession(io, repo);
    const reopened = (await again.open()).store;
    assert.equal(new TextDecoder().decode(await reopened.get('k/3/1283')), 'value 1283');
    assert.equal(new TextDecoder().decode(await reopened.get('k/9/2049')), 'value 2049');
    assert.equal((await reopened.log({ limit: 3000 })).entries.length, 2050);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
