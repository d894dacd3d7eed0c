// @nymote/store: the portable core. Nothing here imports node:*, so it bundles for browsers;
// the on-disk backend is in "@nymote/store/node".
export { Store, parseAuthor } from './store.js';
export type { UpdateResult } from './group-commit.js';
export type {
  At, Author, ImportRecord, Change, CommitInfo, LogEntry, LogOptions, LogPage, MergeOutcome, RevertOutcome,
  StoreOptions, TestAndSetOutcome, WatchOptions, WriteOptions,
} from './store.js';
export { Tree, EMPTY_TREE_ID } from './tree.js';
export type { EntryKind, KeyEntry, ListEntry } from './tree.js';
export type { KeyConflict, ConflictSide, Resolutions, Schema, TreeMergeResult } from './merge-trees.js';
export { schemaByPrefix } from './schema.js';
export { Objects, type ObjectCacheOptions } from './objects.js';
export { Lru } from './cache.js';
export { fsck, type FsckProblem, type FsckReport } from './fsck.js';
export { diffTrees, type ValueChange } from './diff.js';
export { memoryBackend } from './backend/memory.js';
export { BufferedObjects } from './backend/buffered.js';
export type { Backend, ObjectStore, RefStore, RefUpdate } from './backend/types.js';
export { StoreError, isStoreError, type StoreErrorCode } from './errors.js';
export type { Key } from './key.js';
export type { ObjectId } from './git/id.js';
export type { ObjectType, RawObject, Sha1 } from './git/object.js';
export { encodeTree, decodeTree, type TreeEntry, type TreeMode } from './git/tree-codec.js';
export { encodeCommit, decodeCommit, type Commit, type Person } from './git/commit-codec.js';
export { isValidBranchName } from './refname.js';
export * from './merge/index.js';
// Sync (Git's smart HTTP protocol, client side)
export { indexPack, type IndexPackOptions, type IndexedPack } from './sync/pack-indexer.js';
export { storePack } from './sync/store-pack.js';
export { httpTransport, type HttpTransportOptions } from './sync/http-transport.js';
export {
  fetchFrom, pullFrom, trackingRef, type FetchOptions, type FetchResult, type PullOptions, type PullResult, type SyncOptions,
} from './sync/fetch.js';
export { pushTo, type PushOptions, type PushResult } from './sync/push.js';
export type { FetchPackRequest, PushCommand, PushReport, RemoteRefs, SyncProgress, Transport } from './sync/transport.js';
export { formatProgress } from './sync/progress.js';
