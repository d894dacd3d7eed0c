/**
 * zlib and CRC-32 as the pack code needs them. Injected, so the pack code stays free of node:* imports
 * (Node passes node:zlib; a browser can pass a portable implementation).
 */
export interface Zlib {
  /**
   * Inflates one zlib stream that starts at data[0]; returns the output and how many input bytes it used.
   * `expectedSize` (the size a pack entry declares) lets an implementation allocate the output exactly.
   */
  inflate(data: Uint8Array, expectedSize?: number): { out: Uint8Array; consumed: number };
  deflate(data: Uint8Array, level?: number): Uint8Array;
  crc32(data: Uint8Array, initial?: number): number;
}

/**
 * Positional reads from a pack file (a file on disk, a buffer in memory). `read` may return fewer bytes
 * than asked only at the end of the file. An implementation is free to do the work synchronously and
 * return a settled promise (Node's file backend does: a pread from the page cache is far cheaper than a
 * thread-pool round trip).
 */
export interface RandomAccess {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  close?(): Promise<void>;
}
