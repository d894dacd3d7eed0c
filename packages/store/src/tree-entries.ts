import { compareEntries, type EncodedTree, type TreeEntry } from './git/tree-codec.js';

/** A parsed tree: entries by name, iterated in git's order. Shared between readers, so never mutated. */
export type TreeEntries = ReadonlyMap<string, TreeEntry>;

/**
 * The entries of a tree as decoded (an array in git's order). A name is looked up by binary search in
 * that order; the index by name is built only when a search misses (an absent name, or a tree some
 * other tool stored out of order, where only the index finds everything). A listing or walk reads each
 * directory once and only iterates it: building a Map of every entry was a fifth of the time of a cold
 * listing of 10,000 keys. And every commit makes new versions of the directories on its path, which
 * the next commit looks a name or two up in: a Map for each cost more than the edit.
 */
export class TreeEntryMap implements TreeEntries {
  private index: Map<string, TreeEntry> | undefined;

  /** `encoded`: the tree's bytes, for a tree this process wrote (see Tree.write: the next version patches them). */
  constructor(readonly list: readonly TreeEntry[], readonly encoded?: EncodedTree) {}

  get size(): number {
    return this.list.length;
  }

  get(name: string): TreeEntry | undefined {
    if (this.index !== undefined) return this.index.get(name);
    return this.search(name, false) ?? this.search(name, true) ?? this.byName().get(name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  forEach(fn: (value: TreeEntry, key: string, map: ReadonlyMap<string, TreeEntry>) => void, thisArg?: unknown): void {
    for (const e of this.list) fn.call(thisArg, e, e.name, this);
  }

  *entries(): IterableIterator<[string, TreeEntry]> {
    for (const e of this.list) yield [e.name, e];
  }

  *keys(): IterableIterator<string> {
    for (const e of this.list) yield e.name;
  }

  values(): IterableIterator<TreeEntry> {
    return this.list[Symbol.iterator]();
  }

  [Symbol.iterator](): IterableIterator<[string, TreeEntry]> {
    return this.entries();
  }

  /** Where entry `name` is in the list, or -1 (absent, or not found by search in a tree out of order). */
  indexOf(name: string): number {
    const i = this.at(name, false);
    return i >= 0 ? i : this.at(name, true);
  }

  /** The entry `name` where git's order puts a value (or, with `dir`, a directory) of that name. */
  private search(name: string, dir: boolean): TreeEntry | undefined {
    const i = this.at(name, dir);
    return i >= 0 ? this.list[i] : undefined;
  }

  /** Where git's order puts a value (or, with `dir`, a directory) named `name` in the list, if it is there; else -1. */
  private at(name: string, dir: boolean): number {
    const probe: TreeEntry = { name, mode: dir ? '40000' : '100644', id: '' };
    const list = this.list;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareEntries(list[mid]!, probe);
      if (c === 0) return list[mid]!.name === name ? mid : -1;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private byName(): Map<string, TreeEntry> {
    if (this.index === undefined) {
      this.index = new Map();
      for (const e of this.list) this.index.set(e.name, e);
    }
    return this.index;
  }
}

/** The entries in git's order as an array, without copying when they are held as one. */
export function entryList(entries: TreeEntries): readonly TreeEntry[] {
  return entries instanceof TreeEntryMap ? entries.list : [...entries.values()];
}
