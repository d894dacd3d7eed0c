import type { ObjectId } from './git/id.js';
import type { TreeEntry } from './git/tree-codec.js';
import { joinKey } from './key.js';
import type { Objects } from './objects.js';
import { entryList, TreeEntryMap } from './tree-entries.js';

export interface ValueChange {
  key: string;
  /** Blob id before (undefined: the key was absent). */
  old: ObjectId | undefined;
  /** Blob id after (undefined: the key was removed). */
  new: ObjectId | undefined;
}

const isTree = (e: TreeEntry | undefined) => e?.mode === '40000';
const NO_ENTRIES = new TreeEntryMap([]);

/**
 * Whether two entry lists hold the same names at the same places, in JavaScript's string order (git's
 * order differs only where a directory's name is a prefix of another name): then entry i of one pairs
 * with entry i of the other, with no union of the names built and sorted, and no index by name made.
 * That is the usual case, a directory in which a few values changed.
 */
function sameNamesInOrder(a: readonly TreeEntry[], b: readonly TreeEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const name = a[i]!.name;
    if (name !== b[i]!.name || (i > 0 && !(a[i - 1]!.name < name))) return false;
  }
  return true;
}

/**
 * The values that differ between two trees, key by key, in the order of their names. Subtrees with
 * equal ids are skipped without being read, so the cost follows the size of the change, not of the trees.
 */
export async function* diffTrees(objects: Objects, a: ObjectId | undefined, b: ObjectId | undefined, prefix = ''): AsyncGenerator<ValueChange> {
  if (a === b) return;
  const ea = a ? await objects.tree(a) : NO_ENTRIES;
  const eb = b ? await objects.tree(b) : NO_ENTRIES;
  const la = entryList(ea);
  const lb = entryList(eb);
  const paired = sameNamesInOrder(la, lb);
  const names = paired ? undefined : [...new Set([...ea.keys(), ...eb.keys()])].sort();
  const count = names === undefined ? la.length : names.length;
  for (let i = 0; i < count; i++) {
    const name = names === undefined ? la[i]!.name : names[i]!;
    const x = names === undefined ? la[i] : ea.get(name);
    const y = names === undefined ? lb[i] : eb.get(name);
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
