// Push over any transport: refuses to overwrite commits the remote has and we lack in our history
// (a non-fast-forward) unless forced, sends what the remote lacks as one pack, and moves the
// remote-tracking ref once the remote reports the update.
import type { Store } from '../store.js';
import { StoreError } from '../errors.js';
import type { ObjectId } from '../git/id.js';
import { branchRef } from '../refname.js';
import { buildPack, objectsToSend } from './send-objects.js';
import { trackingRef, type SyncOptions } from './fetch.js';
import type { Transport } from './transport.js';

export interface PushOptions extends SyncOptions {
  /** The remote's name, for its remote-tracking ref (default "origin"). */
  remote?: string;
  /** The local branch to push (default the store's default branch). */
  branch?: string;
  /** The remote branch to update (default: the same name). */
  remoteBranch?: string;
  /** Overwrite the remote branch even when that loses commits. */
  force?: boolean;
  /** Delete the remote branch instead. */
  delete?: boolean;
}

export interface PushResult {
  ref: string;
  old: ObjectId | undefined;
  next: ObjectId | undefined;
  kind: 'up-to-date' | 'created' | 'fast-forward' | 'forced' | 'deleted';
  /** Objects sent. */
  objects: number;
}

const short = (id: ObjectId | undefined): string => (id ? id.slice(0, 12) : '(none)');

export async function pushTo(store: Store, transport: Transport, options: PushOptions): Promise<PushResult> {
  const remote = options.remote ?? 'origin';
  const branch = options.branch ?? store.defaultBranch;
  const remoteBranch = options.remoteBranch ?? branch;
  const ref = branchRef(remoteBranch);
  const advertised = await transport.listPushRefs();
  const old = advertised.refs.get(ref);
  const objects = store.backend.objects;
  const report = (kind: PushResult['kind'], next: ObjectId | undefined, sent: number): PushResult => ({ ref, old, next, kind, objects: sent });

  if (options.delete) {
    if (old === undefined) throw new StoreError('not-found', `${transport.url} has no branch "${remoteBranch}" to delete`, { url: transport.url });
    if (!advertised.capabilities.has('delete-refs')) throw new StoreError('remote', `${transport.url} does not allow deleting branches`, { url: transport.url });
    await sendAndCheck(transport, ref, old, undefined, undefined, options);
    await moveTracking(store, trackingRef(remote, remoteBranch), undefined);
    return report('deleted', undefined, 0);
  }

  const local = await store.head(branch);
  if (local === undefined) throw new StoreError('not-found', `branch "${branch}" has no commits to push`, { branch });
  if (old === local) {
    await moveTracking(store, trackingRef(remote, remoteBranch), local);
    return report('up-to-date', local, 0);
  }
  let kind: PushResult['kind'] = old === undefined ? 'created' : 'fast-forward';
  if (old !== undefined && !((await objects.has(old)) && (await store.isAncestor(old, local)))) {
    if (!options.force) {
      throw new StoreError('non-fast-forward',
        `push to ${transport.url} refused: its ${ref} is at ${short(old)}, which is not in the history of local branch "${branch}" (${short(local)}); ` +
        `pull first to merge the remote's changes, or push with --force to overwrite them`,
        { url: transport.url, ref, old, next: local });
    }
    kind = 'forced';
  }

  // What the remote has and we know of need not be sent.
  const haves: ObjectId[] = [];
  for (const id of new Set(advertised.refs.values())) if (await objects.has(id)) haves.push(id);
  const onProgress = options.onProgress;
  const list = await objectsToSend(store.objects, [local], haves, {
    onProgress: onProgress && ((counted) => onProgress({ phase: 'counting', done: counted, total: undefined })),
  });
  const pack = await buildPack(list, {
    zlib: options.zlib,
    sha1: options.sha1,
    deltas: advertised.capabilities.has('ofs-delta'),
    onProgress: onProgress && ((phase, done, total) => onProgress({ phase, done, total })),
  });
  await sendAndCheck(transport, ref, old, local, pack, options);
  await moveTracking(store, trackingRef(remote, remoteBranch), local);
  return report(kind, local, list.length);
}

async function sendAndCheck(
  transport: Transport, ref: string, old: ObjectId | undefined, next: ObjectId | undefined, pack: Uint8Array | undefined, options: PushOptions,
): Promise<void> {
  const { results } = await transport.push([{ ref, old, next }], pack, { onProgress: options.onProgress });
  const reason = results.get(ref);
  if (reason === undefined) return;
  // The remote moved since it advertised (someone else pushed), or it has its own rules.
  const code = /non-fast-forward|fetch first|stale info/.test(reason) ? 'non-fast-forward' : 'rejected';
  throw new StoreError(code, `${transport.url} refused to update ${ref}: ${reason}`, { url: transport.url, ref, reason });
}

/** The remote-tracking ref follows what the remote now has, as git's push does. */
async function moveTracking(store: Store, ref: string, next: ObjectId | undefined): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const cur = await store.backend.refs.read(ref);
    if (cur === next || (await store.backend.refs.compareAndSwap(ref, cur, next))) return;
  }
}
