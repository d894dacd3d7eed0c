import type { ObjectStore } from './backend/types.js';
import { Lru } from './cache.js';
import { decodeCommit, decodeTagTarget, type Commit } from './git/commit-codec.js';
import { EMPTY_TREE_ID, type ObjectId } from './git/id.js';
import type { ObjectType, RawObject } from './git/object.js';
import { decodeTree, type EncodedTree, type TreeEntry } from './git/tree-codec.js';
import { StoreError } from './errors.js';
import { TreeEntryMap, type TreeEntries } from './tree-entries.js';

export type { TreeEntries } from './tree-entries.js';

const NO_ENTRIES: TreeEntries = new TreeEntryMap([]);
/** Blobs up to this size are kept in the cache when this process writes them (see primeBlob). */
const PRIMED_BLOB_BYTES = 4096;

export interface ObjectCacheOptions {
  /** Parsed trees kept, weighed by entry count (default 1,000,000 entries). */
  treeEntries?: number;
  /** Parsed commits kept (default 100,000). */
  commits?: number;
  /** Bytes of small blobs kept (default 32 MiB). */
  blobBytes?: number;
}

/**
 * Typed, cached reads over an ObjectStore. Objects are immutable, so the caches never go stale; they
 * are what makes reading a key at HEAD cost a few map lookups instead of disk reads.
 */
export class Objects {
  private readonly trees: Lru<ObjectId, TreeEntries>;
  private readonly commits: Lru<ObjectId, Commit>;
  private readonly blobs: Lru<ObjectId, Uint8Array>;

  constructor(readonly store: ObjectStore, options: ObjectCacheOptions = {}) {
    this.trees = new Lru(options.treeEntries ?? 1_000_000, (t) => t.size + 1);
    this.commits = new Lru(options.commits ?? 100_000);
    this.blobs = new Lru(options.blobBytes ?? 32 << 20, (b) => b.length + 64);
  }

  /**
   * Objects of commits being written (see Store.update), readable before they reach the store: a group
   * of commits is built one after another in memory and stored in one batch. Counted, as two groups may
   * stage the same object.
   */
  private readonly staged = new Map<ObjectId, { object: RawObject; count: number }>();

  /** Makes `objects` readable through this cache until unstage(); they are not written. */
  stage(objects: readonly (RawObject & { id: ObjectId })[]): void {
    for (const o of objects) {
      const s = this.staged.get(o.id);
      if (s) s.count++;
      else this.staged.set(o.id, { object: o, count: 1 });
    }
  }

  /** Ends stage() of the same objects, once they are stored (or given up). */
  unstage(objects: readonly { id: ObjectId }[]): void {
    for (const o of objects) {
      const s = this.staged.get(o.id);
      if (s && --s.count === 0) this.staged.delete(o.id);
    }
  }

  /** A staged object, else the store's. */
  private async read(id: ObjectId): Promise<RawObject | undefined> {
    return this.staged.get(id)?.object ?? this.store.read(id);
  }

  private async raw(id: ObjectId, expected: ObjectType): Promise<RawObject> {
    const o = await this.read(id);
    if (!o) throw new StoreError('not-found', `${expected} ${id} is missing from the repository`, { id });
    if (o.type !== expected) {
      throw new StoreError('type-mismatch', `object ${id} is a ${o.type}, expected a ${expected}`, { id });
    }
    return o;
  }

  /** The entries of tree `id` when they are cached, without waiting; undefined otherwise (then tree()). */
  cachedTree(id: ObjectId): TreeEntries | undefined {
    // Git treats the empty tree as always present, even in a repository that never stored it.
    return id === EMPTY_TREE_ID ? NO_ENTRIES : this.trees.get(id);
  }

  async tree(id: ObjectId): Promise<TreeEntries> {
    const hit = this.cachedTree(id);
    if (hit) return hit;
    const o = await this.raw(id, 'tree');
    const entries = new TreeEntryMap(decodeTree(o.body, id));
    this.trees.set(id, entries);
    return entries;
  }

  /**
   * Records the entries of a tree this process has just written, so the next read of it (the next
   * commit on the same branch starts from it) costs no decoding. `entries` must be in git's order
   * (compareEntries), as the tree holds them, and must not change afterwards.
   */
  primeTree(id: ObjectId, entries: readonly TreeEntry[], encoded?: EncodedTree): void {
    if (this.trees.has(id)) return;
    this.trees.set(id, new TreeEntryMap(entries, encoded));
  }

  /**
   * Records a small blob this process has just written (a record, a flag list): readers of the new
   * commit read what changed (an IMAP session refreshing its mailbox after a flag change reads the
   * message's record), and would otherwise fetch it back from the pack just written.
   */
  primeBlob(id: ObjectId, body: Uint8Array, own = false): void {
    // A copy unless `own` (bytes nobody else holds): `body` is the caller's array (Tree.set keeps it),
    // which the caller may reuse once written.
    if (body.length <= PRIMED_BLOB_BYTES && !this.blobs.has(id)) this.blobs.set(id, own ? body : body.slice());
  }

  /** Records a commit this process has just written: the next write on its branch starts by reading it. */
  primeCommit(id: ObjectId, commit: Commit): void {
    this.commits.set(id, commit);
  }

  async commit(id: ObjectId): Promise<Commit> {
    const hit = this.commits.get(id);
    if (hit) return hit;
    const o = await this.raw(id, 'commit');
    const c = decodeCommit(o.body, id);
    this.commits.set(id, c);
    return c;
  }

  async blob(id: ObjectId): Promise<Uint8Array> {
    const hit = this.blobs.get(id);
    if (hit) return hit;
    const o = await this.raw(id, 'blob');
    if (o.body.length <= 64 * 1024) this.blobs.set(id, o.body);
    return o.body;
  }

  /** Follows annotated tags to the commit they name. */
  async peelToCommit(id: ObjectId): Promise<ObjectId> {
    for (let depth = 0; depth < 10; depth++) {
      if (this.commits.get(id)) return id;
      const o = await this.read(id);
      if (!o) throw new StoreError('not-found', `object ${id} is missing from the repository`, { id });
      if (o.type === 'commit') return id;
      if (o.type !== 'tag') throw new StoreError('type-mismatch', `object ${id} is a ${o.type}, not a commit`, { id });
      id = decodeTagTarget(o.body, id).object;
    }
    throw new StoreError('invalid-object', `tag chain at ${id} is too deep`, { id });
  }
}
