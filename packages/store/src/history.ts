import type { Commit } from './git/commit-codec.js';
import type { ObjectId } from './git/id.js';
import { keySegments, type Key } from './key.js';
import type { Objects } from './objects.js';

/** A max-heap of commits by committer time (newest first), as git log walks them. */
class CommitQueue {
  private readonly heap: { id: ObjectId; time: number; seq: number }[] = [];
  private seq = 0;
  get size(): number {
    return this.heap.length;
  }
  private before(a: { time: number; seq: number }, b: { time: number; seq: number }): boolean {
    return a.time > b.time || (a.time === b.time && a.seq < b.seq);
  }
  push(id: ObjectId, time: number): void {
    const h = this.heap;
    h.push({ id, time, seq: this.seq++ });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): ObjectId | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top.id;
  }
}

/** Commits reachable from `heads`, newest first (by committer time), each once. */
export async function* walkCommits(objects: Objects, heads: readonly ObjectId[]): AsyncGenerator<{ id: ObjectId; commit: Commit }> {
  const seen = new Set<ObjectId>();
  const queue = new CommitQueue();
  for (const h of heads) {
    if (seen.has(h)) continue;
    seen.add(h);
    queue.push(h, (await objects.commit(h)).committer.time);
  }
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    const commit = await objects.commit(id);
    yield { id, commit };
    for (const p of commit.parents) {
      if (seen.has(p)) continue;
      seen.add(p);
      queue.push(p, (await objects.commit(p)).committer.time);
    }
  }
}

/**
 * The id of the object at `segs` under tree `treeId` (undefined: absent). Reads only the trees on the
 * path, and callers compare ids level by level, so a key's history never diffs whole trees.
 */
export async function idAtPath(objects: Objects, treeId: ObjectId, segs: readonly string[]): Promise<ObjectId | undefined> {
  let id = treeId;
  for (const s of segs) {
    const e = (await objects.tree(id)).get(s);
    if (!e) return undefined;
    id = e.id;
  }
  return id;
}

/**
 * The commits that changed `key` (a value or a whole subtree), newest first, with the object id the
 * key had after each. Follows git's history simplification: at a merge whose result equals one
 * parent's at the key, only that parent is followed, so a long history costs one path lookup per commit.
 */
export async function* keyHistory(objects: Objects, head: ObjectId, key: Key): AsyncGenerator<{ id: ObjectId; commit: Commit; value: ObjectId | undefined }> {
  const segs = keySegments(key, true);
  const seen = new Set<ObjectId>([head]);
  const queue = new CommitQueue();
  queue.push(head, (await objects.commit(head)).committer.time);
  const valueCache = new Map<ObjectId, ObjectId | undefined>();
  const valueAt = async (id: ObjectId): Promise<ObjectId | undefined> => {
    if (valueCache.has(id)) return valueCache.get(id);
    const v = await idAtPath(objects, (await objects.commit(id)).tree, segs);
    valueCache.set(id, v);
    return v;
  };
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    const commit = await objects.commit(id);
    const mine = await valueAt(id);
    let follow = commit.parents;
    let changed = commit.parents.length === 0 ? mine !== undefined : true;
    for (const p of commit.parents) {
      if ((await valueAt(p)) === mine) {
        // Same as this parent: the change (if any) came from there; follow only it.
        changed = false;
        follow = [p];
        break;
      }
    }
    if (changed) yield { id, commit, value: mine };
    for (const p of follow) {
      if (seen.has(p)) continue;
      seen.add(p);
      queue.push(p, (await objects.commit(p)).committer.time);
    }
    valueCache.delete(id);
  }
}

const P1 = 1;
const P2 = 2;
const STALE = 4;

/**
 * The lowest common ancestors of two commits (several after criss-cross merges; none for unrelated
 * histories). Walks newest first from both sides, marking which side reached each commit, and stops
 * when every commit still queued is known to be below a common one.
 */
export async function mergeBases(objects: Objects, a: ObjectId, b: ObjectId): Promise<ObjectId[]> {
  if (a === b) return [a];
  const flags = new Map<ObjectId, number>();
  const queue = new CommitQueue();
  const push = async (id: ObjectId, f: number) => {
    flags.set(id, (flags.get(id) ?? 0) | f);
    queue.push(id, (await objects.commit(id)).committer.time);
  };
  await push(a, P1);
  await push(b, P2);
  const result: ObjectId[] = [];
  // How many times each id sits in the queue (it is pushed again when it gains flags).
  const queued = new Map<ObjectId, number>([[a, 1], [b, 1]]);
  const enqueue = async (id: ObjectId, f: number) => {
    await push(id, f);
    queued.set(id, (queued.get(id) ?? 0) + 1);
  };
  while (queue.size > 0) {
    let allStale = true;
    for (const q of queued.keys()) if (((flags.get(q) ?? 0) & STALE) === 0) { allStale = false; break; }
    if (allStale) break;
    const id = queue.pop()!;
    const n = queued.get(id)! - 1;
    if (n === 0) queued.delete(id);
    else queued.set(id, n);
    let f = flags.get(id)!;
    if ((f & (P1 | P2)) === (P1 | P2) && (f & STALE) === 0) {
      if (!result.includes(id)) result.push(id);
      f |= STALE;
      flags.set(id, f);
    }
    const propagate = f & (P1 | P2 | STALE);
    for (const p of (await objects.commit(id)).parents) {
      const pf = flags.get(p) ?? 0;
      if ((pf & propagate) === propagate) continue;
      await enqueue(p, propagate);
    }
  }
  return removeRedundant(objects, result);
}

/** Drops candidates that are ancestors of other candidates. */
async function removeRedundant(objects: Objects, candidates: ObjectId[]): Promise<ObjectId[]> {
  if (candidates.length < 2) return candidates;
  const out: ObjectId[] = [];
  for (const c of candidates) {
    let redundant = false;
    for (const other of candidates) {
      if (other !== c && (await isAncestor(objects, c, other))) { redundant = true; break; }
    }
    if (!redundant) out.push(c);
  }
  return out;
}

/**
 * Whether `ancestor` is reachable from `descendant` (or equal to it). Newest first, so a recent
 * ancestor (a fast-forward) is found in a few steps; a "no" walks all of `descendant`'s history. No
 * cut-off by date: commit times come from clocks (and from imports) that may be anything, and a wrong
 * "no" would refuse a fast-forward or keep a redundant merge base.
 */
export async function isAncestor(objects: Objects, ancestor: ObjectId, descendant: ObjectId): Promise<boolean> {
  if (ancestor === descendant) return true;
  await objects.commit(ancestor); // a missing ancestor is an error, not a "no"
  for await (const { id } of walkCommits(objects, [descendant])) if (id === ancestor) return true;
  return false;
}
