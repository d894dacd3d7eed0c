// What we tell a remote we already have, so it can leave those objects out of the pack.
import type { Objects } from '../objects.js';
import type { ObjectId } from '../git/id.js';
import { isStoreError } from '../errors.js';

/** Enough for the remote to find a common commit in all but odd cases, small enough for one request. */
const MAX_HAVES = 256;

/**
 * Commits to send as "have": the tips first (the remote-tracking refs usually name a commit the
 * remote has), then their ancestors newest first. One stateless round: a have the remote lacks costs
 * nothing but a line, and a common commit missed only makes the pack bigger, never wrong.
 */
export async function chooseHaves(objects: Objects, tips: Iterable<ObjectId>, max = MAX_HAVES): Promise<ObjectId[]> {
  const out: ObjectId[] = [];
  const seen = new Set<ObjectId>();
  const queue: { id: ObjectId; time: number }[] = [];
  const visit = async (id: ObjectId): Promise<void> => {
    if (seen.has(id)) return;
    seen.add(id);
    try {
      const c = await objects.commit(id);
      queue.push({ id, time: c.committer.time });
    } catch (e) {
      // A tag, a missing object (a shallow or broken repository): not a commit to walk from.
      if (!isStoreError(e)) throw e;
    }
  };
  // Every tip first, whatever its age: a remote-tracking ref is the likeliest common commit of all.
  for (const t of tips) await visit(t);
  const sent = new Set<ObjectId>();
  for (const q of queue) if (out.length < max) {
    out.push(q.id);
    sent.add(q.id);
  }
  while (queue.length > 0 && out.length < max) {
    let best = 0;
    for (let i = 1; i < queue.length; i++) if (queue[i]!.time > queue[best]!.time) best = i;
    const { id } = queue.splice(best, 1)[0]!;
    if (!sent.has(id)) out.push(id);
    for (const p of (await objects.commit(id)).parents) await visit(p);
  }
  return out;
}
