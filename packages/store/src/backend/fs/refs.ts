// Refs on disk, as git keeps them: a loose file per ref (refs/heads/main), older refs in packed-refs, and a
// loose file wins over a packed line. Every update takes git's lock file for the ref, so git and any
// number of our processes can update the same repository safely.
//
// Reads and updates use direct system calls, not the thread pool (see files.ts): every store operation
// reads a ref or two, and an update takes a lock, reads, writes and renames, all on files of a few bytes.
// The methods stay asynchronous because waiting for a lock held elsewhere sleeps, and fsync (when asked)
// runs on the thread pool.
import { readFileSync, rmdirSync, statSync, type BigIntStats } from 'node:fs';
import { dirname, join } from 'node:path';
import { StoreError } from '../../errors.js';
import { isObjectId, type ObjectId } from '../../git/id.js';
import type { RefStore, RefUpdate } from '../types.js';
import { yieldIfBusy } from './fairness.js';
import { errnoCode, fsyncDir, isNotFound, removeEmptyDirs, removeFile, removeQuietly, statOrUndefined } from './files.js';
import { LockFile, type LockOptions } from './lock.js';
import { readLooseRef, walkLooseRefs, type LooseRef } from './loose-refs.js';
import { SparePools } from './ref-spares.js';
import type { Lag } from './lagged-publish.js';
import { emptyPackedRefs, formatPackedRefs, parsePackedRefs, type PackedRef, type PackedRefs } from './packed-refs.js';
import { checkRefName, compareRefNames } from './ref-names.js';
import type { ResolvedOptions } from './options.js';
import { RefWatcher } from './watch.js';

/** Git follows at most this many symbolic refs (HEAD -> refs/heads/main is one). */
const MAX_SYMREF_DEPTH = 5;

export class FsRefs implements RefStore {
  private packedCache: { key: string; value: PackedRefs } | undefined;
  private readonly watcher: RefWatcher;
  private readonly lockOptions: LockOptions;
  /** Files the refs held before their last updates, for the next locks (ref-spares.ts). */
  private readonly spares: SparePools;
  /**
   * What this process last wrote to each loose ref, and the file it wrote (inode, size, mtime). A ref
   * file that is still that file holds that value: the next update checks so with one stat under its
   * lock, where reading the file took an open, a read and a close. Anyone else's write (git's too)
   * renames another file over it, or removes it.
   */
  private readonly written = new Map<string, { id: ObjectId; ino: number; size: number; mtimeMs: number }>();
  /** Late publication (lagged-publish.ts), when the repository was opened with publishLagMs. */
  lag: Lag | undefined;
  /** Refs whose lock this process holds, with the value they get at the next publication. */
  private readonly held = new Map<string, { lock: LockFile; value: ObjectId }>();

  constructor(readonly dir: string, options: ResolvedOptions) {
    this.lockOptions = {
      timeoutMs: options.lockTimeoutMs,
      staleMs: options.staleLockMs,
      fsync: options.fsync,
      onWarning: options.onWarning,
    };
    this.spares = new SparePools(dir, options.spareRestMs);
    this.watcher = new RefWatcher(dir, () => this.list(''), () => this.listNow(''), { onWarning: options.onWarning });
  }

  private get packedPath(): string {
    return join(this.dir, 'packed-refs');
  }

  async read(name: string): Promise<ObjectId | undefined> {
    checkRefName(name);
    await yieldIfBusy();
    return this.resolve(name);
  }

  async list(prefix: string): Promise<Map<string, ObjectId>> {
    await yieldIfBusy();
    return this.listNow(prefix);
  }

  /** The id `name` points at, following symbolic refs. */
  private resolve(name: string): ObjectId | undefined {
    let n = name;
    for (let depth = 0; depth <= MAX_SYMREF_DEPTH; depth++) {
      const held = this.held.get(n);
      if (held) return held.value;
      const loose = readLooseRef(this.dir, n);
      if (loose === undefined) return this.readPacked().refs.get(n)?.id;
      if ('id' in loose) return loose.id;
      n = loose.symbolic;
    }
    throw symrefLoop(name);
  }

