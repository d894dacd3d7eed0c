// A repository on this machine as a remote (a path, or a file:// URL): opened directly, with the same
// pack path as the network (objectsToSend and buildPack on the sending side, the indexer on the
// receiving side), so a local fetch or push is checked exactly like a remote one. Node only.
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { openRepository, type FsBackend } from '../backend/fs/index.js';
import { nodeSha1 } from '../backend/fs/hash.js';
import { nodeZlib } from '../backend/fs/zlib.js';
import type { ObjectId } from '../git/id.js';
import { StoreError, isStoreError } from '../errors.js';
import { Objects } from '../objects.js';
import { buildPack, objectsToSend } from './send-objects.js';
import { indexPack } from './pack-indexer.js';
import { storePack } from './store-pack.js';
import type { FetchPackRequest, PushCommand, PushReport, RemoteRefs, SyncProgress, Transport } from './transport.js';

const CAPABILITIES = ['report-status', 'delete-refs', 'ofs-delta'];

class LocalTransport implements Transport {
  private readonly objects: Objects;

  constructor(readonly url: string, private readonly backend: FsBackend) {
    this.objects = new Objects(backend.objects);
  }

  private async refs(): Promise<RemoteRefs> {
    const refs = new Map<string, ObjectId>();
    for (const prefix of ['refs/heads/', 'refs/tags/']) for (const [n, id] of await this.backend.refs.list(prefix)) refs.set(n, id);
    return { refs, head: await this.backend.refs.readSymbolic('HEAD'), capabilities: new Set(CAPABILITIES) };
  }

  listRefs(): Promise<RemoteRefs> {
    return this.refs();
  }

  listPushRefs(): Promise<RemoteRefs> {
    return this.refs();
  }

  async fetchPack(request: FetchPackRequest): Promise<Uint8Array> {
    const onProgress = request.onProgress;
    const haves: ObjectId[] = [];
    for (const id of request.haves) if (await this.backend.objects.has(id)) haves.push(id);
    const list = await objectsToSend(this.objects, request.wants, haves, {
      onProgress: onProgress && ((counted) => onProgress({ phase: 'counting', done: counted, total: undefined })),
    });
    return buildPack(list, {
      zlib: nodeZlib, sha1: nodeSha1, deltas: true,
      onProgress: onProgress && ((phase, done, total) => onProgress({ phase, done, total })),
    });
  }

  async push(commands: PushCommand[], pack: Uint8Array | undefined, _options: { onProgress?: (p: SyncProgress) => void }): Promise<PushReport> {
    if (pack) {
      const indexed = await indexPack(pack, {
        zlib: nodeZlib, sha1: nodeSha1, where: `pack pushed to ${this.url}`,
        readExternal: (id) => this.backend.objects.read(id),
      });
      await storePack(this.backend.objects, indexed, { zlib: nodeZlib, sha1: nodeSha1 });
    }
    const results = new Map<string, string | undefined>();
    for (const c of commands) {
      const ok = await this.backend.refs.compareAndSwap(c.ref, c.old, c.next);
      results.set(c.ref, ok ? undefined : 'stale info (the ref changed since it was read)');
    }
    return { results };
  }

  close(): Promise<void> {
    return this.backend.close();
  }
}

/** The repository at a path or file:// URL, as a remote. Throws StoreError('not-a-repository') when there is none. */
export async function localTransport(pathOrUrl: string): Promise<Transport> {
  const path = pathOrUrl.startsWith('file://') ? fileURLToPath(pathOrUrl) : resolve(pathOrUrl);
  try {
    return new LocalTransport(path, await openRepository(path));
  } catch (e) {
    // Named as the remote it is: "not a repository" alone reads as if the local store were at fault.
    if (isStoreError(e, 'not-a-repository')) throw new StoreError('not-found', `no repository to sync with at ${pathOrUrl}: ${e.message}`, { url: pathOrUrl }, { cause: e });
    throw e;
  }
}
