import { StoreError } from './errors.js';
import { hexInto, utf8 } from './git/bytes.js';
import { EMPTY_TREE_ID, type ObjectId } from './git/id.js';
import type { BatchObject } from './backend/types.js';
import { compareEntries, encodeSortedTreeAt, type EncodedTree, type TreeEntry, type TreeMode } from './git/tree-codec.js';
import { joinKey, keySegments, keyString, type Key } from './key.js';
import type { Objects } from './objects.js';
import { entryList, TreeEntryMap, type TreeEntries } from './tree-entries.js';

export { EMPTY_TREE_ID };

const EMPTY_ENTRIES: TreeEntries = new Map();

type Node = StoredNode | BlobNode | DirNode;

/** An object already in the repository, not loaded: a blob or a whole subtree. */
interface StoredNode {
  t: 'stored';
  mode: TreeMode;
  id: ObjectId;
}

/** A value set in memory and not yet written. */
interface BlobNode {
  t: 'blob';
  mode: TreeMode;
  bytes: Uint8Array;
  /** The bytes were made here (a string value encoded): nobody else holds them. */
  own: boolean;
}

/**
 * A directory being edited: the stored entries it started from (shared with the object cache, so
 * never mutated) plus the names changed since (null: removed). `frozen` marks a node shared by two
 * views after clone(): it is copied before being changed. `id` is known while nothing changed.
 */
interface DirNode {
  t: 'dir';
  stored: TreeEntries;
  overrides: Map<string, Node | null>;
  frozen: boolean;
  id: ObjectId | undefined;
}

/** An object Tree.write produced, hashed and named by its path, for the caller to store. */
export type Staged = BatchObject & { id: ObjectId };

/** A directory encoded by write(): its node, id and entries (to prime the tree cache once stored). */
interface Written {
  dir: DirNode;
  /** Where the directory is ('' for the root). */
  path: string;
  id: ObjectId;
  /** The entries in git's order, listed on first use (only trees put in the cache need them). */
  readonly entries: TreeEntry[];
  encoded: EncodedTree;
  /** Values of this directory written as blobs: once stored they become stored nodes (see write()). */
  blobs: { name: string; node: BlobNode; id: ObjectId }[];
}

class WrittenTree implements Written {
  private list: TreeEntry[] | (() => TreeEntry[]);

  constructor(
    readonly dir: DirNode, readonly path: string, readonly id: ObjectId, entries: TreeEntry[] | (() => TreeEntry[]),
    readonly encoded: EncodedTree, readonly blobs: Written['blobs'],
  ) {
    this.list = entries;
  }

  get entries(): TreeEntry[] {
    if (typeof this.list === 'function') this.list = this.list();
    return this.list;
  }
}

/**
 * Trees written by several writes of one view, to be recorded in the tree cache once, the last version
 * at each path (see write()'s `primes`).
 */
export class TreePrimes {
  private readonly byPath = new Map<string, Written>();
  /**
   * Where the trees of these writes that are a stored tree with ids written over get their bytes: one
   * buffer for many, where an array each was most of the cost of encoding them (each commit of a group
   * rewrites the directories on its path). Only the last at each path outlives the writes: apply()
   * gives it bytes of its own, so that the cache holds no part of the shared buffer.
   */
  readonly bytes = new ByteArena();

  add(w: Written): void {
    this.byPath.set(w.path, w);
  }

  /** Records the last tree written at each path in `objects`' tree cache. */
  apply(objects: Objects): void {
    for (const w of this.byPath.values()) {
      const { body, idAt } = w.encoded;
      const own = body.byteLength === body.buffer.byteLength ? w.encoded : { body: body.slice(), idAt };
      objects.primeTree(w.id, w.entries, own);
    }
    this.byPath.clear();
  }
}

/** Bytes of this size hold the copies a ByteArena makes, one buffer after another. */
const ARENA_BYTES = 64 << 10;

/**
 * Copies of small byte arrays carved out of larger buffers, never reused: a copy stays valid for as long
 * as anyone holds it (and with it the buffer it is in).
 */
export class ByteArena {
  private buffer = new Uint8Array(0);
  private used = 0;

