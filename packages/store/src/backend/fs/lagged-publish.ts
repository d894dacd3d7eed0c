// Late publication (FsBackendOptions.publishLagMs): a process that writes often keeps its new objects
// in memory and in its journal (journal.ts), holds the lock of each ref it moves with the ref's new
// value in memory, and publishes every few milliseconds: one pack of everything written since, then
// each held lock renamed over its ref, then the journal emptied. Readers in this process see every
// write at once; other processes, git included, see a consistent repository up to that lag behind,
// and a writer elsewhere waits on the held lock for at most as long. Publication runs at once when
// the repository is closed, collected, or a held ref is deleted.
//
// A killed process's journal is published by the next process that opens the repository
// (recoverJournals): its objects as one pack, then each ref moved from the value the journal started
// from to its last one, the dead process's lock removed first; a ref moved by someone else meanwhile
// gets the journal's value under refs/nymote/recovered/ instead, with a warning.
import { mkdirSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCode, isNotFound, removeQuietly, tempPath } from './files.js';
import { Journal, readJournal, type JournalObject } from './journal.js';

/** The directory of the journals, in the repository (outside refs/ and objects/: git never looks there). */
export const JOURNAL_DIR = 'nymote-journal';

/** How long a failed publication waits before the next try (ms). */
const RETRY_MS = 1000;

/** The journals this process has open: a second opening of the same repository here must leave them be. */
const OURS = new Set<string>();

/** What FsObjects and FsRefs need of the publisher. */
export interface Lag {
  /** The journal, made at the first write. */
  journal(): Journal;
  /** Asks for a publication within the lag. */
  schedule(): void;
  /** Publishes now (and waits for one under way). */
  publishNow(): Promise<void>;
  /**
   * The publication running, if one is: a held ref must not move while it runs (its new value could
   * name objects written after the publication took its list of objects).
   */
  running(): Promise<void> | undefined;
}

/** The two halves a publication writes, objects first. */
export interface Publishable {
  publishObjects(): Promise<void>;
}
export interface PublishableRefs {
  publishRefs(): Promise<void>;
}

export class Publisher implements Lag {
  private current: Journal | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private inProgress: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly gitDir: string,
    private readonly lagMs: number,
    private readonly objects: Publishable,
    private readonly refs: PublishableRefs,
    private readonly onWarning: (message: string) => void,
  ) {}

  journal(): Journal {
    if (this.current) return this.current;
    const dir = join(this.gitDir, JOURNAL_DIR);
    mkdirSync(dir, { recursive: true });
    // Named as temp files are, pid first: recovery tells a dead process's journal by it.
    this.current = Journal.create(tempPath(dir, ''));
    OURS.add(this.current.path);
    return this.current;
  }

  schedule(): void {
    this.after(this.lagMs);
  }

  private after(ms: number): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.publishNow().catch((e: unknown) => {
        // Everything stays in memory and in the journal: try again, once a second (a full disk, say).
        this.onWarning(`could not publish writes (trying again in ${RETRY_MS} ms): ${(e as Error).message}`);
        this.after(RETRY_MS);
      });
    }, ms);
  }

  publishNow(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // One at a time: a publication asked for while one runs follows it.
    const run = this.chain.then(() => {
      const publication = (async () => {
        // The objects first, all of those written so far: every value a held ref has now names only them.
        await this.objects.publishObjects();
        await this.refs.publishRefs();
        this.current?.reset();
      })();
      this.inProgress = publication;
      return publication.finally(() => {
        this.inProgress = undefined;
      });
    });
    this.chain = run.catch(() => {});
    return run;
  }

  running(): Promise<void> | undefined {
    return this.inProgress;
  }

  /** Publishes what is left and removes the journal. */
  async close(): Promise<void> {
    await this.publishNow();
    this.closed = true;
    if (this.current) {
      this.current.close();
      removeQuietly(this.current.path);
      OURS.delete(this.current.path);
      this.current = undefined;
    }
  }
}

/** A recovered journal's contents, for the repository to publish. */
export interface Recovered {
  file: string;
  objects: JournalObject[];
  /** Per ref, the value the journal started from and its last one, with the dead process's lock inode. */
  refs: Map<string, { base: string | undefined; final: string; lockIno: number | undefined }>;
}

/**
 * The journals of processes that are gone, each claimed by renaming it (so that two processes opening
 * the repository at once do not both publish it). `publish` writes each; the file goes once it returns.
 */
export async function recoverJournals(gitDir: string, publish: (r: Recovered) => Promise<void>): Promise<number> {
  const dir = join(gitDir, JOURNAL_DIR);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if (isNotFound(e)) return 0;
    throw e;
  }
  let n = 0;
  for (const name of names) {
    const m = /^(\d+)_[0-9a-z]+$/.exec(name);
    if (!m || OURS.has(join(dir, name)) || alive(Number(m[1]))) continue;
    const claimed = join(dir, `${name}.recovering-${process.pid}`);
    try {
      renameSync(join(dir, name), claimed);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') continue; // another process claimed it
      throw e;
    }
    const contents = readJournal(claimed);
    const refs: Recovered['refs'] = new Map();
    for (const r of contents.refs) {
      const had = refs.get(r.name);
      refs.set(r.name, { base: had ? had.base : r.old, final: r.next, lockIno: had?.lockIno ?? r.lockIno });
    }
    await publish({ file: claimed, objects: contents.objects, refs });
    unlinkSync(claimed);
    n++;
  }
  return n;
}

/**
 * Whether process `pid` exists (EPERM: it does, another user's). A journal named with this process's
 * pid and not among OURS was left by an earlier process that had the same pid.
 */
function alive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}
