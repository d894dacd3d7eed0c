import { AUTO_PACK_LIMIT, COMPACT_IDLE_MS, COMPACT_MIN_BYTES, type AutoPackLimits } from './auto-pack.js';
import { SPARE_REST_MS } from './ref-spares.js';

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
   * writeBatch writes one packfile instead of loose files from this many new objects on (default 16:
   * about two commits, so that the commits of a group commit go to disk as one pack). A single
   * commit's few objects are written as loose files: as fast here, and no pack to merge afterwards.
   */
  packThreshold?: number;
  /**
   * Upkeep of the objects in the background of the writing process (auto-pack.ts). Past `packs` packs
   * (default 16), the smallest are merged. `loose`: past about this many loose objects, they are packed
   * and their files removed, as git's `gc --auto` does; a number (AUTO_PACK_LOOSE is git's 6700), or
   * false (default): left to gc. Off by default because the packing (reading every loose file, a delta
   * search, deleting the files) runs in the writer's process: a long-running service wants it, a
   * command that writes and exits, or a bulk load about to call gc, does not. false: neither; gc does both.
   * `compact`: once no write came for `idleMs`, the packs group commits wrote (small entries stored
   * uncompressed, no delta search) are repacked into one with a delta search when they add up to
   * `minBytes`, in slices between other work; false (default): left to gc.
   */
  autoPack?: { packs?: number; loose?: number | false; compact?: { idleMs?: number; minBytes?: number } | false } | false;
  /** Notes worth a human's attention (a stale lock removed). Default: process.emitWarning. */
  onWarning?: (message: string) => void;
  /**
   * How long a file a ref held rests before a later update of the ref writes over it as its lock
   * (ref-spares.ts; default SPARE_REST_MS, 1000 ms). For tests.
   */
  spareRestMs?: number;
  /**
   * Publish writes late, at most this many milliseconds after they return (lagged-publish.ts): objects
   * and ref moves go to a journal at once and to packs and ref files for many writes together. Readers
   * in this process see each write at once, other processes (git too) up to this much later. Undefined
   * or 0 (default): every write is published before it returns. Without fsync only.
   */
  publishLagMs?: number;
}

export interface ResolvedOptions {
  fsync: boolean;
  lockTimeoutMs: number;
  staleLockMs: number;
  packThreshold: number;
  autoPack: AutoPackLimits | false;
  onWarning: (message: string) => void;
  spareRestMs: number;
  publishLagMs: number;
}

export function resolveOptions(o: FsBackendOptions = {}): ResolvedOptions {
  return {
    fsync: o.fsync ?? false,
    lockTimeoutMs: o.lockTimeoutMs ?? 5000,
    staleLockMs: o.staleLockMs ?? 10_000,
    packThreshold: Math.max(1, o.packThreshold ?? 16),
    autoPack: o.autoPack === false ? false : {
      packs: Math.max(2, o.autoPack?.packs ?? AUTO_PACK_LIMIT),
      loose: typeof o.autoPack?.loose === 'number' ? Math.max(0, o.autoPack.loose) : false,
      compact: o.autoPack?.compact ? {
        idleMs: Math.max(0, o.autoPack.compact.idleMs ?? COMPACT_IDLE_MS),
        minBytes: Math.max(0, o.autoPack.compact.minBytes ?? COMPACT_MIN_BYTES),
      } : false,
    },
    onWarning: o.onWarning ?? ((m) => process.emitWarning(m, { code: 'NYMOTE_FS' })),
    spareRestMs: Math.max(0, o.spareRestMs ?? SPARE_REST_MS),
    publishLagMs: o.fsync ? 0 : Math.max(0, o.publishLagMs ?? 0),
  };
}
