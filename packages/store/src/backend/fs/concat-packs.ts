// Merging packs by concatenation: the new pack is a header, the entries of each old pack byte for byte
// one pack after the other, and a trailer. Nothing is parsed, inflated or re-encoded, so a merge costs
// a copy and a hash of the bytes, not work per object: the background merges of small packs (see
// auto-pack.ts) were most of a busy mail server's time when they went entry by entry.
//
// An entry's bytes do not depend on where it sits, except for OFS_DELTA, whose base is given as a
// distance back from the entry; a whole pack moved as one block keeps every such distance, so deltas
// stay valid. The index is the old indexes' ids and CRC-32s with the offsets moved by where each old
// pack's entries now start. Each old pack's checksum is verified as it is copied, so a damaged pack
// fails the merge, naming the file, before anything is deleted.
//
// The copying, hashing and index building (concatenateFiles) work on files only, so they run on the
// merge thread (merge-thread.ts) when there is one: a service's event loop then only renames the
// result into place. The copy and two SHA-1 passes over every merged byte were a tenth of a busy
// mail server's main thread.
//
// What this cannot do, the caller does with a repack: an object in two of the packs (one pack may not
// hold it twice), an index of version 1 (it has no CRC-32s to copy).
import { fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { StoreError } from '../../errors.js';
import { toHex } from '../../git/bytes.js';
import type { ObjectId } from '../../git/id.js';
import { HEADER_BYTES } from '../../git/pack/entry-header.js';
import { PackIndex, PackIndexBuilder } from '../../git/pack/pack-index.js';
import { TRAILER_BYTES } from '../../git/pack/pack-reader.js';
import { closeQuietly, removeQuietly, writeNewFile } from './files.js';
import { nodeSha1 } from './hash.js';
import { runOffThread } from './merge-thread.js';
import { checkPackChecksum, PackStream, type PackFile, type PackSet } from './packs.js';

export type Concatenated =
  | { pack: PackFile; count: number }
  | { pack?: undefined; reason: string; duplicate?: ObjectId };

/** What concatenateFiles is given: the packs (their .idx beside them) and the two temp files to write. */
export interface ConcatJob {
  packs: readonly string[];
  tmpPack: string;
  tmpIdx: string;
  fsync: boolean;
}

/** The temp files hold the merged pack and its index (`index`, the index file's bytes), or why not (nothing written). */
export type ConcatDone =
  | { checksum: string; index: Uint8Array; count: number }
  | { reason: string; duplicate?: ObjectId };

/** Bytes read from an old pack at a time. */
const READ_CHUNK = 1 << 20;

/**
 * One pack holding every entry of `packs` (packs of `set`), installed in `set` (flushed to disk when `fsync`); or, when
 * they cannot be concatenated, the reason (nothing written). The work runs on the merge thread unless
 * `thread` is false or there is none.
 */
export async function concatenatePacks(
  set: PackSet, packs: readonly PackFile[], fsync: boolean, options: { thread?: boolean } = {},
): Promise<Concatenated> {
  const job: ConcatJob = {
    packs: packs.map((p) => p.path), tmpPack: set.tempPath('tmp_pack_'), tmpIdx: set.tempPath('tmp_idx_'), fsync,
  };
  const done = (options.thread === false ? undefined : runOffThread(job)) ?? concatenateFiles(job);
  let result: ConcatDone;
  try {
    result = await done;
  } catch (e) {
    // The thread may have died with the files half written.
    removeQuietly(job.tmpPack);
    removeQuietly(job.tmpIdx);
    throw e;
  }
  if (!('checksum' in result)) return result;
  const pack = await set.installFiles(`pack-${result.checksum}`, job.tmpPack, job.tmpIdx, result.index, fsync, true);
  return { pack, count: result.count };
}

/**
 * Writes the concatenation of `job.packs` to `job.tmpPack` and its index to `job.tmpIdx`, each old
 * pack's checksum verified on the way (StoreError 'corrupt-pack' naming the file). Leaves no file
 * behind when it fails or answers with a reason.
 */
export async function concatenateFiles(job: ConcatJob): Promise<ConcatDone> {
  const indexes: PackIndex[] = [];
  let count = 0;
  for (const path of job.packs) {
    const idxPath = idxPathOf(path);
    const index = PackIndex.parse(readFileSync(idxPath), idxPath);
    if (index.version !== 2) return { reason: `${path} has a version 1 index, without CRC-32s` };
    indexes.push(index);
    count += index.count;
  }
  const fds: number[] = [];
  let stream: PackStream | undefined;
  try {
    const sizes: number[] = [];
    for (const path of job.packs) {
      const fd = openSync(path, 'r');
      fds.push(fd);
      sizes.push(fstatSync(fd).size);
    }
    // Where each pack's entries will start, from the sizes of the packs before it.
    const builder = new PackIndexBuilder(count);
    let base = HEADER_BYTES;
    for (let k = 0; k < indexes.length; k++) {
      const index = indexes[k]!;
      const shift = base - HEADER_BYTES;
      for (let i = 0; i < index.count; i++) builder.addFrom(index, i, index.offsetAt(i) + shift, index.crc32At(i)!);
      base += sizes[k]! - HEADER_BYTES - TRAILER_BYTES;
    }
    const duplicate = builder.firstDuplicate();
    if (duplicate !== undefined) return { reason: `object ${duplicate} is in more than one of the packs`, duplicate };

    stream = new PackStream(job.tmpPack, count);
    for (let k = 0; k < job.packs.length; k++) copyEntries(job.packs[k]!, fds[k]!, sizes[k]!, indexes[k]!, stream);
    const trailer = await stream.finish(count, job.fsync);
    stream = undefined;
    const index = builder.encode(trailer, nodeSha1);
    await writeNewFile(job.tmpIdx, index, { mode: 0o444, fsync: job.fsync });
    return { checksum: toHex(trailer), index, count };
  } catch (e) {
    stream?.abort();
    removeQuietly(job.tmpPack);
    throw e;
  } finally {
    for (const fd of fds) closeQuietly(fd);
  }
}

/** Copies the entries of one old pack (between its header and trailer) to `stream`, checking the pack's checksum. */
function copyEntries(path: string, fd: number, size: number, index: PackIndex, stream: PackStream): void {
  const body = size - TRAILER_BYTES;
  if (body < HEADER_BYTES) throw new StoreError('corrupt-pack', `${path}: only ${size} bytes`, { file: path });
  const hash = createHash('sha1');
  for (let at = 0; at < body; ) {
    // A buffer per chunk: PackStream keeps what it is given until it flushes.
    const chunk = Buffer.allocUnsafeSlow(Math.min(READ_CHUNK, body - at));
    const n = readSync(fd, chunk, 0, chunk.length, at);
    if (n === 0) throw new StoreError('corrupt-pack', `${path}: shorter than its ${size} bytes`, { file: path });
    hash.update(chunk.subarray(0, n));
    const from = Math.max(0, HEADER_BYTES - at);
    if (n > from) stream.write(chunk.subarray(from, n));
    at += n;
  }
  const trailer = Buffer.alloc(TRAILER_BYTES);
  const got = readSync(fd, trailer, 0, TRAILER_BYTES, body);
  checkPackChecksum(path, hash.digest('hex'), trailer.subarray(0, got), index);
}

function idxPathOf(packPath: string): string {
  return packPath.replace(/\.pack$/, '.idx');
}
