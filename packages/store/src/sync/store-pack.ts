// Puts a pack checked by the indexer into an object store: as a pack file pair where the backend keeps
// packs, else object by object.
import type { ObjectStore } from '../backend/types.js';
import type { Sha1 } from '../git/object.js';
import { PackIndex } from '../git/pack/pack-index.js';
import { PackReader } from '../git/pack/pack-reader.js';
import type { Zlib } from '../git/pack/types.js';
import type { IndexedPack } from './pack-indexer.js';

/** Reading a big pack object by object, this many go to writeBatch at a time (bounded memory). */
const BATCH = 4096;

export async function storePack(objects: ObjectStore, pack: IndexedPack, options: { zlib: Zlib; sha1: Sha1 }): Promise<void> {
  if (pack.ids.length === 0) return;
  if (objects.addPack) {
    await objects.addPack({ pack: pack.pack, index: pack.index, checksum: pack.checksum });
    return;
  }
  const file = `pack-${pack.checksum}.pack`;
  const reader = new PackReader({
    index: PackIndex.parse(pack.index, `pack-${pack.checksum}.idx`),
    pack: { size: pack.pack.length, read: async (o, n) => pack.pack.subarray(o, o + n) },
    zlib: options.zlib,
    file,
    windowBytes: 0,
  });
  // Pack order, so each delta's base is usually still in the reader's cache.
  const order = Array.from({ length: reader.index.count }, (_, i) => i)
    .sort((a, b) => reader.index.offsetAt(a) - reader.index.offsetAt(b));
  let batch: { id: string; type: 'blob' | 'tree' | 'commit' | 'tag'; body: Uint8Array }[] = [];
  for (const i of order) {
    const o = await reader.readAt(reader.index.offsetAt(i));
    batch.push({ id: reader.index.idAt(i), type: o.type, body: o.body });
    if (batch.length >= BATCH) {
      await objects.writeBatch(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await objects.writeBatch(batch);
}
