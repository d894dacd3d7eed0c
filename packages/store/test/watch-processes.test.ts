// A watch sees commits that another process makes to the same repository on disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { openStore } from '../src/node.js';
import { fromUtf8 } from '../src/git/bytes.js';
import type { Change } from '../src/store.js';
import { tempDir } from './helpers/git.js';

const writer = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures', 'crash-writer.js');

test('Store.watch reports changes committed by another process, in order, with values', async () => {
  const { dir, cleanup } = tempDir();
  const store = await openStore(dir, { create: true });
  try {
    const seen: Change[] = [];
    const stop = store.watch((c) => seen.push(c), { prefix: 'items/3' });
    await new Promise<void>((resolve, reject) => {
      const p = spawn(process.execPath, [writer, dir, '0', '120'], { stdio: 'ignore' });
      p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`))));
    });
    // Keys items/3/3, items/3/53, items/3/103 were written by the other process.
    for (let i = 0; i < 100 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    stop();
    assert.deepEqual(seen.map((c) => c.key), ['items/3/3', 'items/3/53', 'items/3/103']);
    assert.ok(seen.every((c) => c.old === undefined && c.new !== undefined));
    assert.match(fromUtf8(seen[1]!.new!), /^value 53\n/);
    // Updates close together may be reported as one step, so the commit is one that has the key, on main.
    assert.ok(await store.get('items/3/103', { commit: seen[2]!.commit! }));
    assert.ok(await store.isAncestor(seen[2]!.commit!, (await store.head())!));
  } finally {
    await store.close();
    cleanup();
  }
});
