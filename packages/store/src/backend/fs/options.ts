/** Options of `initRepository` / `openRepository`. */
export interface FsBackendOptions {
  /**
   * false (default): ordering only. Objects are written to a temp file and renamed before any ref moves,
   * which survives the process being killed. true: also fsync files and their directories before a ref
   * moves, which survives power loss (at the cost of a few milliseconds per write on most disks).
   */
  fsync?: boolean;
  /** How long compareAndSwap waits for a ref lock held by someone else (default 5000 ms). */
  lockTimeoutMs?: number;
  /** A `.lock` file older than this was left by a killed process and is removed (default 10000 ms). */
  staleLockMs?: number;
  /**
   * writeBatch writes one packfile instead of loose files from this many new objects on (default 2: a
   * commit's objects go into one pack; the small packs are merged as they pile up).
   */
  packThreshold?: number;
  /** Notes worth a human's attention (a stale lock removed). Default: process.emitWarning. */
  onWarning?: (message: string) => void;
}

export interface ResolvedOptions {
  fsync: boolean;
  lockTimeoutMs: number;
  staleLockMs: number;
  packThreshold: number;
  onWarning: (message: string) => void;
}

export function resolveOptions(o: FsBackendOptions = {}): ResolvedOptions {
  return {
    fsync: o.fsync ?? false,
    lockTimeoutMs: o.lockTimeoutMs ?? 5000,
    staleLockMs: o.staleLockMs ?? 10_000,
    packThreshold: Math.max(1, o.packThreshold ?? 2),
    onWarning: o.onWarning ?? ((m) => process.emitWarning(m, { code: 'NYMOTE_FS' })),
  };
}
