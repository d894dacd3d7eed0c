import type { ObjectId } from '../git/id.js';
import type { ObjectType, RawObject } from '../git/object.js';
import type { PackEntrySource } from '../git/pack/pack-reader.js';

/**
 * An object of a writeBatch. `id` when the caller already hashed it (trusted, to hash only once);
 * `name`, the path it is stored at ("dir/sub"), lets a disk backend store it as a delta against the
 * batch's previous version of that path.
 */
export interface BatchObject extends RawObject {
  id?: ObjectId;
  name?: string;
}

/**
 * Content-addressed objects. Ids are git's: the SHA-1 of "<type> <size>\0<body>".
 * Implementations must make every object of a `write`/`writeBatch` readable (and, where the backend
 * promises durability, durable) before the returned promise resolves: the store moves refs only after.
 */
export interface ObjectStore {
  /** The object with this id, or undefined when it is absent. Throws StoreError('corrupt-object') on bad data. */
  read(id: ObjectId): Promise<RawObject | undefined>;
  has(id: ObjectId): Promise<boolean>;
  /** Stores one object (idempotent) and returns its id. */
  write(type: ObjectType, body: Uint8Array): Promise<ObjectId>;
  /** Stores many objects at once; a disk backend may write them as one packfile. Ids in the same order. */
  writeBatch(objects: readonly BatchObject[]): Promise<ObjectId[]>;
  /** The id an object would have, without storing it. */
  hash(type: ObjectType, body: Uint8Array): ObjectId;
  /**
   * The stored ids starting with `prefix` (lowercase hex, 4 to 40 digits): what resolves an
   * abbreviated commit id, as git's `1a2b3c4`. At most `limit` of them (default: all).
   */
  findByPrefix?(prefix: string, limit?: number): Promise<ObjectId[]>;
  /**
   * Stores a complete, checked pack and its version 2 index (as received by fetch or push) as they are.
   * Optional: without it, storePack reads the pack's objects and calls writeBatch.
   */
  addPack?(pack: { pack: Uint8Array; index: Uint8Array; checksum: string }): Promise<void>;
  /**
   * Where the object is stored in a pack, so that a pack built for a peer can copy its compressed
   * bytes (and keep a delta as a delta when its base goes too) instead of inflating, re-deltifying
   * and compressing again, as git's pack-objects does. Synchronous and cheap: it is asked for every
   * object sent. Optional: without it (or for an object it does not place, e.g. a loose one), the
   * object is read and compressed the normal way.
   */
  packedEntry?(id: ObjectId): PackedEntry | undefined;
  /**
   * Every object reachable from `wants` (commits, or annotated tags of commits), when the backend
   * knows it without walking trees: from git's reachability bitmaps (pack-*.bitmap), for a disk
   * backend. Undefined when it does not know it for every want; the caller then walks. Any order.
   */
  reachableObjects?(wants: readonly ObjectId[]): Promise<{ id: ObjectId; type: ObjectType }[] | undefined>;
  /**
   * A stored pack that holds exactly the objects `wants` reach (commits, or annotated tags of commits),
   * known from its bitmap: a clone of a repository packed by gc is then that file as it is, as git's
   * upload-pack sends it. Optional; undefined when no pack fits.
   */
  verbatimPack?(wants: readonly ObjectId[]): Promise<VerbatimPack | undefined>;
  /**
   * Checks containers that reads trust without re-checking (pack and index checksums, CRCs), each
   * problem naming its file. Optional: a backend without such containers has nothing to add to fsck.
   */
  verifyStorage?(onProgress?: (file: string) => void): Promise<{ file: string; message: string }[]>;
}

/** A stored pack sent as it is (see ObjectStore.verbatimPack). */
export interface VerbatimPack {
  /** How many objects it holds. */
  readonly objects: number;
  has(id: ObjectId): boolean;
  /** Its bytes, trailer included; fails (corrupt-pack, naming the file) when they do not match its checksum. */
  contents(): AsyncIterable<Uint8Array>;
}

/** A packed object's place: the entries of one pack share `pack`. */
export interface PackedEntry {
  readonly pack: PackEntrySource;
  readonly offset: number;
}

/** A ref moved from `old` to `next` (undefined: absent before / deleted). */
export interface RefUpdate {
  name: string;
  old: ObjectId | undefined;
  next: ObjectId | undefined;
}

/**
 * Named pointers to commits ("refs/heads/main"). Updates are compare-and-swap, atomic across
 * processes for on-disk backends (lock file + rename, as git does).
 */
export interface RefStore {
  /** The id a ref points at, following symbolic refs (HEAD); undefined when absent. */
  read(name: string): Promise<ObjectId | undefined>;
  /** Every ref whose full name starts with `prefix` ("refs/heads/"), with its id. */
  list(prefix: string): Promise<Map<string, ObjectId>>;
  /**
   * Sets `name` to `next` (undefined deletes it) if it currently points at `expected`
   * (undefined: must be absent). Returns false, changing nothing, when it does not.
   */
  compareAndSwap(name: string, expected: ObjectId | undefined, next: ObjectId | undefined): Promise<boolean>;
  /** The target of a symbolic ref ("HEAD" -> "refs/heads/main"), or undefined when it is not symbolic. */
  readSymbolic(name: string): Promise<string | undefined>;
  writeSymbolic(name: string, target: string): Promise<void>;
  /**
   * Calls `listener` for ref updates, including those made by other processes on the same
   * repository (disk backends notice them by watching the files). Returns a function that stops it.
   */
  watch(listener: (update: RefUpdate) => void): () => void;
}

export interface Backend {
  readonly objects: ObjectStore;
  readonly refs: RefStore;
  /** Releases watchers, file handles and caches. */
  close(): Promise<void>;
}