  copy(bytes: Uint8Array): Uint8Array {
    const n = bytes.length;
    if (n > ARENA_BYTES >>> 2) return bytes.slice();
    if (this.used + n > this.buffer.length) {
      this.buffer = new Uint8Array(ARENA_BYTES);
      this.used = 0;
    }
    const out = this.buffer.subarray(this.used, this.used + n);
    out.set(bytes);
    this.used += n;
    return out;
  }
}

export type EntryKind = 'value' | 'tree';

/** A key found by walk() or keys(), with its value's blob id (undefined: set in memory, not yet written). */
export interface KeyEntry {
  key: string;
  id: ObjectId | undefined;
}

interface WalkStack {
  nodes: (Node | TreeEntry)[];
  keys: string[];
}

/** Marks a walk's node as a directory to open (it has children, not a value). */
const BRANCH = Symbol('branch');

/**
 * What the walk does with a node, without awaiting: a value's entry, null for a submodule (git's
 * gitlinks are not values), BRANCH for a directory, edited or stored.
 */
function leafOf(n: Node | TreeEntry, key: string): KeyEntry | null | typeof BRANCH {
  if ('t' in n) {
    if (n.t === 'blob') return { key, id: undefined };
    if (n.t === 'dir') return BRANCH;
  }
  const { mode, id } = n as TreeEntry | StoredNode;
  if (isTreeMode(mode)) return BRANCH;
  return mode === '160000' ? null : { key, id };
}

export interface ListEntry {
  name: string;
  kind: EntryKind;
}

const isTreeMode = (m: TreeMode) => m === '40000';
const modeOf = (n: Node): TreeMode => (n.t === 'dir' ? '40000' : n.mode);

/** The node for entry `name` of a stored directory's entries. */
function storedChild(entries: TreeEntries, name: string): Node | undefined {
  const e = entries.get(name);
  return e ? { t: 'stored', mode: e.mode, id: e.id } : undefined;
}

function dirFromStored(stored: TreeEntries, id: ObjectId | undefined): DirNode {
  return { t: 'dir', stored, overrides: new Map(), frozen: false, id };
}

/**
 * A view of the store's content as a tree of keys, held in memory: reads load directories lazily from
 * the object cache, edits copy only the directories on the changed path (structural sharing), and
 * `write` stores just what changed. Views are cheap to clone; changes to one never show in another.
 */
export class Tree {
  private root: DirNode;

  private constructor(private readonly objects: Objects, root: DirNode) {
    this.root = root;
  }

  /** A view of the tree object `id` (undefined: an empty tree). */
  static async at(objects: Objects, id: ObjectId | undefined): Promise<Tree> {
    if (id === undefined || id === EMPTY_TREE_ID) return new Tree(objects, dirFromStored(EMPTY_ENTRIES, id));
    return new Tree(objects, dirFromStored(await objects.tree(id), id));
  }

  static empty(objects: Objects): Tree {
    return new Tree(objects, dirFromStored(EMPTY_ENTRIES, undefined));
  }

  /** An independent copy in O(1): both views share every directory until one of them changes it. */
  clone(): Tree {
    this.root.frozen = true;
    return new Tree(this.objects, this.root);
  }

  // ---- reading -------------------------------------------------------------------------------

  private childOf(dir: DirNode, name: string): Node | undefined {
    const o = dir.overrides.get(name);
    if (o !== undefined) return o ?? undefined;
    return storedChild(dir.stored, name);
  }

  private async asDir(node: Node): Promise<DirNode | undefined> {
    if (node.t === 'dir') return node;
    if (node.t === 'stored' && isTreeMode(node.mode)) return dirFromStored(await this.objects.tree(node.id), node.id);
    return undefined;
  }

  /** The node at a path; undefined when absent or when the path runs through a value. */
  private async find(segs: readonly string[]): Promise<Node | undefined> {
    let node: Node = this.root;
    for (const s of segs) {
      let child: Node | undefined;
      if (node.t === 'dir') child = this.childOf(node, s);
      else if (node.t === 'stored' && isTreeMode(node.mode)) {
        // A directory nobody edited: the name is looked up in its entries, with no DirNode made for it
        // and, when they are cached, no await (reads walk such directories on every call).
        child = storedChild(this.objects.cachedTree(node.id) ?? (await this.objects.tree(node.id)), s);
      } else return undefined;
      if (!child) return undefined;
      node = child;
    }
    return node;
  }

