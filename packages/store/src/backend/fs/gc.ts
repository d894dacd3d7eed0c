// gc: every loose object and every pack of the repository into one new pack (with deltas), then the
// loose files and old packs removed, and loose refs into packed-refs — what `git gc` does with
// `repack -a -d`. Nothing is pruned: unreachable objects are kept. Safe while other readers and writers
// (here, in other processes, or git) keep working: the new pack is complete and fsynced before
// anything goes, only what it holds is removed, readers that miss a vanished file rescan the packs
// (an open pack stays readable after it is unlinked), and refs are packed under git's locks.
import { existsSync, unlinkSync } from 'node:fs';
import { decodeTagTarget } from '../../git/commit-codec.js';
import type { ObjectId } from '../../git/id.js';
import type { PackObject } from '../../git/pack/pack-writer.js';
import { yieldIfBusy } from './fairness.js';
import { isNotFound, removeOldFiles } from './files.js';
import type { FsObjects } from './objects.js';
import type { PackFile } from './packs.js';
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
  // A pack with a .keep file is git's way of saying "leave this pack alone".
  const oldPacks = packs.files.filter((p) => !existsSync(p.path.replace(/\.pack$/, '.keep')));
  say(`gc: ${ids.length} loose objects, ${oldPacks.length} packs`);
  // One pack and nothing loose: already as packed as gc makes it.
  const repack = oldPacks.length > 1 || (oldPacks.length === 1 && ids.length > 0);
  const batch: PackObject[] = [];
  const queued = new Set<ObjectId>();
  if (repack) {
    for (const pack of oldPacks) {
      say(`gc: reading ${pack.path} (${pack.index.count} objects)`);
      for (const o of await readPack(pack)) {
        if (queued.has(o.id!)) continue;
        queued.add(o.id!);
        batch.push(o);
      }
    }
  }
  for (const id of ids) {
    // Loose files of objects a kept pack has (a rewrite after a pack, or git's own) need no copy.
    if (queued.has(id) || (!repack && packs.has(id))) continue;
    // Synchronous reads (see loose-objects.ts), letting the event loop turn between them.
    await yieldIfBusy();
    // Read and hash-checked: a corrupt object fails gc here, before anything is deleted.
    const o = await loose.read(id);
    if (o) {
      queued.add(id);
      batch.push(o);
    }
  }
  let packedObjects = 0;
  let written: PackFile | undefined;
  if (batch.length > 0) {
    // Always fsynced, whatever the backend's fsync option: deleting the loose copies and old packs
    // next must never be durable before the new pack is.
    written = await packs.write(batch, { deltas: true, fsync: true, onProgress: (m) => say(`gc: ${m}`) });
    packedObjects = batch.length;
    say(`gc: wrote ${written.path} (${batch.length} objects)`);
  }
  // Only what is now in a pack goes (an object written meanwhile stays loose until the next gc).
  const removedLooseFiles = await loose.remove(ids.filter((id) => packs.has(id)));
  say(`gc: removed ${removedLooseFiles} loose files`);
  let removedPacks = 0;
  if (repack && written) {
    for (const pack of oldPacks) {
      if (pack.name === written.name) continue; // the same objects packed the same way: same name
      // The index first: git and rescan find packs by their .idx, so no reader looks for the .pack after.
      for (const file of [pack.path.replace(/\.pack$/, '.idx'), pack.path]) {
        try {
          unlinkSync(file);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      removedPacks++;
    }
    await packs.rescan();
    say(`gc: removed ${removedPacks} old packs`);
  }

  const prunedRefs = await refs.packAll((id) => peel(objects, id));
  say(`gc: packed refs (${prunedRefs} loose ref files removed)`);

  const temps = (await loose.removeStaleTemps(STALE_TEMP_MS))
    + removeOldFiles(packs.packDir, 'tmp_pack_', STALE_TEMP_MS) + removeOldFiles(packs.packDir, 'tmp_idx_', STALE_TEMP_MS);
  if (temps > 0) say(`gc: removed ${temps} temp files left by killed processes`);
  return { packedObjects, removedLooseFiles, removedPacks };
}

/**
 * Every object of a pack, whole, with its id. In offset order: delta bases come before the objects
 * built on them, so the reader's base cache serves each chain once.
 */
async function readPack(pack: PackFile): Promise<PackObject[]> {
  const entries: { id: ObjectId; offset: number }[] = [];
  for (const id of pack.index.ids()) entries.push({ id, offset: pack.index.find(id)! });
  entries.sort((a, b) => a.offset - b.offset);
  const out: PackObject[] = [];
  for (const { id } of entries) {
    await yieldIfBusy();
    const o = await pack.read(id);
    if (!o) throw new Error(`${pack.path}: object ${id} listed in its index cannot be read`);
    out.push({ id, type: o.type, body: o.body });
  }
  return out;
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
