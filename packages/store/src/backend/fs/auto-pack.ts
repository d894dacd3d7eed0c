// Background upkeep of a repository's objects by the process that writes them, so that a service can
// run for months without a gc: merging the small packs that group commits leave behind, and packing
// loose objects once there are many (git's `gc --auto`).
//
// Small packs: PackSet.writeSmall writes one per batch of packThreshold objects or more (16 by
// default, 2 for a service; see FsObjects.writeBatch), and every read looks through the packs in
// turn, so their number must stay small. The merge is geometric, as `git repack --geometric=2` does it: the smallest packs are merged
// while the next one is less than twice what is merged so far, which leaves packs whose sizes at least
// double from one to the next. An object is then rewritten about log2(n) times over its life, not once
// per commit, and a merge never waits for a large pack to be copied. A merge concatenates the packs
// (concat-packs.ts: a copy of their bytes, no work per object, done on the merge thread); only when it
// cannot (an object in two of them) does it repack them entry by entry, with a delta search of what was
// never searched.
//
// Loose objects: a single commit's few objects are written as loose files (cheapest for one write),
// which would otherwise pile up by the million. Past a limit, estimated as git does from one fan-out
// directory, they become one pack (searched for deltas) and their files are removed; an object written
// meanwhile stays loose until the next time.
//
// Compaction, for a service: group commits store their small entries uncompressed and merges copy
// them as they are, so those packs hold several times what a delta search would make of them. Once
// the repository has had no write for a while (compact.idleMs) and such packs add up to compact.minBytes,
// they are repacked into one with a delta search, in slices between the service's other work. A pack
// is told to be of that kind by a commit stored uncompressed in it: git, gc and clones compress every
// commit (an import's pack stores them too, and is compacted like the write path's).
//
// Both run after the write that called for them, in the background of the process that wrote it, under
// a lock file shared by every process using the repository (one at a time; the others skip theirs, the
// work is done by whoever holds the lock). The new pack is complete and flushed to disk before the
// packs or files it replaces are deleted, so readers never miss an object: one that listed the
// directory before finds the old files open or rescans (see ObjectDatabase).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CODE_BY_TYPE } from '../../git/pack/entry-header.js';
import { unstoredZlibPrefix } from '../../git/stored-zlib.js';
import { createFileSync, errnoCode, isNotFound, removeQuietly } from './files.js';
import type { LooseObjects } from './loose-objects.js';
import { deleteReplacedPacks, isKept, type PackFile, type PackSet } from './packs.js';
import { concatenatePacks } from './concat-packs.js';
import { repackAll } from './repack.js';

/** Packs beyond this many start a merge (git's gc.autoPackLimit is 50; ours are small and many). */
export const AUTO_PACK_LIMIT = 16;
/** Loose objects beyond about this many are packed, when asked for: git's gc.auto. */
export const AUTO_PACK_LOOSE = 6700;
/** Compaction waits for this long without a write (a service's default). */
export const COMPACT_IDLE_MS = 30_000;
/** Compaction starts once the packs to compact hold this many bytes (a service's default). */
export const COMPACT_MIN_BYTES = 8 << 20;
/** Loose objects this process writes between two estimates of how many there are (a directory listing). */
const LOOSE_CHECK_EVERY = 256;
/** A lock older than this was left by a process that died (a merge of small packs takes seconds at most). */
const STALE_LOCK_MS = 10 * 60 * 1000;
const LOCK_FILE = 'nymote-auto-pack.lock';
/**
 * The delta search of a repacking merge and of packing loose objects: batches of 512 objects (gc's
 * are 4,096 and 32 MiB of bodies), and only objects of 512 bytes or more (gc's smallest is 64), as the
 * write path deltifies successive versions that large: small records and directories are copied as
 * they are until gc.
 */
const MERGE_SEARCH = { batchObjects: 512, batchBytes: 4 << 20, minDeltaTarget: 512 };

/**
 * How many of the smallest packs to merge, given every candidate's object count in ascending order: at
 * least two, and on while the next pack holds less than twice what is merged so far. 0 when there are
 * no more than `limit` packs.
 */
export function planMerge(counts: readonly number[], limit = AUTO_PACK_LIMIT): number {
  if (counts.length <= limit) return 0;
  let merged = 0;
  let n = 0;
  for (const c of counts) {
    if (n >= 2 && c >= 2 * merged) break;
    merged += c;
    n++;
  }
  return n;
}

/**
 * Entries looked at to tell whether a pack holds uncompressed commits: every so many in id order, which
 * is as good as random. Not in pack order: a group commit's pack repeats one layout per commit, and a
 * fixed step through it could land on trees and blobs only, every time.
 */