  /** The bytes stored at `key`, or undefined when there is no value there. */
  async get(key: Key): Promise<Uint8Array | undefined> {
    const node = await this.find(keySegments(key));
    if (!node) return undefined;
    if (node.t === 'blob') return node.bytes;
    if (node.t === 'stored' && !isTreeMode(node.mode)) {
      if (node.mode === '160000') return undefined; // a submodule: no content here
      return this.objects.blob(node.id);
    }
    return undefined;
  }

  /** What is at `key`: a value, a (non-empty) tree, or nothing. */
  async kind(key: Key): Promise<EntryKind | undefined> {
    const node = await this.find(keySegments(key, true));
    if (!node) return undefined;
    if (node.t === 'blob' || (node.t === 'stored' && !isTreeMode(node.mode))) return 'value';
    if (node.t === 'dir') return (await this.hasEntries(node)) ? 'tree' : undefined;
    // A stored directory nobody edited: its entries say, with no DirNode made to ask them.
    const entries = this.objects.cachedTree(node.id) ?? (await this.objects.tree(node.id));
    return entries.size > 0 ? 'tree' : undefined;
  }

  /**
   * Whether `dir` holds anything, as entriesOf() would list it: checked without listing and sorting
   * every entry (kind() of a mailbox's directory is asked by every IMAP command that reads it).
   */
  private async hasEntries(dir: DirNode): Promise<boolean> {
    for (const n of dir.overrides.values()) {
      if (n !== null && (n.t !== 'dir' || (await this.hasEntries(n)))) return true;
    }
    for (const name of dir.stored.keys()) if (!dir.overrides.has(name)) return true;
    return false;
  }

  /** The id of the object stored at `key` when it is unchanged since it was read, else undefined. */
  async idOf(key: Key): Promise<ObjectId | undefined> {
    const node = await this.find(keySegments(key, true));
    if (!node || node.t === 'blob') return undefined;
    return node.id;
  }

  private async entriesOf(dir: DirNode): Promise<[string, Node][]> {
    const out: [string, Node][] = [];
    for (const [name, e] of dir.stored) {
      if (!dir.overrides.has(name)) out.push([name, { t: 'stored', mode: e.mode, id: e.id }]);
    }
    for (const [name, n] of dir.overrides) {
      if (n === null) continue;
      // A directory emptied by removals is not a directory any more (git cannot store it).
      if (n.t === 'dir' && (await this.entriesOf(n)).length === 0) continue;
      out.push([name, n]);
    }
    return out.sort(([a, x], [b, y]) => compareEntries({ name: a, mode: modeOf(x), id: '' }, { name: b, mode: modeOf(y), id: '' }));
  }

  /** The names directly under `prefix`, sorted, each a value or a tree. Empty when `prefix` is not a tree. */
  async list(prefix: Key = ''): Promise<ListEntry[]> {
    const node = await this.find(keySegments(prefix, true));
    const dir = node && (await this.asDir(node));
    if (!dir) return [];
    return (await this.entriesOf(dir)).map(([name, n]) => ({
      name,
      kind: n.t === 'dir' || (n.t === 'stored' && isTreeMode(n.mode)) ? 'tree' : 'value',
    }));
  }

  /**
   * Every key under `prefix` (recursively) with its value's blob id when stored, in git's order.
   * Lazy, for trees too big to hold as one list; keys() is faster when the list fits in memory.
   */
  async *walk(prefix: Key = ''): AsyncGenerator<KeyEntry> {
    const pending = await this.walkStart(prefix);
    if (!pending) return;
    while (pending.nodes.length > 0) {
      const n = pending.nodes.pop()!;
      const key = pending.keys.pop()!;
      const leaf = leafOf(n, key);
      if (leaf === BRANCH) await this.pushChildren(n, key, pending);
      else if (leaf) yield leaf;
    }
  }

  /** Every key under `prefix` as walk() gives them, in one array: no promise per key. */
  async keys(prefix: Key = ''): Promise<KeyEntry[]> {
    const out: KeyEntry[] = [];
    const pending = await this.walkStart(prefix);
    if (!pending) return out;
    while (pending.nodes.length > 0) {
      const n = pending.nodes.pop()!;
      const key = pending.keys.pop()!;
      const leaf = leafOf(n, key);
      if (leaf === BRANCH) await this.pushChildren(n, key, pending);
      else if (leaf) out.push(leaf);
    }
    return out;
  }

