import type { Backend } from './backend/types.js';
import { decodeCommit, decodeTagTarget } from './git/commit-codec.js';
import type { ObjectId } from './git/id.js';
import { decodeTree } from './git/tree-codec.js';

export interface FsckProblem {
  id: ObjectId | undefined;
  /** The ref through which the object was reached ('' for a problem found in a file, not via a ref). */
  ref: string;
  /** The file at fault, for problems of a container such as a pack. */
  file?: string;
  message: string;
}

export interface FsckReport {
  objects: number;
  refs: number;
  problems: FsckProblem[];
}

/**
 * Checks the backend's containers (packs: checksums, CRCs), then every object reachable from every
 * ref: present, of the expected type, hashing to its id, and parseable. Reads only; reports each problem with the object and ref at fault.
 */
export async function fsck(backend: Backend, options: { onProgress?: (objects: number) => void } = {}): Promise<FsckReport> {
  const refs = await backend.refs.list('refs/');
  const seen = new Set<ObjectId>();
  const problems: FsckProblem[] = [];
  for (const p of (await backend.objects.verifyStorage?.()) ?? []) problems.push({ id: undefined, ref: '', ...p });
  for (const [ref, tip] of refs) {
    const stack: [ObjectId, 'commit' | 'tree' | 'blob' | 'any'][] = [[tip, 'any']];
    while (stack.length) {
      const [id, expected] = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      if (seen.size % 10_000 === 0) options.onProgress?.(seen.size);
      try {
        const o = await backend.objects.read(id);
        if (!o) { problems.push({ id, ref, message: `missing ${expected === 'any' ? 'object' : expected} ${id}` }); continue; }
        if (expected !== 'any' && o.type !== expected) { problems.push({ id, ref, message: `${id} is a ${o.type}, expected a ${expected}` }); continue; }
        const actual = backend.objects.hash(o.type, o.body);
        if (actual !== id) { problems.push({ id, ref, message: `${o.type} ${id} hashes to ${actual}` }); continue; }
        if (o.type === 'commit') {
          const c = decodeCommit(o.body, id);
          stack.push([c.tree, 'tree']);
          for (const p of c.parents) stack.push([p, 'commit']);
        } else if (o.type === 'tree') {
          for (const e of decodeTree(o.body, id)) {
            if (e.mode === '160000') continue;
            stack.push([e.id, e.mode === '40000' ? 'tree' : 'blob']);
          }
        } else if (o.type === 'tag') {
          stack.push([decodeTagTarget(o.body, id).object, 'any']);
        }
      } catch (e) {
        problems.push({ id, ref, message: (e as Error).message });
      }
    }
  }
  return { objects: seen.size, refs: refs.size, problems };
}
