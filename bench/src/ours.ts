// Our Store as a contender: opened over a bare repository on disk or in memory, writing the records.
import { createHash } from 'node:crypto';
import { memoryBackend, Store, type ImportRecord, type StoreOptions } from '@nymote/store';
import { openStore } from '@nymote/store/node';
import { AUTHOR, type BenchRecord } from './dataset.js';

/** Every commit by AUTHOR, in UTC: with the records' times this makes our commits identical to git's. */
export const STORE_OPTIONS: StoreOptions = { author: { ...AUTHOR }, tzOffsetMinutes: 0 };

export async function createDiskStore(dir: string): Promise<Store> {
  return openStore(dir, { ...STORE_OPTIONS, create: true });
}

export async function openDiskStore(dir: string): Promise<Store> {
  return openStore(dir, STORE_OPTIONS);
}

/** node:crypto's SHA-1, as the on-disk backend uses; the memory backend's default is a portable one. */
export const nodeSha1 = (data: Uint8Array): string => createHash('sha1').update(data).digest('hex');

export function createMemoryStore(sha1: 'node' | 'portable'): Store {
  return new Store(memoryBackend(sha1 === 'node' ? { sha1: nodeSha1 } : {}), STORE_OPTIONS);
}

/** One `store.set` (one commit) per record; returns the head. */
export async function oursSetEach(store: Store, records: Iterable<BenchRecord>, onCommit?: (n: number) => void): Promise<string | undefined> {
  let head: string | undefined;
  let n = 0;
  for (const r of records) {
    head = await store.set(r.key, r.value, { time: r.time * 1000, message: r.message });
    onCommit?.(++n);
  }
  return head;
}

export function* importRecords(records: Iterable<BenchRecord>): Generator<ImportRecord> {
  for (const r of records) yield { key: r.key, value: r.value, time: r.time * 1000, message: r.message };
}

/** Store.import of all records (one commit each, one packfile); returns the head. */
export async function oursImport(store: Store, records: Iterable<BenchRecord>, onCommit?: (n: number) => void): Promise<string | undefined> {
  return (await store.import(importRecords(records), { ...(onCommit ? { onProgress: onCommit } : {}) })).head;
}
