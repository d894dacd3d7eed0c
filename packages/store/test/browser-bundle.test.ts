// The core must run in a browser: bundle it for the browser platform (which refuses node:* imports)
// and run a small scenario in a context that has only web globals (no process, Buffer or require).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';

const entry = fileURLToPath(new URL('../src/index.js', import.meta.url));

test('the core bundles for a browser and works with only web globals', async () => {
  const result = await build({
    entryPoints: [entry], bundle: true, platform: 'browser', format: 'iife', globalName: 'NymoteStore',
    write: false, metafile: true, logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(!inputs.some((i) => i.includes('backend/fs') || i.startsWith('node:')), `node-only modules bundled: ${inputs.join(', ')}`);
  const code = result.outputFiles[0]!.text;
  const context: Record<string, unknown> = { TextEncoder, TextDecoder, console, setTimeout, clearTimeout, queueMicrotask };
  runInNewContext(code, context);
  const scenario = `(async () => {
    const { Store, memoryBackend, schemaByPrefix, jsonType } = NymoteStore;
    if (typeof process !== 'undefined' || typeof Buffer !== 'undefined' || typeof require !== 'undefined') throw new Error('node globals leaked');
    const s = new Store(memoryBackend(), { schema: schemaByPrefix({ contacts: jsonType }) });
    await s.write('contacts/a', { name: 'A', email: 'x' });
    await s.createBranch('phone');
    await s.write('contacts/a', { name: 'A', email: 'y' });
    await s.write('contacts/a', { name: 'A', email: 'x', tel: '1' }, { branch: 'phone' });
    const m = await s.merge('phone');
    return JSON.stringify({ ok: m.ok, value: await s.read('contacts/a'), head: await s.head() });
  })()`;
  const out = JSON.parse(await (runInNewContext(scenario, context) as Promise<string>)) as { ok: boolean; value: unknown; head: string };
  assert.equal(out.ok, true);
  assert.deepEqual(out.value, { name: 'A', email: 'y', tel: '1' });
  assert.match(out.head, /^[0-9a-f]{40}$/);
});
