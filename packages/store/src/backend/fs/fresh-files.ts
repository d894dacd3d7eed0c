// Empty temp files made ahead of need, beside the event loop, for the write path to fill: a group commit's
// pack and its index are written into two of them and linked into the pack directory (they are made in
// a directory of their own, TEMP_DIR in packs.ts, whose lock the pack directory's renames never wait
// for), so the commit never waits for the file system to find a free inode.
//
// Why: creating a file is the dearest step of a small pack's write where many files were deleted in
// the last minute. ext4 without a journal (the /tmp of many machines) skips every inode freed in that
// time, reading each one, when it looks for a free one; merges of small packs free hundreds a second.
// Measured in a server flagging messages: 55 µs per pack create and 54 per index, in a cycle of about
// 1.7 ms for 8 commits, on the event loop that every session shares. Made here, in batches, the same
// work runs on the merge thread (or, where there is none, on the thread pool) while the event loop
// does something else.
//
// The files are fresh: made for this, never anyone's before, so no reader can hold one open, as a
// reader may hold a deleted pack. They are created read-only (0444, as packs are), which binds later
// opens, not the descriptor of the create, which stays open for writing. Their names are temp names
// ("tmp_pack_ready_"), which gc removes once old: a process that is killed leaves at most TARGET empty
// files behind, and the temp names of the few packs it linked since its last batch (second names of
// packs, harmless); one that writes a few packs only never starts a pool.
import { open } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { closeQuietly, removeQuietly, tempPath } from './files.js';
import { createFilesOffThread, removeFilesOffThread } from './merge-thread.js';

const openFile = promisify(open);

/**
 * Files kept ready: two a group commit, with room for the commits made while the pool refills. The
 * thread that makes them runs one merge at a time, a few milliseconds each, and a batch asked for
 * meanwhile waits: with 16, a server flagging messages found the pool empty for up to a fifth of its
 * packs in a 2-second round (and made those files itself); with 64, half as often over the same rounds.
 */
const TARGET = 64;
/** The pool refills when this few are left (a batch at a time: a request to another thread costs more than a file). */
const LOW = TARGET / 2;
/** Packs and their indexes are read-only, as git makes them. */
const MODE = 0o444;
/**
 * A file not taken within this long (ms) is deleted and made again: gc deletes temp files an hour old
 * (a killed process's leftovers), and must never take one from a live pool.
 */
const MAX_AGE_MS = 10 * 60 * 1000;
/** After a failed create, the pool rests this long (ms) before it tries again. */
const RETRY_MS = 1000;
/**
 * Files asked for before the pool starts: a command that makes a commit or two then exits would
 * otherwise start a thread and leave a batch of empty files to gc.
 */
const START_AFTER = 16;

export interface FreshFile {
  path: string;
  /** Open for reading and writing; whoever takes the file closes it. */
  fd: number;
  /** performance.now() when it was made. */
  made: number;
}

/** A pool of empty files in one directory, for this process only. */
export class FreshFiles {
  private readonly ready: FreshFile[] = [];
  private asked = 0;
  /** The batch being made, if any. */
  private refilling: Promise<void> | undefined;
  private closed = false;
  /** When a create last failed (performance.now()): the callers make their own files for a while. */
  private failedAt = -Infinity;
  /** Names of taken files that now have another (see spent()), to remove with the next batch. */
  private spentPaths: string[] = [];
  /** Whether the directory is known to exist (made before the first batch, and after a failed one). */
  private dirMade = false;

  constructor(
    private readonly dir: string,
    private readonly prefix: string,
  ) {}

  /** An empty file, or undefined when none is ready (the caller creates one itself). Starts a refill. */
  take(): FreshFile | undefined {
    if (this.asked < START_AFTER) {
      this.asked++;
      return undefined;
    }
    const now = performance.now();
    while (this.ready.length > 0 && now - this.ready[0]!.made > MAX_AGE_MS) discard(this.ready.shift()!);
    // Oldest first: none waits while newer ones are used, to age out in the end.
    const file = this.ready.shift();
    this.refill();
    return file;
  }

  /**
   * The taken file `path` has been linked where it belongs: its name here goes with the next batch (a
   * removal is a message to the other thread, dearer than the unlink it asks for).
   */
  spent(path: string): void {
    this.spentPaths.push(path);
  }

  /** Closes and deletes the files not taken, those of a batch being made too, and the names spent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const f of this.ready.splice(0)) discard(f);
    await this.refilling;
    for (const path of this.spentPaths.splice(0)) removeQuietly(path);
  }

  private refill(): void {
    if (this.refilling || this.closed || this.ready.length > LOW || performance.now() - this.failedAt < RETRY_MS) return;
    this.refilling = this.fill().finally(() => {
      this.refilling = undefined;
    });
  }

  /** Removes the names spent, then makes files up to TARGET, in one batch: on the merge thread, else on the thread pool. */
  private async fill(): Promise<void> {
    const spent = this.spentPaths.splice(0);
    if (spent.length > 0) {
      await (removeFilesOffThread(spent) ?? Promise.all(spent.map((path) => unlink(path)))).catch(() => {});
    }
    if (!this.dirMade) {
      await mkdir(this.dir, { recursive: true }).catch(() => {});
      this.dirMade = true;
    }
    const paths = Array.from({ length: TARGET - this.ready.length }, () => tempPath(this.dir, this.prefix));
    const fds = await (createFilesOffThread(paths, MODE)?.catch(() => paths.map(() => null))
      ?? Promise.all(paths.map((path) => openFile(path, 'wx+', MODE).catch(() => null))));
    const made = performance.now();
    paths.forEach((path, i) => {
      const fd = fds[i];
      // No directory yet, no space, no permission: the write path makes its own files for a while, and
      // reports what goes wrong there.
      if (fd === null || fd === undefined) {
        this.failedAt = made;
        this.dirMade = false;
      }
      else if (this.closed) discard({ path, fd, made });
      else this.ready.push({ path, fd, made });
    });
  }
}

function discard(f: FreshFile): void {
  closeQuietly(f.fd);
  removeQuietly(f.path);
}
