import type { ObjectId } from './git/id.js';
import type { TreeEntry } from './git/tree-codec.js';
import { joinKey } from './key.js';
import type { Objects } from './objects.js';

export interface ValueChange {
  key: string;
  /** Blob id before (undefined: the key was absent). */
  old: ObjectId | undefined;
  /** Blob id after (undefined: the key was removed). */
  new: ObjectId | undefined;
}

const isTree = (e: TreeEntry | undefined) => e?.mode === '40000';

/**
 * The values that differ between two trees, key by key. Subtrees with equal ids are skipped without
 * being read, so the cost follows the size of the change, not of the trees.
 */
export async function* diffTrees(objects: Objects, a: ObjectId | undefined, b: ObjectId | undefined, prefix = ''): AsyncGenerator<ValueChange> {
  if (a === b) return;
  const ea = a ? await objects.tree(a) : new Map<string, TreeEntry>();
  const eb = b ? await objects.tree(b) : new Map<string, TreeEntry>();
  const names = [...new Set([...ea.keys(), ...eb.keys()])].sort();
  for (const name of names) {
    const x = ea.get(name);
    const y = eb.get(name);
    if (x?.id === y?.id && x?.mode === y?.mode) continue;
    const key = joinKey(prefix, name);
    const xTree = isTree(x);
    const yTree = isTree(y);
    if (xTree || yTree) yield* diffTrees(objects, xTree ? x!.id : undefined, yTree ? y!.id : undefined, key);
    const xVal = x && !xTree && x.mode !== '160000' ? x.id : undefined;
    const yVal = y && !yTree && y.mode !== '160000' ? y.id : undefined;
    if (xVal !== yVal) yield { key, old: xVal, new: yVal };
  }
}
