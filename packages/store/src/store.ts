import type { Backend, RefUpdate } from './backend/types.js';
import { StoreError } from './errors.js';
import { formatTz, type Commit, type Person, encodeCommit } from './git/commit-codec.js';
import { isObjectId, type ObjectId } from './git/id.js';
import { utf8 } from './git/bytes.js';
import { diffTrees } from './diff.js';
import { isAncestor, keyHistory, mergeBases, walkCommits } from './history.js';
import { keySegments, keyString, type Key } from './key.js';
import { mergeTrees, type KeyConflict, type Resolutions, type Schema, type TreeMergeResult } from './merge-trees.js';
import { bytesType } from './merge/bytes.js';
import type { ContentType } from './merge/types.js';
import { Objects, type ObjectCacheOptions } from './objects.js';
import { BufferedObjects } from './backend/buffered.js';
import { GroupCommitter, type UpdateResult } from './group-commit.js';
import { branchRef } from './refname.js';
import { EMPTY_TREE_ID, Tree, type EntryKind, type ListEntry } from './tree.js';

export interface Author {
  name: string;
  email: string;
}

/** What a write records in its commit. */
export interface CommitInfo {
  message?: string;
  /** The author, as an object or as git writes it: "Name <mail>". */
  author?: Author | string;
  /** Milliseconds since the epoch; the store's clock when absent. */
  time?: number;
}

export interface WriteOptions extends CommitInfo {
  /** The branch to write to (default "main"). */
  branch?: string;
}

/** Where to read: a branch name or a commit id (default: the default branch). */
export type At = string | { branch: string } | { commit: ObjectId };

export interface StoreOptions {
  /** The content type of the value at each key, which decides how it merges (default: raw bytes). */
  schema?: Schema;
  /** The author of commits whose CommitInfo names none. */
  author?: Author;
  /** Milliseconds since the epoch; injected so tests and simulations control time. */
  clock?: () => number;
  /** The time zone written in commits, in minutes east of UTC (default: the machine's). */
  tzOffsetMinutes?: number;
  /** The branch used when none is named (default "main"). */
  defaultBranch?: string;
  cache?: ObjectCacheOptions;
  /** How many times a write retries when another writer moved the branch first (default 1000). */
  retries?: number;
}

/** One record of a bulk import: a key set to a value (null removes it), with its commit's details. */
export interface ImportRecord extends CommitInfo {
  key: Key;
  value: Uint8Array | string | null;
}

export interface LogEntry {
  id: ObjectId;
  parents: ObjectId[];
  author: Person;
  committer: Person;
  message: string;
  /** For the history of a key: the blob (or tree) id the key had after this commit; undefined if removed. */
  value?: ObjectId | undefined;
}

export interface LogOptions {
  at?: At;
  /** Only commits that changed this key (a value or a subtree). */
  key?: Key;
  /** Page size (default: everything). */
  limit?: number;
  /** Continue after this commit: the `next` of the previous page. */
  after?: ObjectId;
}

export interface LogPage {
  entries: LogEntry[];
  /** Pass as `after` to get the next page; absent on the last page. */
  next?: ObjectId;
}

export type MergeOutcome =
  | { ok: true; kind: 'up-to-date' | 'fast-forward' | 'merge'; commit: ObjectId }
  | { ok: false; conflicts: KeyConflict[] };

export type RevertOutcome = { ok: true; commit: ObjectId } | { ok: false; conflicts: KeyConflict[] };

export type TestAndSetOutcome = { ok: true; commit: ObjectId } | { ok: false; current: Uint8Array | undefined };

/** A value that changed on a watched branch. */
export interface Change {
  branch: string;
  key: string;
  old: Uint8Array | undefined;
  new: Uint8Array | undefined;
  /** The commit the branch moved to (undefined when the branch was deleted). */
  commit: ObjectId | undefined;
}

export interface WatchOptions {
  branch?: string;
  /** Only keys under this prefix. */
  prefix?: Key;
  /** Called when computing a change fails (e.g. a corrupt object); the watch goes on. */
  onError?: (e: unknown) => void;
}

/** An abbreviated object id, as git prints and accepts them: 4 or more hex digits. */
const ABBREVIATED_ID = /^[0-9a-fA-F]{4,40}$/;

const DEFAULT_AUTHOR: Author = { name: 'Nymote', email: 'nymote@localhost' };

