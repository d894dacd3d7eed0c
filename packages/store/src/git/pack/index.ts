export type { RandomAccess, Zlib } from './types.js';
export { applyDelta, createDelta, DeltaIndex, editDelta } from './delta.js';
export { PackIndex, encodePackIndex, type PackIndexEntry, type ParseIndexOptions } from './pack-index.js';
export { PackReader, type PackReaderOptions } from './pack-reader.js';
export { writePack, type PackObject, type WritePackOptions, type WrittenPack } from './pack-writer.js';
