// Group commit: the writes a process makes to one branch while an earlier one is still being stored are
// queued, then built one after another on the same in-memory tree, one commit each, and stored in one
// batch (one pack on disk) with one move of the branch. Every change keeps its own commit, with its own
// message, parent and time, as if the writes had been made one at a time; what they share is the cost
// of reaching the disk, which is most of the cost of a commit. Within a process this also replaces
// optimistic retries between writers of the same branch, which starve each other when an edit is slow.
import type { Backend } from './backend/types.js';
import { StoreError } from './errors.js';
import { encodeCommit, type Commit } from './git/commit-codec.js';
import type { ObjectId } from './git/id.js';
import type { Objects } from './objects.js';
import { Tree, TreePrimes, type Staged } from './tree.js';

/** Calls `fn` once the event loop has turned: setImmediate in Node, a zero timeout in a browser. */
const nextTurn: (fn: () => void) => void = typeof setImmediate === 'function' ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0);

/**
 * After a group of several writes, a branch counts as written by several writers at once for this long
 * (ms), and the first write of a new group then waits for others before it starts: GATHER_MS, or less
 * once as many have come as the largest group of that time had. The writers of the last group (IMAP
 * sessions, say) are about to send their next writes, each after the answer to its last one, and
 * joining this group costs them far less than a group of their own. A lone writer never waits: its
 * groups have one write.
 */
const SHARED_MS = 100;
const GATHER_MS = 1;

/** Writes to one branch taken together at most: a bound on how long the first of them waits. */
const MAX_GROUP = 64;

export interface UpdateResult<R> {
  commit: ObjectId | undefined;
  changed: boolean;
  result: R;
  /**
   * The branch's head once this write landed: its commit, or a later one of the writes stored with it.
   * A reader that wants what it just wrote, and what others wrote with it, can read that commit instead
   * of the branch, which another process may have moved since.
   */
  head: ObjectId | undefined;
}

export interface UpdateJob<R = unknown> {
  edit: (tree: Tree, head: ObjectId | undefined) => Promise<R> | R;
  /** The commit for what the edit did; asked after the edit ran (its message may depend on the result). */
  commit: (tree: ObjectId, parents: ObjectId[]) => Commit;
  resolve: (r: UpdateResult<R>) => void;
  reject: (e: unknown) => void;
}

export interface GroupTarget {
  objects: Objects;
  backend: Backend;
  retries: number;
}

type Outcome = { ok: true; value: UpdateResult<unknown> } | { ok: false; error: unknown };

/** The queue of writes to each branch (by ref) of one store; a branch with a queue has a writer running. */
export class GroupCommitter {
  private readonly queues = new Map<string, UpdateJob[]>();
  /** When each branch last had a group of several writes (performance.now()), and its largest group since. */
  private readonly shared = new Map<string, { at: number; writers: number }>();
  /** Branches whose next group is gathering: called once as many writes as expected have come. */
  private readonly gathered = new Map<string, () => void>();
  /**
   * Where this process last moved each branch: the next group is built on it without reading the ref
   * first. Should another process have moved the branch since, the compare-and-swap, which reads the
   * ref under its lock, fails, and the group is built again on what the ref then holds.
   */
  private readonly landed = new Map<string, ObjectId>();

  constructor(private readonly target: GroupTarget) {}

  submit<R>(ref: string, branch: string, job: UpdateJob<R>): void {
    const queue = this.queues.get(ref);
    if (queue) {
      queue.push(job as UpdateJob);
      if (queue.length >= (this.shared.get(ref)?.writers ?? Infinity)) this.gathered.get(ref)?.();
      return;
    }
    this.queues.set(ref, [job as UpdateJob]);
    void this.drain(ref, branch);
  }

  private async drain(ref: string, branch: string): Promise<void> {
    const queue = this.queues.get(ref)!;
    const shared = this.shared.get(ref);
    if (shared !== undefined && performance.now() - shared.at < SHARED_MS) await this.gather(ref);
    // Writes asked for in the same turn of the event loop as this first one join it: the requests read
    // in this turn's other I/O callbacks too. Waiting for microtasks only would run the whole commit
    // before the next callback: with eight IMAP sessions flagging at once, each write then went alone,
    // and, no group ever holding two writes, the branch never counted as shared (see SHARED_MS).
    else await new Promise<void>(nextTurn);
    for (let first = true; queue.length > 0; first = false) {
      // After a group, let the event loop turn: requests that arrived while it was written (the disk work
      // is synchronous and held them back) add their writes to the next group instead of the one after.
      if (!first) await new Promise<void>(nextTurn);
      const jobs = queue.splice(0, MAX_GROUP);
      let outcomes: Outcome[];
      try {
        outcomes = await this.commitGroup(ref, branch, jobs);
      } catch (e) {
        outcomes = jobs.map(() => ({ ok: false, error: e }));
      }
      // The writers of this round: the group, and the writes that came while it was being stored. Those
      // count too: a writer that fell one group behind would otherwise never be waited for, and its
      // writes would go on as groups of their own (groups of 7 and 1 for 8 IMAP sessions).
      const writers = jobs.length + queue.length;
      if (writers > 1) {
        // The expected number only grows while writes keep coming: a smaller round (some writers were
        // late, or busy with a read) must not make the next one start before they are back.
        const last = this.shared.get(ref);
        const now = performance.now();
        this.shared.set(ref, { at: now, writers: last !== undefined && now - last.at < SHARED_MS ? Math.max(last.writers, writers) : writers });
      }
      jobs.forEach((job, i) => {
        const o = outcomes[i]!;
        if (o.ok) job.resolve(o.value);
        else job.reject(o.error);
      });
    }
    this.queues.delete(ref);
  }

