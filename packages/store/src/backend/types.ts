import type { ObjectId } from '../git/id.js';
import type { ObjectType, RawObject } from '../git/object.js';

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
  /**
   * Stores many objects at once; a disk backend may write them as one packfile. Ids in the same order.
   * An object may carry its `id` when the caller already hashed it; it is trusted, to hash only once.
   */
  writeBatch(objects: readonly (RawObject & { id?: ObjectId })[]): Promise<ObjectId[]>;
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
   * Checks containers that reads trust without re-checking (pack and index checksums, CRCs), each
   * problem naming its file. Optional: a backend without such containers has nothing to add to fsck.
   */
  verifyStorage?(onProgress?: (file: string) => void): Promise<{ file: string; message: string }[]>;
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