  /** list(), synchronously: also the watcher's first snapshot, which must not await (see watch.ts). */
  private listNow(prefix: string): Map<string, ObjectId> {
    // Loose first, then packed: gc writes packed-refs before it deletes the loose files, so in this order
    // a ref being packed is seen in one place or the other, never in neither.
    const loose = walkLooseRefs(this.dir, walkRoot(prefix));
    const packed = this.readPacked();
    const out = new Map<string, ObjectId>();
    for (const name of mergedNames(loose, packed.refs, prefix)) {
      const l = loose.get(name);
      let id: ObjectId | undefined;
      if (l === undefined) id = packed.refs.get(name)?.id;
      else if ('id' in l) id = l.id;
      else id = this.resolveQuietly(name); // a symbolic ref under refs/ (origin/HEAD)
      if (id !== undefined) out.set(name, id);
    }
    for (const [name, h] of this.held) if (name.startsWith(prefix)) out.set(name, h.value);
    return out;
  }

  /** resolve, with a broken symbolic ref (a loop, an unreadable target) left out as git's listing does. */
  private resolveQuietly(name: string): ObjectId | undefined {
    try {
      return this.resolve(name);
    } catch {
      return undefined;
    }
  }

  async compareAndSwap(name: string, expected: ObjectId | undefined, next: ObjectId | undefined): Promise<boolean> {
    checkRefName(name);
    checkId(name, 'expected', expected);
    checkId(name, 'next', next);
    await yieldIfBusy();
    // Symbolic refs (HEAD) are found under the lock rather than resolved first: that saves a read on the
    // common path, where the ref is not symbolic.
    let target = name;
    for (let depth = 0; depth <= MAX_SYMREF_DEPTH; depth++) {
      const r = await this.swapDirect(target, expected, next);
      if (typeof r === 'boolean') return r;
      target = r.symbolic;
    }
    throw symrefLoop(name);
  }

