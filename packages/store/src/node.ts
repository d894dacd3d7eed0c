// @nymote/store/node: what needs Node (the on-disk Git repository backend) and conveniences over it.
import { initRepository, openRepository, type FsBackend, type FsBackendOptions, type GcOptions, type GcResult } from './backend/fs/index.js';
import { Store, type StoreOptions } from './store.js';

export { initRepository, openRepository, type FsBackend, type FsBackendOptions, type GcOptions, type GcResult };
export { isValidRefName } from './backend/fs/index.js';
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
