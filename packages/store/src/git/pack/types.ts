/**
 * zlib and CRC-32 as the pack code needs them. Injected, so the pack code stays free of node:* imports
 * (Node passes node:zlib; a browser can pass a portable implementation).
 */
export interface Zlib {
  /** Inflates one zlib stream that starts at data[0]; returns the output and how many input bytes it used. */
  inflate(data: Uint8Array): { out: Uint8Array; consumed: number };
  deflate(data: Uint8Array, level?: number): Uint8Array;
  crc32(data: Uint8Array, initial?: number): number;
}

/** Positional reads from a pack file (a file handle on disk, a buffer in memory). */
export interface RandomAccess {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  close?(): Promise<void>;
}