  /**
   * The walk's stack: two parallel arrays, and stored entries pushed as they are, so a key costs no
   * tuple or node object. Popping gives git's order.
   */
  private async walkStart(prefix: Key): Promise<WalkStack | undefined> {
    const node = await this.find(keySegments(prefix, true));
    return node ? { nodes: [node], keys: [keyString(prefix)] } : undefined;
  }

  /** Pushes a directory's children onto the stack, in reverse so that popping gives git's order. */
  private async pushChildren(n: Node | TreeEntry, key: string, stack: WalkStack): Promise<void> {
    if ('t' in n && n.t === 'dir') {
      const children = await this.entriesOf(n);
      for (let i = children.length - 1; i >= 0; i--) {
        stack.nodes.push(children[i]![1]);
        stack.keys.push(joinKey(key, children[i]![0]));
      }
      return;
    }
    // Stored trees are already in git's order.
    const entries = entryList(await this.objects.tree((n as TreeEntry | StoredNode).id));
    for (let i = entries.length - 1; i >= 0; i--) {
      stack.nodes.push(entries[i]!);
      stack.keys.push(joinKey(key, entries[i]!.name));
    }
  }

  /** A separate view of the subtree at `prefix` (empty when there is none). */
  async subtree(prefix: Key): Promise<Tree> {
    const node = await this.find(keySegments(prefix, true));
    if (node?.t === 'dir') {
      node.frozen = true;
      return new Tree(this.objects, node);
    }
    if (node?.t === 'stored' && isTreeMode(node.mode)) return Tree.at(this.objects, node.id);
    return Tree.empty(this.objects);
  }

  // ---- editing -------------------------------------------------------------------------------

  private copyDir(d: DirNode): DirNode {
    // forEach, not new Map(d.overrides): copying through the iterator made an array per entry, and a
    // group commit copies the directories on its path for every write (each write's rollback point).
    const overrides = new Map<string, Node | null>();
    d.overrides.forEach((n, name) => {
      if (n?.t === 'dir') n.frozen = true;
      overrides.set(name, n);
    });
    return { t: 'dir', stored: d.stored, overrides, frozen: false, id: d.id };
  }

  /**
   * The chain of directories from the root to the parent of `segs`' last segment, each one owned by
   * this view (copied if shared, loaded if stored), created when `create` is set.
   */
  private async ownPath(segs: readonly string[], create: boolean): Promise<DirNode[] | undefined> {
    if (this.root.frozen) this.root = this.copyDir(this.root);
    const chain: DirNode[] = [this.root];
    for (let i = 0; i < segs.length - 1; i++) {
      const parent = chain[chain.length - 1]!;
      const name = segs[i]!;
      const child = this.childOf(parent, name);
      let dir: DirNode;
      if (!child) {
        if (!create) return undefined;
        dir = dirFromStored(EMPTY_ENTRIES, undefined);
      } else if (child.t === 'dir') {
        dir = child.frozen ? this.copyDir(child) : child;
      } else if (child.t === 'stored' && isTreeMode(child.mode)) {
        dir = dirFromStored(await this.objects.tree(child.id), child.id);
      } else {
        const at = segs.slice(0, i + 1).join('/');
        if (!create) return undefined;
        throw new StoreError('type-mismatch', `cannot write under "${at}": it holds a value, not a tree`, { key: at });
      }
      if (dir !== child) parent.overrides.set(name, dir);
      chain.push(dir);
    }
    return chain;
  }

  /** Sets the value at `key` (a string is stored as UTF-8), creating the directories on its path. */
  async set(key: Key, value: Uint8Array | string): Promise<void> {
    const bytes = typeof value === 'string' ? utf8(value) : value;
    const segs = keySegments(key);
    const chain = (await this.ownPath(segs, true))!;
    const parent = chain[chain.length - 1]!;
    const name = segs[segs.length - 1]!;
    const existing = this.childOf(parent, name);
    if (existing && (existing.t === 'dir' || (existing.t === 'stored' && isTreeMode(existing.mode)))) {
      const dir = await this.asDir(existing);
      if (dir && (await this.entriesOf(dir)).length > 0) {
        throw new StoreError('type-mismatch', `cannot set "${segs.join('/')}": it is a tree of keys (remove it first)`, { key: segs.join('/') });
      }
    }
    const mode = existing && existing.t !== 'dir' && !isTreeMode(existing.mode) && existing.mode !== '160000' ? existing.mode : '100644';
    parent.overrides.set(name, { t: 'blob', mode, bytes, own: typeof value === 'string' });
    for (const d of chain) d.id = undefined;
  }

