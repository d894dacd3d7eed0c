// Fetch, pull, push and clone by remote name or URL, for repositories on disk: remotes come from the
// repository's Git config, and a remote is either a smart HTTP URL or a local path. Node only.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { StoreError } from '../errors.js';
import { initRepository, type FsBackend, type FsBackendOptions } from '../backend/fs/index.js';
import { nodeSha1 } from '../backend/fs/hash.js';
import { nodeZlib } from '../backend/fs/zlib.js';
import { isNotFound } from '../backend/fs/files.js';
import { Store, type StoreOptions } from '../store.js';
import { fetchFrom, pullFrom, trackingRef, type FetchOptions, type FetchResult, type PullOptions, type PullResult } from './fetch.js';
import { httpTransport, type HttpTransportOptions } from './http-transport.js';
import { localTransport } from './local-transport.js';
import { pushTo, type PushOptions, type PushResult } from './push.js';
import { addRemote, readRemote } from './remote-config.js';
import type { SyncProgress, Transport } from './transport.js';

type FsStore = Store & { backend: FsBackend };
type Injected = 'zlib' | 'sha1' | 'remote';

export interface TransportOptions {
  /** Options of the HTTP transport (headers, a fetch to use, protocol version). */
  http?: HttpTransportOptions;
}

export function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

/** A transport for an http(s):// URL, a file:// URL or a path to a repository. */
export async function openTransport(url: string, options: TransportOptions = {}): Promise<Transport> {
  if (isUrl(url)) return httpTransport(url, options.http);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !url.startsWith('file://')) {
    throw new StoreError('remote', `${url}: unsupported protocol (use http://, https://, file:// or a path)`, { url });
  }
  return localTransport(url);
}

/** The transport of a remote configured in the store's repository. */
export async function remoteTransport(store: FsStore, remote: string, options: TransportOptions = {}): Promise<Transport> {
  const config = await readRemote(store.backend.dir, remote);
  if (!config?.url) {
    throw new StoreError('not-found', `no remote "${remote}" in ${store.backend.dir}/config (add one with: nymote store remote add ${remote} URL)`, { remote });
  }
  return openTransport(config.url, options);
}

async function withRemote<T>(store: FsStore, remote: string, options: TransportOptions, run: (t: Transport) => Promise<T>): Promise<T> {
  const transport = await remoteTransport(store, remote, options);
  try {
    return await run(transport);
  } finally {
    await transport.close();
  }
}

/** Fetches a configured remote's branches into refs/remotes/REMOTE/*. */
export function fetchRemote(store: FsStore, remote = 'origin', options: Omit<FetchOptions, Injected> & TransportOptions = {}): Promise<FetchResult> {
  return withRemote(store, remote, options, (t) => fetchFrom(store, t, { ...options, remote, zlib: nodeZlib, sha1: nodeSha1 }));
}

/** Fetches a configured remote, then merges its branch into the local one. */
export function pullRemote(store: FsStore, remote = 'origin', options: Omit<PullOptions, Injected> & TransportOptions = {}): Promise<PullResult> {
  return withRemote(store, remote, options, (t) => pullFrom(store, t, { ...options, remote, zlib: nodeZlib, sha1: nodeSha1 }));
}

/** Pushes a branch to a configured remote (refusing a non-fast-forward unless `force`). */
export function pushRemote(store: FsStore, remote = 'origin', options: Omit<PushOptions, Injected> & TransportOptions = {}): Promise<PushResult> {
  return withRemote(store, remote, options, (t) => pushTo(store, t, { ...options, remote, zlib: nodeZlib, sha1: nodeSha1 }));
}

export interface CloneOptions extends TransportOptions {
  /** The name of the remote to record (default "origin"). */
  remote?: string;
  /** The branch to check out (default: the remote's HEAD, else "main", else its first branch). */
  branch?: string;
  onProgress?: (p: SyncProgress) => void;
  backend?: FsBackendOptions;
  store?: StoreOptions;
}

export interface CloneResult {
  store: FsStore;
  fetch: FetchResult;
  /** The local branch created from the remote's, undefined for an empty remote. */
  branch: string | undefined;
}

/**
 * A new bare repository at `dir` holding everything the remote has on its branches, the remote
 * recorded as "origin", and a local branch (HEAD) at the remote's default branch. On failure the
 * directory is removed again (left as it was when it existed, empty).
 */
export async function cloneRepository(url: string, dir: string, options: CloneOptions = {}): Promise<CloneResult> {
  const remote = options.remote ?? 'origin';
  const abs = resolve(dir);
  let existed = true;
  try {
    if (readdirSync(abs).length > 0) throw new StoreError('exists', `cannot clone into ${abs}: the directory is not empty`, { dir: abs });
  } catch (e) {
    if (!isNotFound(e)) throw e;
    existed = false;
  }
  const location = isUrl(url) || url.startsWith('file://') ? url : resolve(url);
  const transport = await openTransport(location, options);
  let store: FsStore | undefined;
  try {
    mkdirSync(abs, { recursive: true });
    const backend = await initRepository(abs, options.backend);
    store = new Store(backend, options.store) as FsStore;
    await addRemote(abs, remote, location);
    const fetch = await fetchFrom(store, transport, { remote, zlib: nodeZlib, sha1: nodeSha1, onProgress: options.onProgress });
    const heads = fetch.remoteRefs.refs;
    const fromHead = fetch.remoteRefs.head?.startsWith('refs/heads/') ? fetch.remoteRefs.head.slice('refs/heads/'.length) : undefined;
    const candidates = [options.branch, fromHead, 'main', 'master'].filter((b): b is string => b !== undefined);
    let branch = candidates.find((b) => heads.has(`refs/heads/${b}`));
    if (branch === undefined && options.branch === undefined) {
      branch = [...heads.keys()].find((n) => n.startsWith('refs/heads/'))?.slice('refs/heads/'.length);
    }
    if (options.branch !== undefined && branch !== options.branch) {
      throw new StoreError('not-found', `${transport.url} has no branch "${options.branch}"`, { branch: options.branch });
    }
    if (branch !== undefined) {
      const id = await backend.refs.read(trackingRef(remote, branch));
      await backend.refs.compareAndSwap(`refs/heads/${branch}`, undefined, id);
      await backend.refs.writeSymbolic('HEAD', `refs/heads/${branch}`);
    } else if (fromHead) {
      await backend.refs.writeSymbolic('HEAD', `refs/heads/${fromHead}`);
    }
    return { store, fetch, branch };
  } catch (e) {
    await store?.close().catch(() => {});
    if (existed) for (const n of readdirSync(abs)) rmSync(resolve(abs, n), { recursive: true, force: true });
    else rmSync(abs, { recursive: true, force: true });
    throw e;
  } finally {
    await transport.close();
  }
}