const SAMPLED_ENTRIES = 64;

/** See AutoPackLimits.compact. */
export interface CompactLimits {
  idleMs: number;
  minBytes: number;
}

export interface AutoPackLimits {
  packs: number;
  loose: number | false;
  compact: CompactLimits | false;
}

export class AutoPack {
  private running: Promise<void> | undefined;
  private again = false;
  private paused = 0;
  /** The packs this process's merges made: their objects were searched for deltas once already. */
  private readonly merged = new Set<string>();

  /** Loose objects written since the last estimate; starts at the threshold so that the first write estimates. */
  private looseWritten = LOOSE_CHECK_EVERY;
  /** The last estimate was over the limit: the next run packs the loose objects. */
  private looseDue = false;
  /** Fires compaction once writes have stopped for compact.idleMs; re-armed by every write. */
  private idleTimer: NodeJS.Timeout | undefined;
  private compactDue = false;
  private closed = false;
  /** Whether each pack (by name) holds commits stored uncompressed: a write path pack, not yet compacted. */
  private readonly uncompacted = new Map<string, boolean>();

  constructor(
    private readonly packs: PackSet,
    private readonly loose: LooseObjects,
    private readonly limits: AutoPackLimits | false,
    private readonly onWarning: (message: string) => void,
  ) {}

  /**
   * Called after a pack was written: starts a merge when there are too many packs, and packing loose
   * objects when they are due (see checkLoose). Not awaited.
   */
  schedule(): void {
    const limits = this.limits;
    if (!limits) return;
    this.wrote();
    this.checkLoose();
    if (this.packs.files.length > limits.packs) this.start();
  }

  /** Called after `n` loose objects were written (not awaited). */
  noteLoose(n: number): void {
    if (n <= 0) return;
    this.wrote();
    this.looseWritten += n;
    this.checkLoose();
  }

  /** Stops the idle timer (the store is closing); a run under way is awaited by idle(). */
  close(): void {
    this.closed = true;
    clearTimeout(this.idleTimer);
  }

