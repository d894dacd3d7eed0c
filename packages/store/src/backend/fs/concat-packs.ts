// Merging packs by concatenation: the new pack is a header, the entries of each old pack byte for byte
// one pack after the other, and a trailer. Nothing is parsed, inflated or re-encoded, so a merge costs
// a copy and a hash of the bytes, not work per object: the background merges of small packs (see
// auto-pack.ts) were most of a busy mail server's time when they went entry by entry.
//
// An entry's bytes do not depend on where it sits, except for OFS_DELTA, whose base is given as a
// distance back from the entry; a whole pack moved as one block keeps every such distance, so deltas
// stay valid. The index is the old indexes' ids and CRC-32s with the offsets moved by where each old
// pack's entries now start. Each old pack's checksum is verified as it is copied (PackFile.contents),
// so a damaged pack fails the merge, naming the file, before anything is deleted.
//
// What this cannot do, the caller does with a repack: an object in two of the packs (one pack may not
// hold it twice), an index of version 1 (it has no CRC-32s to copy).
import type { ObjectId } from '../../git/id.js';
import { HEADER_BYTES } from '../../git/pack/entry-header.js';
import { PackIndexBuilder } from '../../git/pack/pack-index.js';
import { TRAILER_BYTES } from '../../git/pack/pack-reader.js';
import { nodeSha1 } from './hash.js';
import type { PackFile, PackSet } from './packs.js';

export type Concatenated =
  | { pack: PackFile; count: number }
  | { pack?: undefined; reason: string; duplicate?: ObjectId };

/**
 * One pack holding every entry of `packs`, installed in `set` (flushed to disk when `fsync`); or, when
 * they cannot be concatenated, the reason (nothing written).
 */
export async function concatenatePacks(set: PackSet, packs: readonly PackFile[], fsync: boolean): Promise<Concatenated> {
  let count = 0;
  for (const p of packs) {
    if (p.index.version !== 2) return { reason: `${p.path} has a version 1 index, without CRC-32s` };
    count += p.index.count;
  }
  // Where each pack's entries will start, from the sizes of the packs before it.
  const builder = new PackIndexBuilder(count);
  let base = HEADER_BYTES;
  for (const p of packs) {
    const { index } = p;
    const shift = base - HEADER_BYTES;
    for (let i = 0; i < index.count; i++) builder.addFrom(index, i, index.offsetAt(i) + shift, index.crc32At(i)!);
    base += p.size - HEADER_BYTES - TRAILER_BYTES;
  }
  const duplicate = builder.firstDuplicate();
  if (duplicate !== undefined) return { reason: `object ${duplicate} is in more than one of the packs`, duplicate };

  const stream = set.createStream(count);
  try {
    for (const p of packs) {
      const end = p.size - TRAILER_BYTES;
      let at = 0;
      // The chunks are the whole file, its trailer last (yielded once the checksum is verified).
      for await (const chunk of p.contents()) {
        const from = Math.max(0, HEADER_BYTES - at);
        const to = Math.min(chunk.length, end - at);
        if (to > from) stream.write(chunk.subarray(from, to));
        at += chunk.length;
      }
    }
  } catch (e) {
    stream.abort();
    throw e;
  }
  const pack = await set.finishStream(stream, count, (trailer) => builder.encode(trailer, nodeSha1), fsync);
  return { pack, count };
}