  /** Removes the value or the whole subtree at `key`; true when something was there. */
  async remove(key: Key): Promise<boolean> {
    const segs = keySegments(key);
    if (!(await this.find(segs))) return false;
    const chain = (await this.ownPath(segs, false))!;
    chain[chain.length - 1]!.overrides.set(segs[segs.length - 1]!, null);
    for (const d of chain) d.id = undefined;
    return true;
  }

  /** Puts a stored object (a blob, or a whole tree by id) at `key`; how merges graft subtrees. */
  async setObject(key: Key, mode: TreeMode, id: ObjectId): Promise<void> {
    const segs = keySegments(key);
    const chain = (await this.ownPath(segs, true))!;
    chain[chain.length - 1]!.overrides.set(segs[segs.length - 1]!, { t: 'stored', mode, id });
    for (const d of chain) d.id = undefined;
  }

  // ---- writing -------------------------------------------------------------------------------

  /**
   * Stores every changed directory and value (one batch, so a disk backend can write them together)
   * and returns the root tree's id. Unchanged subtrees are not touched.
   *
   * The written trees are recorded in the tree cache, for the next reader of the commit (the next
   * write on a branch starts from its head). `cache: false` skips that when this view itself goes on
   * being the one edited, as in an import: it keeps its directories in memory anyway. With `stage`,
   * nothing is written: the objects are appended to it and staged in the object cache (Objects.stage),
   * for the caller to store and unstage. With `primes`, the trees are recorded there instead, for the
   * caller to put in the cache once several writes are done (a group commit: of the trees its commits
   * wrote at one path, the next reader wants the last).
   */
  async write(options: { cache?: boolean; stage?: Staged[]; primes?: TreePrimes } = {}): Promise<ObjectId> {
    const batch: Staged[] = [];
    const written: Written[] = [];
    const rootId = this.encodeDir(this.root, batch, written, '', options.primes?.bytes)!;
    if (options.stage) {
      // The caller stores them (with more objects, in one batch); readable meanwhile through the cache.
      this.objects.stage(batch);
      for (const o of batch) options.stage.push(o);
    } else if (batch.length) {
      await this.objects.store.writeBatch(batch);
    }
    const cache = options.cache ?? true;
    for (const w of written) {
      w.dir.id = w.id;
      // A value now stored is referred to by id, so the next write of this directory does not hash
      // it again (an import rewrites the same directories thousands of times). Same content either
      // way, so this is safe even in a directory another view shares.
      for (const b of w.blobs) {
        if (w.dir.overrides.get(b.name) === b.node) w.dir.overrides.set(b.name, { t: 'stored', mode: b.node.mode, id: b.id });
        if (cache) this.objects.primeBlob(b.id, b.node.bytes, b.node.own);
      }
      if (!cache) continue;
      if (options.primes) options.primes.add(w);
      else this.objects.primeTree(w.id, w.entries, w.encoded);
    }
    return rootId;
  }

  /** The root tree's id as it would be written, without writing anything. */
  async hash(): Promise<ObjectId> {
    return this.encodeDir(this.root, [], [], '')!;
  }