/** Parses "Name <mail>" as git writes authors. */
export function parseAuthor(s: string): Author {
  const m = /^\s*([^<>]*?)\s*<([^<>]*)>\s*$/.exec(s);
  if (!m) throw new StoreError('invalid-object', `author "${s}" must look like "Name <mail@example.org>"`, { author: s });
  return { name: m[1]!, email: m[2]! };
}

function equalBytesOrUndefined(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const toBytes = (v: Uint8Array | string) => (typeof v === 'string' ? utf8(v) : v);

/**
 * A versioned key-value store over a Git repository: every write is a commit on a branch, values are
 * typed by a schema that also decides how concurrent changes merge, and any branch or commit can be
 * read as a tree of keys. Works with any Backend (in memory, on disk); the core imports nothing from Node.
 */
export class Store {
  readonly objects: Objects;
  readonly defaultBranch: string;
  private readonly schema: Schema;
  private readonly clock: () => number;
  private readonly retries: number;
  private readonly writers: GroupCommitter;

  constructor(readonly backend: Backend, private readonly options: StoreOptions = {}) {
    this.objects = new Objects(backend.objects, options.cache);
    this.schema = options.schema ?? (() => bytesType as ContentType<unknown>);
    this.clock = options.clock ?? Date.now;
    this.defaultBranch = options.defaultBranch ?? 'main';
    this.retries = options.retries ?? 1000;
    this.writers = new GroupCommitter({ objects: this.objects, backend, retries: this.retries });
  }

  // ---- branches ------------------------------------------------------------------------------

  /** Branch names, sorted. */
  async branches(): Promise<string[]> {
    return [...(await this.backend.refs.list('refs/heads/')).keys()].map((r) => r.slice('refs/heads/'.length));
  }

  /** The commit a branch points at, undefined for a branch with no commits yet. */
  async head(branch: string = this.defaultBranch): Promise<ObjectId | undefined> {
    return this.backend.refs.read(branchRef(branch));
  }

  /** Creates (forks) a branch at another branch's head or at a commit; refuses an existing name. */
  async createBranch(name: string, from: At = this.defaultBranch): Promise<ObjectId> {
    const commit = await this.resolve(from);
    if (commit === undefined) throw new StoreError('not-found', `cannot fork "${name}": ${describeAt(from)} has no commits`, { branch: name });
    if (!(await this.backend.refs.compareAndSwap(branchRef(name), undefined, commit))) {
      throw new StoreError('exists', `branch "${name}" already exists`, { branch: name });
    }
    return commit;
  }

  async deleteBranch(name: string): Promise<void> {
    const ref = branchRef(name);
    for (let i = 0; i < this.retries; i++) {
      const current = await this.backend.refs.read(ref);
      if (current === undefined) throw new StoreError('not-found', `branch "${name}" does not exist`, { branch: name });
      if (await this.backend.refs.compareAndSwap(ref, current, undefined)) return;
    }
    throw new StoreError('conflict', `branch "${name}" kept changing while deleting it`, { branch: name });
  }

  /** Test-and-set of a whole branch: moves it to `next` only if it is at `expected`. */
  async setHead(branch: string, expected: ObjectId | undefined, next: ObjectId | undefined): Promise<boolean> {
    if (next !== undefined) await this.objects.commit(next);
    return this.backend.refs.compareAndSwap(branchRef(branch), expected, next);
  }

  /** The commit a branch name or commit id stands for (undefined: the default branch before its first commit). */
  async resolve(at: At = this.defaultBranch): Promise<ObjectId | undefined> {
    if (typeof at === 'object' && 'commit' in at) {
      return this.objects.peelToCommit(isObjectId(at.commit) ? at.commit : await this.expandCommitId(at.commit));
    }
    const name = typeof at === 'object' ? at.branch : at;
    if (typeof at === 'string' && isObjectId(at)) return this.objects.peelToCommit(at);
    const head = await this.head(name);
    if (head !== undefined) return head;
    // As in git, a branch wins over an abbreviated id that reads the same.
    if (typeof at === 'string' && ABBREVIATED_ID.test(at)) return this.objects.peelToCommit(await this.expandCommitId(at));
    if (name !== this.defaultBranch) throw new StoreError('not-found', `no branch "${name}"`, { branch: name });
    return undefined;
  }

  /** The one commit (or tag of one) whose id starts with `prefix`; git's abbreviated ids. */
  private async expandCommitId(prefix: string): Promise<ObjectId> {
    const lower = prefix.toLowerCase();
    if (!ABBREVIATED_ID.test(lower)) {
      throw new StoreError('not-found', `"${prefix}" is not a commit id (4 to 40 hex digits)`, { commit: prefix });
    }
    const candidates = (await this.backend.objects.findByPrefix?.(lower)) ?? [];
    const commits: ObjectId[] = [];
    for (const id of candidates) {
      const o = await this.backend.objects.read(id);
      if (o?.type === 'commit' || o?.type === 'tag') commits.push(id);
    }
    if (commits.length === 1) return commits[0]!;
    if (commits.length === 0) throw new StoreError('not-found', `no branch or commit "${prefix}"`, { commit: prefix });
    throw new StoreError('ambiguous', `commit id "${prefix}" is ambiguous: ${commits.slice(0, 5).join(', ')}${commits.length > 5 ? ', ...' : ''}`, {
      commit: prefix, candidates: commits,
    });
  }

  // ---- reading -------------------------------------------------------------------------------

  /** An in-memory view of the tree at a branch or commit, to read or to edit and commit. */
  async tree(at: At = this.defaultBranch): Promise<Tree> {
    const commit = await this.resolve(at);
    return Tree.at(this.objects, commit === undefined ? undefined : (await this.objects.commit(commit)).tree);
  }

  async get(key: Key, at?: At): Promise<Uint8Array | undefined> {
    return (await this.tree(at)).get(key);
  }

  /** The value at `key` decoded by its content type (the schema's, or the one given). */
  async read<T>(key: Key, type: ContentType<T> = this.schema(keyString(key)) as ContentType<T>, at?: At): Promise<T | undefined> {
    const bytes = await this.get(key, at);
    if (bytes === undefined) return undefined;
    try {
      return type.decode(bytes);
    } catch (e) {
      throw new StoreError('invalid-object', `value at "${keyString(key)}" is not valid ${type.name}: ${(e as Error).message}`, { key: keyString(key) }, { cause: e });
    }
  }

  async list(prefix: Key = '', at?: At): Promise<ListEntry[]> {
    return (await this.tree(at)).list(prefix);
  }

  async kind(key: Key, at?: At): Promise<EntryKind | undefined> {
    return (await this.tree(at)).kind(key);
  }

  // ---- writing -------------------------------------------------------------------------------

  private person(info: CommitInfo): { author: Person; committer: Person } {
    const a = typeof info.author === 'string' ? parseAuthor(info.author) : info.author ?? this.options.author ?? DEFAULT_AUTHOR;
    const ms = info.time ?? this.clock();
    const tz = formatTz(this.options.tzOffsetMinutes ?? -new Date(ms).getTimezoneOffset());
    const p = { name: a.name, email: a.email, time: Math.floor(ms / 1000), tz };
    const committer = this.options.author ? { ...p, name: this.options.author.name, email: this.options.author.email } : p;
    return { author: p, committer };
  }

  /** The commit of `tree` with these parents, by `info`'s author (or the store's) at its time (or now). */
  private commitOf(tree: ObjectId, parents: ObjectId[], info: CommitInfo): Commit {
    return { tree, parents, ...this.person(info), message: normalizeMessage(info.message ?? 'Update') };
  }

  /** Writes a commit object for `tree` with the given parents; does not move any branch. */
  async writeCommit(tree: ObjectId, parents: ObjectId[], info: CommitInfo): Promise<ObjectId> {
    const c = this.commitOf(tree, parents, info);
    const id = await this.backend.objects.write('commit', encodeCommit(c));
    this.objects.primeCommit(id, c);
    return id;
  }

  /**
   * The write primitive: reads the branch, lets `edit` change a view of its tree, commits the result,
   * and moves the branch only if nobody moved it meanwhile, else starts again with the new head
   * (`edit` must be safe to run again). No commit is made when `edit` changed nothing.
   *
   * Writes to one branch from this process are made in the order they are asked for, and those asked
   * for while one is being stored go to disk together (group-commit.ts): each still gets its own commit.
   * So `edit` runs after the writes asked for before it, sees what they did, and `head` is the commit
   * it builds on. It must not itself wait for another write to the same branch.
   */
  update<R>(edit: (tree: Tree, head: ObjectId | undefined) => Promise<R> | R, options: WriteOptions = {}): Promise<UpdateResult<R>> {
    const branch = options.branch ?? this.defaultBranch;
    return new Promise((resolve, reject) => {
      this.writers.submit(branchRef(branch), branch, {
        edit, resolve, reject,
        commit: (tree, parents) => this.commitOf(tree, parents, options),
      });
    });
  }

  /** Sets one key; returns the new commit (or the head, when the value was already there). */
  async set(key: Key, value: Uint8Array | string, options: WriteOptions = {}): Promise<ObjectId> {
    const k = keyString(key);
    const r = await this.update((t) => t.set(key, toBytes(value)), { message: `Set ${k}`, ...options });
    return r.commit!;
  }

  /** Encodes `value` with its content type and sets it. */
  async write<T>(key: Key, value: T, options: WriteOptions & { type?: ContentType<T> } = {}): Promise<ObjectId> {
    const type = options.type ?? (this.schema(keyString(key)) as ContentType<T>);
    return this.set(key, type.encode(value), options);
  }

  /** Removes a key or a whole subtree; returns the new commit, or undefined when there was nothing to remove. */
  async remove(key: Key, options: WriteOptions = {}): Promise<ObjectId | undefined> {
    const k = keyString(key);
    const r = await this.update((t) => t.remove(key), { message: `Remove ${k}`, ...options });
    return r.result ? r.commit : undefined;
  }

  /**
   * Sets `key` to `next` (undefined removes it) only if it currently holds `expected` (undefined:
   * absent). Atomic across processes: the branch moves by compare-and-swap, retried while other keys change.
   */
  async testAndSet(key: Key, expected: Uint8Array | string | undefined, next: Uint8Array | string | undefined, options: WriteOptions = {}): Promise<TestAndSetOutcome> {
    const exp = expected === undefined ? undefined : toBytes(expected);
    const nxt = next === undefined ? undefined : toBytes(next);
    let current: Uint8Array | undefined;
    const r = await this.update(async (t) => {
      current = await t.get(key);
      if (!equalBytesOrUndefined(current, exp)) return false;
      if (nxt === undefined) await t.remove(key);
      else await t.set(key, nxt);
      return true;
    }, { message: `${nxt === undefined ? 'Remove' : 'Set'} ${keyString(key)}`, ...options });
    return r.result ? { ok: true, commit: r.commit! } : { ok: false, current };
  }

  /**
   * Bulk load, our counterpart of git fast-import: one commit per record, all objects buffered and
   * written together at the end (one packfile on disk), then the branch moves once. Fails with
   * 'conflict', writing no ref, if the branch moved during the import.
   */
  async import(records: AsyncIterable<ImportRecord> | Iterable<ImportRecord>, options: { branch?: string; onProgress?: (commits: number) => void } = {}): Promise<{ commits: number; head: ObjectId | undefined }> {
    const branch = options.branch ?? this.defaultBranch;
    const ref = branchRef(branch);
    const buffered = new BufferedObjects(this.backend.objects);
    const objects = new Objects(buffered);
    const start = await this.backend.refs.read(ref);
    let head = start;
    const tree = await Tree.at(objects, head === undefined ? undefined : (await this.objects.commit(head)).tree);
    let commits = 0;
    for await (const r of records) {
      if (r.value === null) await tree.remove(r.key);
      else await tree.set(r.key, toBytes(r.value));
      const treeId = await tree.write({ cache: false });
      const c: Commit = {
        tree: treeId, parents: head === undefined ? [] : [head], ...this.person(r),
        message: normalizeMessage(r.message ?? `${r.value === null ? 'Remove' : 'Set'} ${keyString(r.key)}`),
      };
      head = await buffered.write('commit', encodeCommit(c));
      commits++;
      options.onProgress?.(commits);
    }
    await buffered.flush();
    if (head !== start && !(await this.backend.refs.compareAndSwap(ref, start, head))) {
      throw new StoreError('conflict', `branch "${branch}" moved during the import; nothing was changed`, { branch });
    }
    return { commits, head };
  }

  // ---- history -------------------------------------------------------------------------------

  /** The commits of a branch (or of one key), newest first, a page at a time. */
  async log(options: LogOptions = {}): Promise<LogPage> {
    const head = await this.resolve(options.at);
    const entries: LogEntry[] = [];
    if (head === undefined) return { entries };
    const limit = options.limit ?? Infinity;
    let skipping = options.after !== undefined;
    const source: AsyncIterable<{ id: ObjectId; commit: Commit; value?: ObjectId | undefined }> =
      options.key !== undefined ? keyHistory(this.objects, head, options.key) : walkCommits(this.objects, [head]);
    for await (const item of source) {
      if (skipping) {
        if (item.id === options.after) skipping = false;
        continue;
      }
      if (entries.length === limit) return { entries, next: entries[entries.length - 1]!.id };
      const c = item.commit;
      const e: LogEntry = { id: item.id, parents: c.parents, author: c.author, committer: c.committer, message: c.message };
      if (options.key !== undefined) e.value = item.value;
      entries.push(e);
    }
    return { entries };
  }

  /** The lowest common ancestors of two branches or commits. */
  async mergeBases(a: At, b: At): Promise<ObjectId[]> {
    const [x, y] = [await this.resolve(a), await this.resolve(b)];
    if (x === undefined || y === undefined) return [];
    return mergeBases(this.objects, x, y);
  }

  async isAncestor(ancestor: ObjectId, descendant: ObjectId): Promise<boolean> {
    return isAncestor(this.objects, ancestor, descendant);
  }

  /**
   * Undoes one commit on a branch with a new commit (so the undo can be undone too): the changes
   * that commit made are reversed, merged with everything since by the value types' merges.
   */
  async revert(commit: ObjectId, options: WriteOptions & { resolutions?: Resolutions } = {}): Promise<RevertOutcome> {
    commit = (await this.resolve({ commit }))!;
    const c = await this.objects.commit(commit);
    const parentTree = c.parents.length ? (await this.objects.commit(c.parents[0]!)).tree : EMPTY_TREE_ID;
    const subject = c.message.split('\n')[0];
    const message = options.message ?? `Revert "${subject}"\n\nThis reverts commit ${commit}.`;
    return this.commitMerged(options.branch, { ...options, message }, async (headTree) =>
      mergeTrees(this.objects, this.schema, c.tree, headTree, parentTree, options.resolutions));
  }

  /** Makes a branch's content equal to an earlier commit's, as a new commit on top (history is kept). */
  async restore(commit: ObjectId, options: WriteOptions = {}): Promise<ObjectId> {
    commit = (await this.resolve({ commit }))!;
    const target = (await this.objects.commit(commit)).tree;
    const r = await this.commitMerged(options.branch, { message: `Restore the state of ${commit}`, ...options }, async () => ({ ok: true, tree: target }));
    if (!r.ok) throw new StoreError('conflict', 'restore cannot conflict');
    return r.commit;
  }

  private async commitMerged(branch: string | undefined, info: CommitInfo, build: (headTree: ObjectId) => Promise<TreeMergeResult>, extraParent?: ObjectId): Promise<RevertOutcome> {
    const ref = branchRef(branch ?? this.defaultBranch);
    for (let attempt = 0; attempt < this.retries; attempt++) {
      const head = await this.backend.refs.read(ref);
      const headTree = head === undefined ? EMPTY_TREE_ID : (await this.objects.commit(head)).tree;
      const r = await build(headTree);
      if (!r.ok) return r;
      const parents = [...(head === undefined ? [] : [head]), ...(extraParent ? [extraParent] : [])];
      const commit = await this.writeCommit(r.tree, parents, info);
      if (await this.backend.refs.compareAndSwap(ref, head, commit)) return { ok: true, commit };
    }
    throw new StoreError('conflict', `branch "${branch ?? this.defaultBranch}" kept moving`, { branch: branch ?? this.defaultBranch });
  }

  // ---- merging -------------------------------------------------------------------------------

  /** Three-way merge of tree ids with the schema's merge functions; writes nothing on conflict. */
  async mergeTrees(base: ObjectId | undefined, ours: ObjectId | undefined, theirs: ObjectId | undefined, resolutions?: Resolutions): Promise<TreeMergeResult> {
    return mergeTrees(this.objects, this.schema, base, ours, theirs, resolutions);
  }

  /**
   * Merges a branch or commit into a branch. Fast-forwards when possible; otherwise merges the trees
   * with their lowest common ancestor as base and commits with both parents. On conflict nothing
   * changes and the conflicts are returned; pass chosen values as `resolutions` to merge again.
   */
  async merge(from: At, options: WriteOptions & { into?: string; resolutions?: Resolutions } = {}): Promise<MergeOutcome> {
    const into = options.into ?? options.branch ?? this.defaultBranch;
    const ref = branchRef(into);
    const theirs = await this.resolve(from);
    if (theirs === undefined) throw new StoreError('not-found', `nothing to merge: ${describeAt(from)} has no commits`, {});
    for (let attempt = 0; attempt < this.retries; attempt++) {
      const ours = await this.backend.refs.read(ref);
      // One walk answers all three cases: ours below theirs (fast-forward), theirs below ours, or a merge.
      const bases: ObjectId[] = ours === undefined ? [] : await mergeBases(this.objects, ours, theirs);
      if (ours === undefined || bases.includes(ours)) {
        if (ours === theirs) return { ok: true, kind: 'up-to-date', commit: ours };
        if (await this.backend.refs.compareAndSwap(ref, ours, theirs)) return { ok: true, kind: 'fast-forward', commit: theirs };
        continue;
      }
      if (bases.includes(theirs)) return { ok: true, kind: 'up-to-date', commit: ours };
      const base = await this.mergeBaseTree(bases);
      const r = await mergeTrees(this.objects, this.schema, base, (await this.objects.commit(ours)).tree, (await this.objects.commit(theirs)).tree, options.resolutions);
      if (!r.ok) return r;
      const message = options.message ?? `Merge ${describeAt(from)} into ${into}`;
      const commit = await this.writeCommit(r.tree, [ours, theirs], { ...options, message });
      if (await this.backend.refs.compareAndSwap(ref, ours, commit)) return { ok: true, kind: 'merge', commit };
    }
    throw new StoreError('conflict', `branch "${into}" kept moving during the merge`, { branch: into });
  }

  /**
   * The tree to use as merge base, given the lowest common ancestors. Several (criss-cross merges)
   * are merged into one virtual base first, as git's recursive strategy does; if that itself
   * conflicts, the virtual base merged so far is used.
   */
  private async mergeBaseTree(bases: readonly ObjectId[], depth = 0): Promise<ObjectId | undefined> {
    if (bases.length === 0) return undefined;
    let tree = (await this.objects.commit(bases[0]!)).tree;
    if (depth > 5) return tree;
    for (let i = 1; i < bases.length; i++) {
      const sub = await this.mergeBaseTree(await mergeBases(this.objects, bases[0]!, bases[i]!), depth + 1);
      const r = await mergeTrees(this.objects, this.schema, sub, tree, (await this.objects.commit(bases[i]!)).tree);
      if (!r.ok) return tree;
      tree = r.tree;
    }
    return tree;
  }

  // ---- watching ------------------------------------------------------------------------------

  /**
   * Calls `listener` for each value that changes on a branch (under a prefix), also when another
   * process commits to the same repository. Changes are delivered in order. Returns a stop function.
   */
  watch(listener: (change: Change) => void, options: WatchOptions = {}): () => void {
    const branch = options.branch ?? this.defaultBranch;
    const ref = branchRef(branch);
    const prefix = options.prefix === undefined ? [] : keySegments(options.prefix, true);
    let chain: Promise<void> = Promise.resolve();
    let stopped = false;
    const onUpdate = (u: RefUpdate) => {
      if (u.name !== ref) return;
      chain = chain.then(async () => {
        if (stopped) return;
        // The entry at the prefix: a subtree to diff, or a single watched value.
        const entryAt = async (c: ObjectId | undefined): Promise<{ tree?: ObjectId; value?: ObjectId }> => {
          if (c === undefined) return {};
          let entry = { mode: '40000', id: (await this.objects.commit(c)).tree };
          for (const s of prefix) {
            if (entry.mode !== '40000') return {};
            const e = (await this.objects.tree(entry.id)).get(s);
            if (!e) return {};
            entry = e;
          }
          return entry.mode === '40000' ? { tree: entry.id } : { value: entry.id };
        };
        const [before, after] = [await entryAt(u.old), await entryAt(u.next)];
        const changes: AsyncIterable<{ key: string; old: ObjectId | undefined; new: ObjectId | undefined }> = diffTrees(this.objects, before.tree, after.tree, prefix.join('/'));
        const single = before.value !== after.value ? [{ key: prefix.join('/'), old: before.value, new: after.value }] : [];
        for await (const d of single.length ? single : changes) {
          if (stopped) return;
          listener({
            branch, key: d.key, commit: u.next,
            old: d.old ? await this.objects.blob(d.old) : undefined,
            new: d.new ? await this.objects.blob(d.new) : undefined,
          });
        }
      }).catch((e) => options.onError?.(e));
    };
    const stop = this.backend.refs.watch(onUpdate);
    return () => {
      stopped = true;
      stop();
    };
  }

  async close(): Promise<void> {
    await this.backend.close();
  }
}

function describeAt(at: At): string {
  if (typeof at === 'string') return at;
  return 'branch' in at ? at.branch : at.commit;
}

/** Git's convention: a message ends with one newline. */
function normalizeMessage(m: string): string {
  return m.endsWith('\n') ? m : m + '\n';
}
