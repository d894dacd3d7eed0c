// The ObjectStore of a repository on disk: its own objects directory, then its alternates (read-only).
import { isObjectId, type ObjectId } from '../../git/id.js';
import type { ObjectType, RawObject } from '../../git/object.js';
import type { BatchObject, ObjectStore, PackedEntry, VerbatimPack } from '../types.js';
import { Lru } from '../../cache.js';
import { StoreError } from '../../errors.js';
import { decodeTagTarget } from '../../git/commit-codec.js';
import { yieldIfBusy } from './fairness.js';
import { hashObjectFast } from './hash.js';
import { AutoPack } from './auto-pack.js';
import type { LooseWrite } from './loose-objects.js';
import { findAlternates, ObjectDatabase } from './object-database.js';
import type { ResolvedOptions } from './options.js';
import type { PackFile, PackSetOptions } from './packs.js';
import type { Lag } from './lagged-publish.js';

/**
 * Budget of the raw-object cache. Small: the Store keeps its own caches of parsed trees, commits and
 * blobs above this one; this one serves has() and repeated raw reads (fsck, gc, sync).
 */
const CACHE_BYTES = 8 << 20;
/** Ids known to be stored, so repeated writes and has() of them cost no syscall; cleared when full. */
const MAX_PRESENT = 1 << 18;
/** A batch up to this many bytes is written as a small pack with direct calls; bigger ones on the thread pool. */
const SMALL_PACK_BYTES = 1 << 20;

export class FsObjects implements ObjectStore {
  private readonly cache = new Lru<ObjectId, RawObject>(CACHE_BYTES, (o) => o.body.length + 64, CACHE_BYTES / 16);
  private readonly present = new Set<ObjectId>();
  private readonly all: readonly ObjectDatabase[];
  /** Merges the small packs that writeBatch leaves, and packs loose objects when asked to (options.autoPack). */
  readonly autoPack: AutoPack;
  /** Late publication (lagged-publish.ts), when the repository was opened with publishLagMs. */
  lag: Lag | undefined;
  /** Objects written but not yet published, readable meanwhile, in the order written. */
  private readonly pending = new Map<ObjectId, RawObject>();

  private constructor(
    readonly local: ObjectDatabase,
    readonly alternates: readonly ObjectDatabase[],
    private readonly options: ResolvedOptions,
  ) {
    this.all = [local, ...alternates];
    this.autoPack = new AutoPack(local.packs, local.loose, options.autoPack, options.onWarning);
  }

  static async open(objectsDir: string, options: ResolvedOptions): Promise<FsObjects> {
    let self: FsObjects | undefined;
    const packOptions: PackSetOptions = {
      // A delta base outside its pack is looked up like any object, wherever it lives.
      readExternal: async (id) => self?.read(id),
      onWarning: options.onWarning,
    };
    const local = await new ObjectDatabase(objectsDir, options.fsync, packOptions).open();
    const alternates = await Promise.all(
      (await findAlternates(objectsDir)).map((d) => new ObjectDatabase(d, false, packOptions).open()),
    );
    self = new FsObjects(local, alternates, options);
    return self;
  }

  hash(type: ObjectType, body: Uint8Array): ObjectId {
    return hashObjectFast(type, body);
  }

  async read(id: ObjectId): Promise<RawObject | undefined> {
    // Not an id: nothing to find, and it must never become a path ("../../x").
    if (!isObjectId(id)) return undefined;
    const hit = this.pending.get(id) ?? this.cache.get(id);
    if (hit) return hit;
    await yieldIfBusy();
    for (const db of this.all) {
      const o = await db.read(id);
      if (o) {
        this.cache.set(id, o);
        this.remember(id);
        return o;
      }
    }
    return undefined;
  }

  /** The first pack holding the object, as read() would find it; loose objects have no entry to copy. */
  packedEntry(id: ObjectId): PackedEntry | undefined {
    for (const db of this.all) {
      for (const pack of db.packs.files) {
        const offset = pack.offsetOf(id);
        if (offset !== undefined) return { pack, offset };
      }
    }
    return undefined;
  }

