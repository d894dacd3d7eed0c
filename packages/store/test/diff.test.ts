// diffTrees: the values that differ between two trees, in the order of their keys, whichever way the
// directories are walked (entry by entry when both hold the same names, through the union otherwise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryBackend } from '../src/backend/memory.js';
import { diffTrees, type ValueChange } from '../src/diff.js';
import { Store } from '../src/store.js';

async function treeOf(store: Store, values: Record<string, string>): Promise<string> {
  const { commit } = await store.update(async (t) => {
    for (const { key } of await t.keys('')) await t.remove(key);
    for (const [k, v] of Object.entries(values)) await t.set(k, v);
  });
  return (await store.objects.commit(commit!)).tree;
}

async function diff(store: Store, a: string | undefined, b: string | undefined): Promise<string[]> {
  const out: string[] = [];
  const show = (c: ValueChange) => `${c.old === undefined ? '+' : c.new === undefined ? '-' : '~'}${c.key}`;
  for await (const c of diffTrees(store.objects, a, b)) out.push(show(c));
  return out;
}

test('diffTrees: a value changed among many, keys added and removed, in key order', async () => {
  const store = new Store(memoryBackend());
  const box: Record<string, string> = {};
  for (let i = 0; i < 200; i++) box[`box/${String(i).padStart(3, '0')}.json`] = `{"n":${i}}`;
  const before = await treeOf(store, { ...box, 'meta.json': '1' });
  // Same names everywhere: entries paired by position.
  const changed = await treeOf(store, { ...box, 'box/117.json': '{"n":"x"}', 'meta.json': '2' });
  assert.deepEqual(await diff(store, before, changed), ['~box/117.json', '~meta.json']);
  // One name more and one less: the union of names.
  const { 'box/005.json': _gone, ...rest } = box;
  const moved = await treeOf(store, { ...rest, 'box/200.json': 'new', 'meta.json': '1' });
  assert.deepEqual(await diff(store, before, moved), ['-box/005.json', '+box/200.json']);
  assert.deepEqual(await diff(store, undefined, await treeOf(store, { b: '1', a: '2' })), ['+a', '+b']);
  assert.deepEqual(await diff(store, before, before), []);
});

test('diffTrees: a value that becomes a directory, beside names git orders differently from key order', async () => {
  const store = new Store(memoryBackend());
  // Git sorts a directory "a" as "a/", after "a.b" and before "a0"; keys sort "a/x" after "a.b" too,
  // but "a" itself first.
  const flat = await treeOf(store, { a: 'value', 'a.b': '1', a0: '2' });
  const nested = await treeOf(store, { 'a/x': 'in a dir', 'a.b': '1', a0: '2' });
  assert.deepEqual(await diff(store, flat, nested), ['+a/x', '-a']);
  assert.deepEqual(await diff(store, nested, flat), ['-a/x', '+a']);
  // Same names, each a directory on both sides, one of which changed inside.
  const nested2 = await treeOf(store, { 'a/x': 'changed', 'a.b': '1', a0: '2' });
  assert.deepEqual(await diff(store, nested, nested2), ['~a/x']);
});