  /**
   * Encodes `dir`, stored at `path` ('' for the root; objects carry it as their name, see BatchObject).
   * Synchronous: everything it reads is in memory, and a promise per entry and directory (an await
   * each) only added allocations and microtask turns to every commit.
   */
  private encodeDir(dir: DirNode, batch: Staged[], written: Written[], path: string, arena?: ByteArena): ObjectId | undefined {
    if (dir.id !== undefined) return dir.id;
    const blobs: Written['blobs'] = [];
    const stored = entryList(dir.stored);
    let entries: TreeEntry[] | (() => TreeEntry[]);
    let encoded: EncodedTree | undefined;
    if (keepsOrder(dir)) {
      // Each change replaces or removes an entry: the stored order holds, with no sort (the usual edit
      // of a large directory, one value changed in it).
      const storedMap = dir.stored instanceof TreeEntryMap ? dir.stored : undefined;
      const before = storedMap?.encoded;
      // Each changed entry's new value, and where it stands among the stored ones.
      const changed: (TreeEntry | undefined)[] = [];
      const at: number[] = [];
      let patchable = before !== undefined;
      dir.overrides.forEach((n, name) => {
        const i = storedMap ? storedMap.indexOf(name) : -1;
        const e = n === null ? undefined : this.entryOf(name, n, batch, written, blobs, path, arena);
        changed.push(e);
        at.push(i);
        if (i < 0 || e === undefined || e.mode !== stored[i]!.mode) patchable = false;
      });
      if (patchable) {
        // No entry goes and none changes its mode: the bytes are those of the stored tree (one this
        // process wrote) with the changed ids written over, with no encoding of every name again, and
        // the list of entries is made only if someone asks (the cache, for the last version of a group).
        const body = arena ? arena.copy(before!.body) : before!.body.slice();
        for (let k = 0; k < at.length; k++) hexInto(changed[k]!.id, body, before!.idAt[at[k]!]!);
        encoded = { body, idAt: before!.idAt };
        entries = () => {
          const list = stored.slice();
          for (let k = 0; k < at.length; k++) list[at[k]!] = changed[k]!;
          return list;
        };
      } else {
        const byName = new Map<string, TreeEntry | undefined>();
        let k = 0;
        for (const name of dir.overrides.keys()) byName.set(name, changed[k++]);
        const list: TreeEntry[] = [];
        for (const e of stored) {
          if (!byName.has(e.name)) list.push(e);
          else if (byName.get(e.name) !== undefined) list.push(byName.get(e.name)!);
        }
        entries = list;
      }
    } else {
      const changed: TreeEntry[] = [];
      for (const [name, n] of dir.overrides) {
        const added = n === null ? undefined : this.entryOf(name, n, batch, written, blobs, path, arena);
        if (added) changed.push(added);
      }
      changed.sort(compareEntries);
      // The stored entries are in git's order already: merged with the few changed ones rather than
      // sorted again (a message added to a directory of 500 cost 4,000 comparisons).
      const list: TreeEntry[] = [];
      let j = 0;
      for (const e of stored) {
        if (dir.overrides.has(e.name)) continue;
        while (j < changed.length && compareEntries(changed[j]!, e) < 0) list.push(changed[j++]!);
        list.push(e);
      }
      while (j < changed.length) list.push(changed[j++]!);
      entries = list;
    }
    if (typeof entries !== 'function' && entries.length === 0 && path !== '') return undefined;
    encoded ??= encodeSortedTreeAt(entries as TreeEntry[]);
    const { body } = encoded;
    const id = this.objects.store.hash('tree', body);
    batch.push({ type: 'tree', body, id, name: path });
    written.push(new WrittenTree(dir, path, id, entries, encoded, blobs));
    return id;
  }

  /** The entry `name` gets for node `n` of a directory at `path` being encoded (encoding it first when it is one). */
  private entryOf(
    name: string, n: Node, batch: Staged[], written: Written[], blobs: Written['blobs'], path: string, arena: ByteArena | undefined,
  ): TreeEntry | undefined {
    if (n.t === 'stored') return { name, mode: n.mode, id: n.id };
    if (n.t === 'blob') {
      const id = this.objects.store.hash('blob', n.bytes);
      batch.push({ type: 'blob', body: n.bytes, id, name: joinKey(path, name) });
      blobs.push({ name, node: n, id });
      return { name, mode: n.mode, id };
    }
    const id = this.encodeDir(n, batch, written, joinKey(path, name), arena);
    return id === undefined ? undefined : { name, mode: '40000', id };
  }
}

/**
 * Whether every change to `dir` replaces or removes a stored entry without turning a value into a
 * directory or back: then its entries stay in git's order (which sorts a directory's name as if it
 * ended in '/').
 */
function keepsOrder(dir: DirNode): boolean {
  if (dir.overrides.size > dir.stored.size) return false;
  // forEach: a for-of over the entries made an array per entry.
  let kept = true;
  dir.overrides.forEach((n, name) => {
    const old = kept ? dir.stored.get(name) : undefined;
    if (!old || (n !== null && (old.mode === '40000') !== (n.t === 'dir' || n.mode === '40000'))) kept = false;
  });
  return kept;
}
