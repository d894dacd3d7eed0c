// gc: all loose objects into one new pack (with deltas), their loose files removed, loose refs into
// packed-refs. Safe while other readers and writers (here, in other processes, or git) keep working:
// the pack is complete and on disk before any loose file goes, readers that miss a vanished loose file
// rescan the packs, and refs are packed under git's locks (see FsRefs.packAll).
import { decodeTagTarget } from '../../git/commit-codec.js';
import type { ObjectId } from '../../git/id.js';
import type { PackObject } from '../../git/pack/pack-writer.js';
import { yieldIfBusy } from './fairness.js';
import { removeOldFiles } from './files.js';
import type { FsObjects } from './objects.js';
import type { FsRefs } from './refs.js';

export interface GcOptions {
  onProgress?: (msg: string) => void;
}

export interface GcResult {
  /** Objects written into the new pack. */
  packedObjects: number;
  /** Loose object files deleted (packed now, or already in a pack before). */
  removedLooseFiles: number;
}

/** Temp files this old were left by killed processes (a live write holds one for milliseconds). */
const STALE_TEMP_MS = 60 * 60 * 1000;
/** Annotated tags of tags of …: git gives up peeling after this many. */
const MAX_PEEL = 16;

export async function collectGarbage(objects: FsObjects, refs: FsRefs, options: GcOptions = {}): Promise<GcResult> {
  const say = options.onProgress ?? (() => {});
  const { loose, packs } = objects.local;

  const ids = await loose.list();
  say(`gc: ${ids.length} loose objects`);
  // Loose files of objects some pack already has (a rewrite after a pack, or git's own) need no copy.
  const toPack = ids.filter((id) => !packs.has(id));
  const batch: PackObject[] = [];
  for (const id of toPack) {
    // Synchronous reads (see loose-objects.ts), letting the event loop turn between them.
    await yieldIfBusy();
    // Read and hash-checked: a corrupt object fails gc here, before anything is deleted.
    const o = await loose.read(id);
    if (o) batch.push(o);
  }
  let packedObjects = 0;
  if (batch.length > 0) {
    // Always fsynced, whatever the backend's fsync option: deleting the loose copies next must never
    // be durable before the pack is.
    const pack = await packs.write(batch, { deltas: true, fsync: true, onProgress: (m) => say(`gc: ${m}`) });
    packedObjects = batch.length;
    say(`gc: wrote ${pack.path} (${batch.length} objects)`);
  }
  // Only what is now in a pack goes (an object written meanwhile stays loose until the next gc).
  const removedLooseFiles = await loose.remove(ids.filter((id) => packs.has(id)));
  say(`gc: removed ${removedLooseFiles} loose files`);

  const prunedRefs = await refs.packAll((id) => peel(objects, id));
  say(`gc: packed refs (${prunedRefs} loose ref files removed)`);

  const temps = (await loose.removeStaleTemps(STALE_TEMP_MS))
    + removeOldFiles(packs.packDir, 'tmp_pack_', STALE_TEMP_MS) + removeOldFiles(packs.packDir, 'tmp_idx_', STALE_TEMP_MS);
  if (temps > 0) say(`gc: removed ${temps} temp files left by killed processes`);
  return { packedObjects, removedLooseFiles };
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