  async verbatimPack(wants: readonly ObjectId[]): Promise<VerbatimPack | undefined> {
    for (const pack of this.local.packs.files) {
      const peeled = await this.peel(pack, wants);
      if (!peeled || !pack.reachesAll(peeled.commits, peeled.tags, this.options.onWarning)) continue;
      return { objects: pack.index.count, has: (id) => pack.has(id), contents: () => pack.contents() };
    }
    return undefined;
  }

  /**
   * From the reachability bitmap of one of our own packs (git gc writes one for a bare repository):
   * annotated tags among the wants are peeled to their commits, and every commit must have a bitmap.
   */
  async reachableObjects(wants: readonly ObjectId[]): Promise<{ id: ObjectId; type: ObjectType }[] | undefined> {
    for (const pack of this.local.packs.files) {
      const peeled = await this.peel(pack, wants);
      if (!peeled) continue;
      const found = pack.reachableFrom(peeled.commits, this.options.onWarning);
      if (!found) return undefined;
      const { tags } = peeled;
      if (tags.length === 0) return found;
      const seen = new Set<ObjectId>();
      const out: { id: ObjectId; type: ObjectType }[] = [];
      for (const id of tags) {
        if (!seen.has(id)) out.push({ id, type: 'tag' });
        seen.add(id);
      }
      for (const o of found) if (!seen.has(o.id)) out.push(o);
      return out;
    }
    return undefined;
  }

  /**
   * `wants` as commits that `pack`'s bitmap covers, annotated tags peeled (and listed); undefined when
   * the pack has no bitmap or a want peels to something it does not cover.
   */
  private async peel(pack: PackFile, wants: readonly ObjectId[]): Promise<{ commits: ObjectId[]; tags: ObjectId[] } | undefined> {
    const bitmap = pack.bitmap(this.options.onWarning);
    if (!bitmap) return undefined;
    const commits: ObjectId[] = [];
    const tags: ObjectId[] = [];
    for (const want of wants) {
      let id = want;
      for (let depth = 0; !bitmap.has(id); depth++) {
        const o = depth < 10 ? await this.read(id) : undefined;
        if (!o || o.type !== 'tag') return undefined;
        tags.push(id);
        id = decodeTagTarget(o.body, id).object;
      }
      commits.push(id);
    }
    return { commits, tags };
  }

  async has(id: ObjectId): Promise<boolean> {
    if (!isObjectId(id)) return false;
    if (this.knownStored(id)) return true;
    await yieldIfBusy();
    for (const db of this.all) {
      if (await db.has(id)) {
        this.remember(id);
        return true;
      }
    }
    return false;
  }

  async write(type: ObjectType, body: Uint8Array): Promise<ObjectId> {
    const id = this.hash(type, body);
    if (!this.knownStored(id)) {
      await yieldIfBusy();
      if (await this.local.loose.write({ id, type, body })) this.autoPack.noteLoose(1);
    }
    this.remember(id);
    return id;
  }

  /**
   * Objects already known to be stored are skipped; if at least packThreshold remain they become one
   * pack (two files instead of one per object: the commits of a group commit, an import), else loose
   * files. Packs that pile up are merged in the background (auto-pack.ts); loose files wait for gc.
   */
  async writeBatch(objects: readonly BatchObject[]): Promise<ObjectId[]> {
    // An id the caller computed is trusted (see ObjectStore.writeBatch): hashing again would double the cost.
    const ids = objects.map((o) => o.id ?? this.hash(o.type, o.body));
    const fresh: (LooseWrite & { name?: string })[] = [];
    const queued = new Set<ObjectId>();
    let bytes = 0;
    for (let i = 0; i < objects.length; i++) {
      const id = ids[i]!;
      if (queued.has(id) || this.knownStored(id)) continue;
      queued.add(id);
      fresh.push({ ...objects[i]!, id });
      bytes += objects[i]!.body.length;
    }
    if (fresh.length > 0) await yieldIfBusy();
    // (There is no lag with fsync: options.ts turns it off.)
    if (this.lag && fresh.length >= this.options.packThreshold) {
      // In the journal before this returns; in a pack at the next publication.
      const bodies = this.lag.journal().appendObjects(fresh);
      fresh.forEach((o, i) => this.pending.set(o.id, { type: o.type, body: bodies[i]! }));
      this.lag.schedule();
      return ids;
    }
    if (fresh.length >= this.options.packThreshold) {
      // No delta search here: it costs CPU on the write path, and merges and gc search later. Successive
      // versions of a path (a directory edited by each commit of a group) become deltas without one.
      if (bytes <= SMALL_PACK_BYTES && !this.options.fsync) this.local.packs.writeSmall(fresh);
      else await this.local.packs.write(fresh, { deltas: false, fsync: this.options.fsync });
      this.autoPack.schedule();
      // Not remembered in `present`: the pack set knows them now, without a syscall. A group commit
      // writes dozens of new ids a second, and a set grown to hundreds of thousands of them made
      // every lookup in it a miss of the processor's caches.
    } else if (fresh.length > 0) {
      this.autoPack.noteLoose(await this.local.loose.writeMany(fresh));
      for (const id of queued) this.remember(id);
    }
    return ids;
  }