  /** compareAndSwap on `name` itself, or the symbolic ref's target when `name` turns out to be symbolic. */
  private async swapDirect(
    name: string, expected: ObjectId | undefined, next: ObjectId | undefined,
  ): Promise<boolean | { symbolic: string }> {
    const held = this.held.get(name);
    if (held !== undefined) {
      const publishing = this.lag!.running();
      if (publishing) {
        // Moved after the publication, which may be writing this very ref: then it is not held any more.
        await publishing.catch(() => {});
        return this.swapDirect(name, expected, next);
      }
      // Ours until the next publication: compared and moved in memory and in the journal.
      if (next === undefined) {
        await this.lag!.publishNow(); // a deletion goes to disk at once, after what came before it
      } else {
        if (held.value !== expected) return false;
        return next === expected || this.moveLate(name, held.lock, expected, next);
      }
    }
    if (next === undefined && expected === undefined) {
      const e = this.readDirectEntry(name);
      return e !== undefined && 'symbolic' in e ? e : e === undefined;
    }
    // Cheap checks without the lock; the file system itself prevents a file and a directory of one name.
    if (expected === undefined) this.checkNameConflicts(name);
    let lock: LockFile;
    try {
      lock = await LockFile.acquire(join(this.dir, name), this.lockOptions, this.spares.of(name));
    } catch (e) {
      const c = errnoCode(e);
      if (c === 'ENOTDIR' || c === 'EEXIST') throw conflict(name, 'a ref in its path exists', e);
      throw e;
    }
    let old: ObjectId | undefined;
    let changed = false;
    let kept = false;
    try {
      // Read under the lock: this is the value nobody else can change until we release it.
      const current = this.readLockedEntry(name);
      if (current !== undefined && 'symbolic' in current) return current;
      old = current?.id;
      if (old !== expected) return false;
      if (old === next) return true;
      if (this.lag && next !== undefined) {
        // Moved late: the lock stays held, so that nobody else moves the ref before it is published.
        kept = true;
        return this.moveLate(name, lock, old, next);
      }
      if (next !== undefined) {
        try {
          const st = await lock.commit(`${next}\n`);
          this.written.set(name, { id: next, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
        } catch (e) {
          this.written.delete(name);
          if (errnoCode(e) === 'EISDIR') throw conflict(name, 'refs exist below it', e);
          throw e;
        }
      } else {
        this.written.delete(name);
        await this.deleteLocked(name);
      }
      changed = true;
    } finally {
      if (!kept) {
        await lock.release();
        // Taking the lock may have created directories (refs/heads/a/ for refs/heads/a/b); when the ref is
        // not there now, remove them if empty, as git does. After the release: the lock file kept them busy.
        const present = changed ? next !== undefined : old !== undefined;
        if (!present) removeEmptyDirs(dirname(join(this.dir, name)), refsTopDir(this.dir, name));
      }
    }
    this.watcher.local({ name, old, next });
    return true;
  }

  /** Gives held ref `name` (its lock `lock`) the value `next`, in the journal and in memory, until the next publication. */
  private moveLate(name: string, lock: LockFile, old: ObjectId | undefined, next: ObjectId): true {
    this.lag!.journal().appendRef({ name, old, next, lockIno: lock.ino });
    this.held.set(name, { lock, value: next });
    this.watcher.local({ name, old, next });
    this.lag!.schedule();
    return true;
  }

  /**
   * Moves `name` to the last value a dead process's journal gave it (lagged-publish.ts): its lock, if
   * still there, is removed; the ref is moved if it still has the value the journal started from;
   * otherwise someone moved it meanwhile, and the journal's value goes under refs/nymote/recovered/.
   */
  async recover(name: string, v: { base: ObjectId | undefined; final: ObjectId; lockIno: number | undefined }): Promise<string | undefined> {
    const lockPath = `${join(this.dir, name)}.lock`;
    if (v.lockIno !== undefined && statOrUndefined(lockPath)?.ino === v.lockIno) removeQuietly(lockPath);
    const current = this.resolve(name);
    if (current === v.final) return undefined;
    if (current === v.base && await this.compareAndSwap(name, v.base, v.final)) return undefined;
    const aside = `refs/nymote/recovered/${name.replace(/^refs\//, '')}`;
    await this.compareAndSwap(aside, this.resolve(aside), v.final);
    return aside;
  }

  /** Renames each held lock over its ref (lagged-publish.ts): after publishObjects(), so that every object they name is in a pack. */
  async publishRefs(): Promise<void> {
    for (const [name, h] of [...this.held]) {
      this.held.delete(name);
      // commit() releases the lock either way; a failure leaves the value in the journal for recovery.
      const st = await h.lock.commit(`${h.value}\n`);
      this.written.set(name, { id: h.value, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
      await h.lock.release();
    }
  }

  async readSymbolic(name: string): Promise<string | undefined> {
    checkRefName(name);
    await yieldIfBusy();
    const loose = readLooseRef(this.dir, name);
    return loose !== undefined && 'symbolic' in loose ? loose.symbolic : undefined;
  }

  async writeSymbolic(name: string, target: string): Promise<void> {
    checkRefName(name);
    checkRefName(target);
    await yieldIfBusy();
    const lock = await LockFile.acquire(join(this.dir, name), this.lockOptions);
    try {
      await lock.commit(`ref: ${target}\n`);
    } finally {
      await lock.release();
    }
  }

  watch(listener: (update: RefUpdate) => void): () => void {
    return this.watcher.add(listener);
  }

  close(): void {
    this.watcher.stop();
    this.spares.clear();
    this.written.clear();
  }

  /**
   * Moves every loose ref (not symbolic ones, not HEAD) into packed-refs, like `git pack-refs --all`.
   * `peel` gives the final target of an annotated tag (undefined for anything else), recorded as git
   * records it. Returns how many loose files were removed.
   */
  async packAll(peel: (id: ObjectId) => Promise<ObjectId | undefined>): Promise<number> {
    // Peel what is there now before taking the lock, so the lock is held only for the refs that move
    // meanwhile: deletions elsewhere wait for packed-refs.lock.
    const peeled = new Map<ObjectId, ObjectId | undefined>();
    const peelOnce = async (id: ObjectId): Promise<ObjectId | undefined> => {
      if (!peeled.has(id)) peeled.set(id, await peel(id));
      return peeled.get(id);
    };
    for (const id of new Set(this.listNow('').values())) await peelOnce(id).catch(() => undefined);
    const plock = await LockFile.acquire(this.packedPath, this.lockOptions);
    const packedNow = new Map<string, ObjectId>();
    try {
      // Under packed-refs.lock, so no deletion (which takes it too) can interleave: see deleteLocked.
      const loose = walkLooseRefs(this.dir, 'refs');
      const old = this.readPacked();
      const refs = new Map<string, PackedRef>();
      for (const [n, r] of old.refs) refs.set(n, { ...r });
      for (const [n, l] of loose) {
        if (!('id' in l)) continue;
        refs.set(n, { id: l.id });
        packedNow.set(n, l.id);
      }
      let fullyPeeled = true;
      for (const r of refs.values()) {
        try {
          const p = await peelOnce(r.id);
          if (p === undefined) delete r.peeled;
          else r.peeled = p;
        } catch {
          fullyPeeled = false; // a ref to a missing object: keep what we knew, promise less
        }
      }
      // Without the traits git peels by itself; with them it trusts that a ref without "^" is no tag.
      const traits = new Set(fullyPeeled ? ['peeled', 'fully-peeled', 'sorted'] : ['sorted']);
      await plock.commit(formatPackedRefs({ traits, refs }));
    } finally {
      await plock.release();
    }
    // Each loose file goes only if it still holds the value we packed, checked under its own lock: a ref
    // moved meanwhile keeps its (newer) loose file, which wins over the packed line.
    let removed = 0;
    for (const [name, id] of packedNow) {
      let lock: LockFile;
      try {
        lock = await LockFile.acquire(join(this.dir, name), this.lockOptions);
      } catch {
        continue; // busy: leave this one loose, it is still correct
      }
      let gone = false;
      try {
        const now = readLooseQuietly(this.dir, name);
        if (now !== undefined && 'id' in now && now.id === id) gone = removeFile(join(this.dir, name));
      } finally {
        await lock.release();
      }
      if (gone) {
        removed++;
        removeEmptyDirs(dirname(join(this.dir, name)), refsTopDir(this.dir, name));
      }
    }
    // No fsync for the removals: a loose file that comes back after a power loss holds the packed value.
    return removed;
  }

  /** readDirectEntry under the ref's lock: what this process wrote, when the file is still the one it wrote. */
  private readLockedEntry(name: string): LooseRef | undefined {
    const w = this.written.get(name);
    if (w !== undefined) {
      const st = statOrUndefined(join(this.dir, name));
      if (st !== undefined && st.ino === w.ino && st.size === w.size && st.mtimeMs === w.mtimeMs) return { id: w.id };
      this.written.delete(name);
    }
    return this.readDirectEntry(name);
  }

  private readDirectEntry(name: string): LooseRef | undefined {
    return readLooseRef(this.dir, name) ?? this.readPacked().refs.get(name);
  }

  /**
   * Git refuses refs/heads/a/b while refs/heads/a exists and the reverse (on disk one would be a file and
   * the other a directory; packed, git would still refuse). An empty directory in the way (left by a
   * deleted ref) is removed.
   */
  private checkNameConflicts(name: string): void {
    const packed = this.readPacked();
    const parts = name.split('/');
    for (let i = 2; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (packed.refs.has(prefix)) throw conflict(name, `ref ${prefix} exists`);
      if (statOrUndefined(join(this.dir, prefix))?.isFile()) throw conflict(name, `ref ${prefix} exists`);
    }
    for (const other of packed.refs.keys()) {
      if (other.startsWith(name + '/')) throw conflict(name, `ref ${other} exists`);
    }
    if (statOrUndefined(join(this.dir, name))?.isDirectory()) {
      try {
        rmdirSync(join(this.dir, name));
      } catch (e) {
        throw conflict(name, 'refs exist below it', e);
      }
    }
  }

  /**
   * Deletes a ref whose own lock we hold. packed-refs.lock is held until the loose file is gone too, so
   * gc (which reads loose refs under that lock) cannot pack the value we are deleting. The packed line
   * goes first: while the loose file remains it wins, so readers never see the old packed value return.
   */
  private async deleteLocked(name: string): Promise<void> {
    const plock = await LockFile.acquire(this.packedPath, this.lockOptions);
    try {
      const packed = this.readPacked();
      if (packed.refs.has(name)) {
        const refs = new Map(packed.refs);
        refs.delete(name);
        await plock.commit(formatPackedRefs({ traits: packed.traits, refs }));
      }
      const removed = removeFile(join(this.dir, name));
      this.spares.forget(name);
      if (removed && this.lockOptions.fsync) await fsyncDir(dirname(join(this.dir, name)));
    } finally {
      await plock.release();
    }
  }

  /**
   * packed-refs, re-parsed only when the file changed: one stat per call in the common case. Git always
   * replaces the file by rename, so a new inode number reliably means new content (mtime alone can miss
   * two writes within one clock tick). Content read after the stat can only be newer than the key it is
   * stored under, which at worst costs one needless re-read later.
   */
  private readPacked(): PackedRefs {
    let st: BigIntStats | undefined;
    try {
      st = statSync(this.packedPath, { bigint: true, throwIfNoEntry: false });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (st === undefined) {
      this.packedCache = undefined;
      return emptyPackedRefs();
    }
    const key = `${st.ino}:${st.size}:${st.mtimeNs}`;
    if (this.packedCache?.key === key) return this.packedCache.value;
    let text: string;
    try {
      text = readFileSync(this.packedPath, 'utf8');
    } catch (e) {
      if (isNotFound(e)) return emptyPackedRefs(); // deleted right after the stat
      throw e;
    }
    const value = parsePackedRefs(text, this.packedPath);
    this.packedCache = { key, value };
    return value;
  }
}

/** The loose ref, or undefined when it is absent or unreadable. */
function readLooseQuietly(dir: string, name: string): LooseRef | undefined {
  try {
    return readLooseRef(dir, name);
  } catch {
    return undefined;
  }
}

/** The directory list(prefix) must walk: "refs/heads/fe" -> "refs/heads"; anything shorter -> "refs". */
function walkRoot(prefix: string): string {
  if (!prefix.startsWith('refs/')) return 'refs';
  const slash = prefix.lastIndexOf('/');
  const dir = prefix.slice(0, slash);
  // Never let a prefix such as "refs/../x" walk outside refs/.
  return dir.split('/').some((c) => c === '' || c === '.' || c === '..') ? 'refs' : dir;
}

function mergedNames(loose: Map<string, unknown>, packed: Map<string, unknown>, prefix: string): string[] {
  const names = new Set<string>();
  for (const n of loose.keys()) if (n.startsWith(prefix)) names.add(n);
  for (const n of packed.keys()) if (n.startsWith(prefix) && n.startsWith('refs/')) names.add(n);
  return [...names].sort(compareRefNames);
}

/** Directories up to refs/<kind> are git's skeleton; only deeper ones are removed when they empty. */
function refsTopDir(dir: string, name: string): string {
  const parts = name.split('/');
  return join(dir, ...parts.slice(0, Math.min(2, parts.length - 1)));
}

function checkId(ref: string, what: string, id: ObjectId | undefined): void {
  if (id !== undefined && !isObjectId(id)) {
    throw new StoreError('invalid-ref', `compareAndSwap(${ref}): ${what} is not an object id: "${id}"`, { ref });
  }
}

function symrefLoop(name: string): StoreError {
  return new StoreError('invalid-ref', `ref ${name}: more than ${MAX_SYMREF_DEPTH} symbolic refs in a row (a loop?)`, { ref: name });
}

function conflict(name: string, why: string, cause?: unknown): StoreError {
  return new StoreError('exists', `cannot create ref ${name}: ${why}`, { ref: name }, { cause });
}
