// gc: every loose object and every pack of the repository into one new pack (with deltas; see
// repack.ts for how entries of the old packs are copied rather than rebuilt), then the
// loose files and old packs removed, and loose refs into packed-refs — what `git gc` does with
// `repack -a -d`. Nothing is pruned: unreachable objects are kept. Safe while other readers and writers
// (here, in other processes, or git) keep working: the new pack is complete and fsynced before
// anything goes, only what it holds is removed, readers that miss a vanished file rescan the packs
// (an open pack stays readable after it is unlinked), and refs are packed under git's locks.
import { join } from 'node:path';
import { decodeTagTarget } from '../../git/commit-codec.js';
import type { ObjectId } from '../../git/id.js';
import { isNotFound, removeOldFiles } from './files.js';
import type { FsObjects } from './objects.js';
import { deleteReplacedPacks, isKept, type PackFile } from './packs.js';
import { repackAll, type RepackStats } from './repack.js';
import { SPARES_DIR } from './ref-spares.js';
import type { FsRefs } from './refs.js';

export interface GcOptions {
  onProgress?: (msg: string) => void;
}

export interface GcResult {
  /** Objects written into the new pack (from loose files and from the packs it replaces). */
  packedObjects: number;
  /** Loose object files deleted (packed now, or already in a pack before). */
  removedLooseFiles: number;
  /** Packs replaced by the new one and deleted. */
  removedPacks: number;
  /** How the new pack was made, when one was written: entries copied from old packs, deltas found anew. */
  reuse?: RepackStats;
}

/** Temp files this old were left by killed processes (a live write holds one for milliseconds). */
const STALE_TEMP_MS = 60 * 60 * 1000;
/** Annotated tags of tags of …: git gives up peeling after this many. */
const MAX_PEEL = 16;

export async function collectGarbage(objects: FsObjects, refs: FsRefs, options: GcOptions = {}): Promise<GcResult> {
  const say = options.onProgress ?? (() => {});
  const { loose, packs } = objects.local;

  await packs.rescan();
  const ids = await loose.list();
  const oldPacks = packs.files.filter((p) => !isKept(p));
  say(`gc: ${ids.length} loose objects, ${oldPacks.length} packs`);
  // One pack and nothing loose: already as packed as gc makes it.
  const repack = oldPacks.length > 1 || (oldPacks.length === 1 && ids.length > 0);
  // Loose files of objects a pack has (a rewrite after a pack, or git's own) need no copy: a kept pack
  // keeps them, and the old packs' copies go into the new one.
  const looseToPack = ids.filter((id) => !packs.has(id));
  let packedObjects = 0;
  let written: PackFile | undefined;
  let reuse: RepackStats | undefined;
  if (repack || looseToPack.length > 0) {
    // Always fsynced, whatever the backend's fsync option: deleting the loose copies and old packs
    // next must never be durable before the new pack is.
    const r = await repackAll(packs, repack ? oldPacks : [], loose, looseToPack, { fsync: true, compress: true, onProgress: say });
    written = r.pack;
    packedObjects = r.count;
    reuse = r.stats;
    say(`gc: wrote ${written.path} (${r.count} objects)`);
  }
  // Only what is now in a pack goes (an object written meanwhile stays loose until the next gc).
  const removedLooseFiles = await loose.remove(ids.filter((id) => packs.has(id)));
  say(`gc: removed ${removedLooseFiles} loose files`);
  let removedPacks = 0;
  if (repack && written) {
    removedPacks = await deleteReplacedPacks(oldPacks, written);
    await packs.rescan();
    say(`gc: removed ${removedPacks} old packs`);
  }

  const prunedRefs = await refs.packAll((id) => peel(objects, id));
  say(`gc: packed refs (${prunedRefs} loose ref files removed)`);

  const temps = (await loose.removeStaleTemps(STALE_TEMP_MS))
    + removeOldFiles(packs.packDir, 'tmp_pack_', STALE_TEMP_MS) + removeOldFiles(packs.packDir, 'tmp_idx_', STALE_TEMP_MS)
    + removeOldFiles(packs.tempDir, '', STALE_TEMP_MS)
    // Spares of ref files (ref-spares.ts) left by processes that exited; a live one's, if taken, is missed.
    + removeOldFiles(join(refs.dir, SPARES_DIR), '', STALE_TEMP_MS);
  if (temps > 0) say(`gc: removed ${temps} temp files left by killed processes`);
  return reuse ? { packedObjects, removedLooseFiles, removedPacks, reuse } : { packedObjects, removedLooseFiles, removedPacks };
}

/** What an annotated tag finally points at; undefined when `id` is not a tag. Throws when an object is missing. */
async function peel(objects: FsObjects, id: ObjectId): Promise<ObjectId | undefined> {
  let current = id;
  for (let i = 0; i < MAX_PEEL; i++) {
    const o = await objects.read(current);
    if (!o) throw new Error(`object ${current} is missing`);
    if (o.type !== 'tag') return i === 0 ? undefined : current;
    current = decodeTagTarget(o.body, current).object;
  }
  throw new Error(`tag ${id}: more than ${MAX_PEEL} levels of tags`);
}