  /**
   * Installs a pack checked by the sync indexer as it is: its objects become readable at once, and the
   * bytes already on the wire (deltas included) are not recompressed.
   */
  async addPack(pack: { pack: Uint8Array; index: Uint8Array; checksum: string }): Promise<void> {
    await yieldIfBusy();
    await this.local.packs.add(pack, this.options.fsync);
  }

  async verifyStorage(onProgress?: (file: string) => void): Promise<{ file: string; message: string }[]> {
    const problems: { file: string; message: string }[] = [];
    for (const db of this.all) {
      await db.packs.rescan();
      for (const pack of db.packs.files) {
        onProgress?.(pack.path);
        try {
          await pack.verify();
        } catch (e) {
          // The index or the pack: the error names the file at fault.
          const file = e instanceof StoreError && typeof e.data['file'] === 'string' ? e.data['file'] : pack.path;
          problems.push({ file, message: (e as Error).message });
        }
      }
    }
    return problems;
  }

  async findByPrefix(prefix: string, limit = Infinity): Promise<ObjectId[]> {
    if (!/^[0-9a-f]{4,40}$/.test(prefix)) return [];
    const found = new Set<ObjectId>();
    for (const db of this.all) {
      await db.packs.rescan();
      for (const id of db.loose.withPrefix(prefix)) found.add(id);
      for (const pack of db.packs.files) for (const id of pack.index.idsWithPrefix(prefix)) found.add(id);
    }
    return [...found].sort().slice(0, limit);
  }

  /**
   * Writes the objects written since the last publication as one pack (lagged-publish.ts). They stay
   * readable from memory until the pack is in place.
   */
  async publishObjects(): Promise<void> {
    if (this.pending.size === 0) return;
    // Those written from here on go to the next publication (publications run one at a time).
    const list: (LooseWrite & { name?: string })[] = [];
    let bytes = 0;
    for (const [id, o] of this.pending) {
      list.push({ id, type: o.type, body: o.body });
      bytes += o.body.length;
    }
    if (bytes <= SMALL_PACK_BYTES) this.local.packs.writeSmall(list);
    else await this.local.packs.write(list, { deltas: false, fsync: false });
    for (const o of list) this.pending.delete(o.id);
    this.autoPack.schedule();
  }

  /** Stores the objects of a dead process's journal (lagged-publish.ts) as one pack, each checked against its id. */
  async writeRecovered(objects: readonly { id: ObjectId; type: ObjectType; body: Uint8Array }[], file: string): Promise<void> {
    for (const o of objects) {
      if (this.hash(o.type, o.body) !== o.id) throw new StoreError('corrupt-object', `${file}: object ${o.id} does not hash to its id`, { file, id: o.id });
    }
    const fresh = objects.filter((o) => !this.knownStored(o.id));
    if (fresh.length > 0) await this.local.packs.write(fresh, { deltas: false, fsync: this.options.fsync });
  }

  /** Stored for sure, as far as memory tells: no syscall. False means "unknown", not "absent". */
  private knownStored(id: ObjectId): boolean {
    if (this.pending.has(id) || this.present.has(id) || this.cache.has(id)) return true;
    for (const db of this.all) if (db.packs.has(id)) return true;
    return false;
  }

  private remember(id: ObjectId): void {
    if (this.present.size >= MAX_PRESENT) this.present.clear();
    this.present.add(id);
  }

  async close(): Promise<void> {
    this.autoPack.close();
    await this.autoPack.idle();
    this.cache.clear();
    this.present.clear();
    await Promise.all(this.all.map((db) => db.close()));
  }
}
