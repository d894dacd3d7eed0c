// The on-disk backend: a bare git repository that this store and the real git both read and write.
export { initRepository, openRepository, type FsBackend } from './repository.js';
export type { FsBackendOptions } from './options.js';
export { AUTO_PACK_LIMIT, AUTO_PACK_LOOSE, COMPACT_IDLE_MS, COMPACT_MIN_BYTES } from './auto-pack.js';
export type { GcOptions, GcResult } from './gc.js';
export { isValidRefName } from './ref-names.js';