  /** Resolves after GATHER_MS, or as soon as submit() has queued the expected number of writes. */
  private gather(ref: string): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.gathered.delete(ref);
        resolve();
      };
      const timer = setTimeout(done, GATHER_MS);
      this.gathered.set(ref, done);
    });
  }

  /**
   * Runs the edits in order on the branch's tree, a commit for each that changed something, stores all
   * objects in one batch and moves the branch once. An edit that throws changes nothing (the tree goes
   * back to before it) and fails alone. If another process moved the branch meanwhile, everything is
   * built again on its new head (edits must be safe to run again, as for any optimistic write).
   */
  private async commitGroup(ref: string, branch: string, jobs: readonly UpdateJob[]): Promise<Outcome[]> {
    const { objects, backend } = this.target;
    for (let attempt = 0; attempt < this.target.retries; attempt++) {
      const guess = attempt === 0 ? this.landed.get(ref) : undefined;
      const head = guess ?? (await backend.refs.read(ref));
      const baseTree = head === undefined ? undefined : (await objects.commit(head)).tree;
      let tree = await Tree.at(objects, baseTree);
      const staged: Staged[] = [];
      const primes = new TreePrimes();
      const outcomes: Outcome[] = [];
      let parent = head;
      let parentTree = baseTree;
      try {
        for (const job of jobs) {
          const before = tree.clone();
          let result: unknown;
          try {
            result = await job.edit(tree, parent);
          } catch (error) {
            tree = before;
            outcomes.push({ ok: false, error });
            continue;
          }
          const treeId = await tree.write({ stage: staged, primes });
          if (parent !== undefined && treeId === parentTree) {
            outcomes.push({ ok: true, value: { commit: parent, changed: false, result, head: undefined } });
            continue;
          }
          let c: Commit;
          try {
            c = job.commit(treeId, parent === undefined ? [] : [parent]);
          } catch (error) {
            // A bad author, say: this write fails, the others of the group go on.
            tree = before;
            outcomes.push({ ok: false, error });
            continue;
          }
          const body = encodeCommit(c);
          const id = backend.objects.hash('commit', body);
          const object = { id, type: 'commit' as const, body };
          objects.stage([object]);
          staged.push(object);
          objects.primeCommit(id, c);
          outcomes.push({ ok: true, value: { commit: id, changed: true, result, head: undefined } });
          parent = id;
          parentTree = treeId;
        }
        primes.apply(objects);
        if (parent === head) {
          // Nothing to write, so no compare-and-swap to catch a wrong guess: the outcomes (failed edits
          // too) must be those of the branch's real head. With something to write, a wrong guess fails
          // the swap below, and every edit runs again on the real head.
          if (guess === undefined || (await backend.refs.read(ref)) === guess) return landedAt(outcomes, head);
          this.landed.delete(ref);
          attempt--; // a wrong guess is not one of the tries
          continue;
        }
        // Everything durable (as the backend promises) before the branch points at it.
        await backend.objects.writeBatch(staged);
      } finally {
        objects.unstage(staged);
      }
      if (await backend.refs.compareAndSwap(ref, head, parent)) {
        if (parent === undefined) this.landed.delete(ref);
        else this.landed.set(ref, parent);
        return landedAt(outcomes, parent);
      }
      this.landed.delete(ref);
      if (guess !== undefined) attempt--; // a wrong guess is not one of the tries
    }
    throw new StoreError('conflict', `branch "${branch}" kept moving; gave up after ${this.target.retries} tries`, { branch });
  }
}

/** The outcomes of a group that left the branch at `head`. */
function landedAt(outcomes: Outcome[], head: ObjectId | undefined): Outcome[] {
  for (const o of outcomes) if (o.ok) o.value.head = head;
  return outcomes;
}