  /** (Re)arms the idle timer after a write, when compaction is on. */
  private wrote(): void {
    const compact = this.limits ? this.limits.compact : false;
    if (!compact || this.closed) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.compactDue = true;
      this.start();
    }, compact.idleMs);
    // A timer must not keep a process alive that has nothing else to do.
    this.idleTimer.unref();
  }

  /**
   * At the first write of the process, and then every LOOSE_CHECK_EVERY loose objects it writes,
   * estimates how many the repository holds, and starts packing them when that is over the limit. The
   * first write checks whatever it wrote: a process that writes only packs still packs the loose
   * objects that others (one-shot commands, git) left.
   */
  private checkLoose(): void {
    const limit = this.limits ? this.limits.loose : false;
    if (limit === false || this.looseWritten < LOOSE_CHECK_EVERY) return;
    this.looseWritten = 0;
    if (!this.looseDue) {
      if (this.loose.estimateCount() <= limit) return;
      this.looseDue = true;
    }
    this.start();
  }

  private start(): void {
    if (this.paused > 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop()
      .catch((e: unknown) => this.onWarning(`packing objects in ${this.packs.packDir} failed (nothing was removed): ${(e as Error).message}`))
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Resolves when no merge is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Runs `fn` (gc) with no merge of this process running or starting meanwhile. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.paused++;
    try {
      await this.idle();
      const result = await fn();
      // gc packed every loose object there was.
      this.looseDue = false;
      return result;
    } finally {
      this.paused--;
    }
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      // The write that scheduled this returns first.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.paused > 0 || !this.limits) return;
      if (this.looseDue) {
        await this.packLooseOnce();
        // Only now: a write that estimated meanwhile found looseDue set and started nothing.
        this.looseDue = false;
      }
      if (this.paused === 0 && this.packs.files.length > this.limits.packs) await this.mergeOnce(this.limits.packs);
      if (this.paused === 0 && this.compactDue && this.limits.compact) {
        this.compactDue = false;
        await this.compactOnce(this.limits.compact.minBytes);
      }
    } while (this.again && this.paused === 0);
  }

  /** The packs of the write path (uncompressed commits in them) into one, searched for deltas, when they add up to minBytes. */
  private compactOnce(minBytes: number): Promise<void> {
    return this.underLock(async () => {
      const chosen: PackFile[] = [];
      let bytes = 0;
      for (const p of this.packs.files) {
        if (isKept(p) || hasBitmap(p) || !(await this.isUncompacted(p))) continue;
        chosen.push(p);
        bytes += p.size;
      }
      if (bytes < minBytes || chosen.length === 0) return;
      // Flushed to disk whatever the fsync option: deleting the old packs must never be durable first.
      const { pack } = await repackAll(this.packs, chosen, this.loose, [], { fsync: true, ...MERGE_SEARCH, compress: true });
      for (const old of chosen) {
        this.merged.delete(old.name);
        this.uncompacted.delete(old.name);
      }
      await deleteReplacedPacks(chosen, pack);
      this.merged.add(pack.name);
      this.uncompacted.set(pack.name, false);
      await this.packs.rescan();
    });
  }

  /** Whether `pack` holds a commit stored uncompressed, among entries sampled across it (remembered per pack). */
  private async isUncompacted(pack: PackFile): Promise<boolean> {
    const known = this.uncompacted.get(pack.name);
    if (known !== undefined) return known;
    const n = pack.index.count;
    const step = Math.max(1, Math.floor(n / SAMPLED_ENTRIES));
    let found = false;
    for (let i = 0; i < n && !found; i += step) {
      const e = await pack.rawEntry(pack.index.offsetAt(i));
      found = e !== undefined && e.code === CODE_BY_TYPE.commit && unstoredZlibPrefix(e.bytes.subarray(e.headerLength)) !== undefined;
    }
    this.uncompacted.set(pack.name, found);
    return found;
  }

  /** Every loose object into one new pack, then their files removed (those a pack holds, and only those). */
  private packLooseOnce(): Promise<void> {
    return this.underLock(async () => {
      const ids = await this.loose.list();
      const toPack = ids.filter((id) => !this.packs.has(id));
      if (toPack.length > 0) {
        // Flushed to disk whatever the fsync option: removing the loose files must never be durable first.
        const { pack } = await repackAll(this.packs, [], this.loose, toPack, { fsync: true, ...MERGE_SEARCH });
        this.merged.add(pack.name);
      }
      await this.loose.remove(ids.filter((id) => this.packs.has(id)));
    });
  }

  private mergeOnce(limit: number): Promise<void> {
    return this.underLock(async () => {
      const candidates = this.packs.files
        .filter((p) => !isKept(p) && !hasBitmap(p))
        .sort((a, b) => a.index.count - b.index.count);
      const n = planMerge(candidates.map((p) => p.index.count), limit);
      if (n < 2) return;
      const chosen = candidates.slice(0, n);
      // Flushed to disk whatever the fsync option: deleting the old packs must never be durable first.
      // Concatenated when it can be (no work per object); else a repack, with a small delta search batch:
      // this runs beside the service, whose memory it must not double.
      const joined = await concatenatePacks(this.packs, chosen, true);
      const searched = (p: PackFile): boolean => this.merged.has(p.name);
      const pack = joined.pack
        ?? (await repackAll(this.packs, chosen, this.loose, [], { fsync: true, ...MERGE_SEARCH, searched })).pack;
      const allSearched = chosen.every(searched);
      for (const old of chosen) this.merged.delete(old.name);
      await deleteReplacedPacks(chosen, pack);
      // A concatenation searched nothing: its pack counts as searched only if all its parts were.
      if (!joined.pack || allSearched) this.merged.add(pack.name);
      await this.packs.rescan();
    });
  }

  /** Runs `fn` on freshly scanned packs under the lock shared by every process; skips it when another holds the lock. */
  private async underLock(fn: () => Promise<void>): Promise<void> {
    const lock = join(this.packs.packDir, LOCK_FILE);
    if (!takeLock(lock)) return;
    try {
      await this.packs.rescan();
      await fn();
    } finally {
      removeQuietly(lock);
    }
  }
}

/** Creates the lock file holding our pid; false when another live process holds it. */
function takeLock(path: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      createFileSync(path, new TextEncoder().encode(`${process.pid}\n`), 0o644);
      return true;
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
    }
    if (!lockIsStale(path)) return false;
    removeQuietly(path);
  }
  return false;
}

function lockIsStale(path: string): boolean {
  try {
    if (Date.now() - statSync(path).mtimeMs > STALE_LOCK_MS) return true;
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (!(pid > 0) || pid === process.pid) return false;
    process.kill(pid, 0);
    return false;
  } catch (e) {
    // ESRCH: no such process, the holder was killed. Gone meanwhile (ENOENT): try again.
    return errnoCode(e) === 'ESRCH' || isNotFound(e);
  }
}

/** A bitmap belongs to a pack git's gc made for serving: such a pack is left as it is. */
function hasBitmap(p: PackFile): boolean {
  return existsSync(p.path.replace(/\.pack$/, '.bitmap'));
}
