// Fetch and pull over any transport: the remote's branches become remote-tracking refs
// (refs/remotes/NAME/BRANCH) once their objects are safely stored; pull then merges one of them with
// the store's three-way merge (or fast-forwards).
import type { Store, MergeOutcome, Author } from '../store.js';
import type { RefUpdate } from '../backend/types.js';
import { StoreError } from '../errors.js';
import type { ObjectId } from '../git/id.js';
import type { Sha1 } from '../git/object.js';
import type { Zlib } from '../git/pack/types.js';
import { isValidRefName } from '../refname.js';
import { chooseHaves } from './negotiate.js';
import { indexPack, type IndexedPack } from './pack-indexer.js';
import { storePack } from './store-pack.js';
import type { RemoteRefs, SyncProgress, Transport } from './transport.js';

export interface SyncOptions {
  zlib: Zlib;
  sha1: Sha1;
  onProgress?: (p: SyncProgress) => void;
}

export interface FetchOptions extends SyncOptions {
  /** The remote's name: its branches are kept as refs/remotes/NAME/* (default "origin"). */
  remote?: string;
  /** Only these branches of the remote (default: all). */
  branches?: string[];
  /** Refuse a pack bigger than this (default: no limit). */
  maxPackBytes?: number;
  /** Also fetch the remote's tags that do not exist locally, as refs/tags/* (default true; existing tags are never moved). */
  tags?: boolean;
}

export interface FetchResult {
  /** The remote's refs as it advertised them. */
  remoteRefs: RemoteRefs;
  /** Remote-tracking refs that moved (old undefined: new branch), then new tags (refs/tags/*). */
  updated: RefUpdate[];
  /** Objects received (0 when nothing was new). */
  objects: number;
}

const HEADS = 'refs/heads/';

export function trackingRef(remote: string, branch: string): string {
  return `refs/remotes/${remote}/${branch}`;
}

/**
 * Fetches the remote's branches into refs/remotes/NAME/*. The pack is checked completely (checksum,
 * every object hashed, thin bases completed) before anything is stored, and refs move only after the
 * pack is stored: a failed fetch leaves the repository as it was.
 */
export async function fetchFrom(store: Store, transport: Transport, options: FetchOptions): Promise<FetchResult> {
  const remote = options.remote ?? 'origin';
  if (!isValidRefName(`refs/remotes/${remote}/x`)) throw new StoreError('invalid-ref', `"${remote}" is not a valid remote name`, { remote });
  const remoteRefs = await transport.listRefs();
  const selected = new Map<string, ObjectId>();
  for (const [name, id] of remoteRefs.refs) {
    if (!name.startsWith(HEADS)) continue;
    const branch = name.slice(HEADS.length);
    if (options.branches && !options.branches.includes(branch)) continue;
    if (!isValidRefName(trackingRef(remote, branch))) continue;
    selected.set(branch, id);
  }
  // Tags are taken only when new here: a tag that moved is the remote's mistake, not news (git agrees).
  const newTags = new Map<string, ObjectId>();
  if (options.tags !== false) {
    for (const [name, id] of remoteRefs.refs) {
      if (name.startsWith('refs/tags/') && isValidRefName(name) && (await store.backend.refs.read(name)) === undefined) newTags.set(name, id);
    }
  }
  const objects = store.backend.objects;
  const wants: ObjectId[] = [];
  for (const id of new Set([...selected.values(), ...newTags.values()])) if (!(await objects.has(id))) wants.push(id);

  let count = 0;
  if (wants.length > 0) {
    const local = await store.backend.refs.list('refs/');
    const haves = await chooseHaves(store.objects, new Set(local.values()));
    const where = `pack from ${transport.url}`;
    let pack: IndexedPack;
    try {
      const stream = await transport.fetchPack({ wants, haves, onProgress: options.onProgress });
      pack = await indexPack(stream, {
        zlib: options.zlib,
        sha1: options.sha1,
        where,
        maxBytes: options.maxPackBytes,
        readExternal: (id) => objects.read(id),
        onProgress: options.onProgress && ((phase, done, total) => options.onProgress!({ phase, done, total })),
      });
    } catch (e) {
      // Say so: whoever reads this wonders whether the repository is now half-updated. It is not.
      if (e instanceof StoreError) throw new StoreError(e.code, `${e.message} (fetch failed; nothing was stored)`, e.data, { cause: e });
      throw e;
    }
    const received = new Set(pack.ids);
    for (const id of wants) {
      if (!received.has(id) && !(await objects.has(id))) {
        throw new StoreError('protocol', `${where}: lacks ${id}, which the remote advertised; nothing was stored`, { url: transport.url });
      }
    }
    await storePack(objects, pack, options);
    count = pack.ids.length;
  }

  const updated: RefUpdate[] = [];
  for (const [branch, id] of selected) {
    const ref = trackingRef(remote, branch);
    // The remote is the authority on its branches: tracking refs follow it, forced like git's "+".
    for (let attempt = 0; ; attempt++) {
      const old = await store.backend.refs.read(ref);
      if (old === id) break;
      if (await store.backend.refs.compareAndSwap(ref, old, id)) {
        updated.push({ name: ref, old, next: id });
        break;
      }
      if (attempt >= 10) throw new StoreError('conflict', `${ref} kept changing while fetching`, { ref });
    }
  }
  for (const [name, id] of newTags) {
    if (await store.backend.refs.compareAndSwap(name, undefined, id)) updated.push({ name, old: undefined, next: id });
  }
  return { remoteRefs, updated, objects: count };
}

export interface PullOptions extends FetchOptions {
  /** The local branch to merge into (default the store's default branch). */
  branch?: string;
  /** The remote's branch to merge (default: the same name as `branch`). */
  remoteBranch?: string;
  author?: Author | string;
  message?: string;
}

export interface PullResult {
  fetch: FetchResult;
  /** The merge of the remote branch into the local one; ok:false lists conflicts and changes nothing. */
  merge: MergeOutcome;
}

/** Fetch, then merge the remote's branch into the local one (a fast-forward when possible). */
export async function pullFrom(store: Store, transport: Transport, options: PullOptions): Promise<PullResult> {
  const remote = options.remote ?? 'origin';
  const branch = options.branch ?? store.defaultBranch;
  const remoteBranch = options.remoteBranch ?? branch;
  const fetch = await fetchFrom(store, transport, options);
  const theirs = fetch.remoteRefs.refs.get(HEADS + remoteBranch);
  if (theirs === undefined) {
    throw new StoreError('not-found', `${transport.url} has no branch "${remoteBranch}" to pull`, { url: transport.url, branch: remoteBranch });
  }
  const merge = await store.merge({ commit: theirs }, {
    into: branch,
    message: options.message ?? `Merge branch '${remoteBranch}' of ${transport.url} into ${branch}`,
    ...(options.author ? { author: options.author } : {}),
  });
  return { fetch, merge };
}
