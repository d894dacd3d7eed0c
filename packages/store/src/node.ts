// @nymote/store/node: what needs Node (the on-disk Git repository backend) and conveniences over it.
import { initRepository, openRepository, type FsBackend, type FsBackendOptions, type GcOptions, type GcResult } from './backend/fs/index.js';
import { Store, type StoreOptions } from './store.js';

export { initRepository, openRepository, type FsBackend, type FsBackendOptions, type GcOptions, type GcResult };
export { AUTO_PACK_LIMIT, AUTO_PACK_LOOSE, COMPACT_IDLE_MS, COMPACT_MIN_BYTES, isValidRefName } from './backend/fs/index.js';
export { nodeZlib } from './backend/fs/zlib.js';

export interface OpenStoreOptions extends StoreOptions {
  /** Create the repository when the directory has none (default false: open an existing one). */
  create?: boolean;
  backend?: FsBackendOptions;
}

/** A Store over the bare Git repository at `dir`. */
export async function openStore(dir: string, options: OpenStoreOptions = {}): Promise<Store & { backend: FsBackend }> {
  const backend = options.create ? await initRepository(dir, options.backend) : await openRepository(dir, options.backend);
  return new Store(backend, options) as Store & { backend: FsBackend };
}
// Sync by remote name or path (remotes in the repository's Git config; local repositories as remotes)
export {
  cloneRepository, fetchRemote, openTransport, pullRemote, pushRemote, remoteTransport,
  type CloneOptions, type CloneResult, type TransportOptions,
} from './sync/node-sync.js';
export { addRemote, listRemotes, readRemote, removeRemote, type RemoteConfig } from './sync/remote-config.js';
export { localTransport } from './sync/local-transport.js';
export { nodeSha1 } from './backend/fs/hash.js';
