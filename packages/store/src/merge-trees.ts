import type { ObjectId } from './git/id.js';
import type { RawObject } from './git/object.js';
import { encodeTree, type TreeEntry } from './git/tree-codec.js';
import { joinKey } from './key.js';
import { option } from './merge/option.js';
import type { ContentType } from './merge/types.js';
import type { Objects } from './objects.js';

/** One side of a conflict: a value's bytes, a whole subtree, or nothing (absent or deleted). */
export type ConflictSide = { kind: 'value'; bytes: Uint8Array } | { kind: 'tree'; id: ObjectId } | undefined;

/** A key the merge could not decide, with what each side had, so a caller can choose and retry. */
export interface KeyConflict {
  key: string;
  message: string;
  /** Where inside the value, for structured types (JSON fields, map keys). */
  path: string[];
  base: ConflictSide;
  ours: ConflictSide;
  theirs: ConflictSide;
}

/** Chosen results for conflicting keys: bytes to store, or null to remove the key. */
export type Resolutions = ReadonlyMap<string, Uint8Array | null>;

export type TreeMergeResult = { ok: true; tree: ObjectId } | { ok: false; conflicts: KeyConflict[] };

/** Chooses the content type (and so the merge function) of the value at a key. */
export type Schema = (key: string) => ContentType<unknown>;

const isTree = (e: TreeEntry | undefined) => e?.mode === '40000';
const same = (x: TreeEntry | undefined, y: TreeEntry | undefined) => x?.id === y?.id && x?.mode === y?.mode;

/**
 * Three-way merge of trees. Keys changed on one side only take that side; keys changed on both are
 * merged by their content type. A key that is a value on one side and a subtree on the other, each
 * changed since the base, is a conflict ("value-vs-tree"): neither is silently dropped. Objects are
 * written only when the whole merge succeeds.
 */
export async function mergeTrees(
  objects: Objects,
  schema: Schema,
  base: ObjectId | undefined,
  ours: ObjectId | undefined,
  theirs: ObjectId | undefined,
  resolutions: Resolutions = new Map(),
): Promise<TreeMergeResult> {
  const batch: (RawObject & { id: ObjectId })[] = [];
  const conflicts: KeyConflict[] = [];

  const side = async (e: TreeEntry | undefined): Promise<ConflictSide> => {
    if (!e) return undefined;
    return isTree(e) ? { kind: 'tree', id: e.id } : { kind: 'value', bytes: await objects.blob(e.id) };
  };
  const valueEntry = (name: string, bytes: Uint8Array, mode: TreeEntry['mode'] = '100644'): TreeEntry => {
    const id = objects.store.hash('blob', bytes);
    batch.push({ type: 'blob', body: bytes, id });
    return { name, mode, id };
  };
  /** Applies a caller's resolution for `key`; true when there was one. */
  const resolved = (key: string, name: string, out: TreeEntry[]): boolean => {
    if (!resolutions.has(key)) return false;
    const r = resolutions.get(key);
    if (r) out.push(valueEntry(name, r));
    return true;
  };
  const conflict = async (key: string, message: string, path: string[], b?: TreeEntry, o?: TreeEntry, t?: TreeEntry) => {
    conflicts.push({ key, message, path, base: await side(b), ours: await side(o), theirs: await side(t) });
  };

  const mergeValue = async (key: string, name: string, b: TreeEntry | undefined, o: TreeEntry | undefined, t: TreeEntry | undefined, out: TreeEntry[]) => {
    if (resolved(key, name, out)) return;
    const type = schema(key);
    let decoded: [unknown, unknown, unknown];
    try {
      decoded = [
        b && !isTree(b) ? type.decode(await objects.blob(b.id)) : undefined,
        o ? type.decode(await objects.blob(o.id)) : undefined,
        t ? type.decode(await objects.blob(t.id)) : undefined,
      ];
    } catch (e) {
      await conflict(key, `cannot merge "${key}" as ${type.name}: ${(e as Error).message}`, [], b, o, t);
      return;
    }
    const r = option(type.merge)(...decoded);
    if (!r.ok) {
      const where = r.conflict.path.length ? ` at ${r.conflict.path.join('.')}` : '';
      await conflict(key, `${key}${where}: ${r.conflict.message}`, r.conflict.path, b, o, t);
      return;
    }
    if (r.value !== undefined) out.push(valueEntry(name, type.encode(r.value), o?.mode ?? t?.mode));
  };

  const mergeDir = async (prefix: string, b: ObjectId | undefined, o: ObjectId | undefined, t: ObjectId | undefined, isRoot: boolean): Promise<ObjectId | undefined> => {
    if (o === t) return o;
    if (b === o) return t;
    if (b === t) return o;
    const eb = b ? await objects.tree(b) : new Map<string, TreeEntry>();
    const eo = o ? await objects.tree(o) : new Map<string, TreeEntry>();
    const et = t ? await objects.tree(t) : new Map<string, TreeEntry>();
    const out: TreeEntry[] = [];
    for (const name of new Set([...eb.keys(), ...eo.keys(), ...et.keys()])) {
      const [xb, xo, xt] = [eb.get(name), eo.get(name), et.get(name)];
      const key = joinKey(prefix, name);
      if (same(xo, xt)) { if (xo) out.push(xo); continue; }
      if (same(xb, xo)) { if (xt) out.push(xt); continue; }
      if (same(xb, xt)) { if (xo) out.push(xo); continue; }
      // Changed on both sides.
      const oTree = isTree(xo), tTree = isTree(xt);
      if ((oTree || !xo) && (tTree || !xt)) {
        const id = await mergeDir(key, isTree(xb) ? xb!.id : undefined, xo?.id, xt?.id, false);
        if (id !== undefined) out.push({ name, mode: '40000', id });
      } else if (!oTree && !tTree) {
        await mergeValue(key, name, xb, xo, xt, out);
      } else if (!resolved(key, name, out)) {
        await conflict(key, `${key}: a value on one side and a tree of keys on the other, both changed`, [], xb, xo, xt);
      }
    }
    if (out.length === 0 && !isRoot) return undefined;
    const body = encodeTree(out);
    const id = objects.store.hash('tree', body);
    batch.push({ type: 'tree', body, id });
    return id;
  };

  let root = await mergeDir('', base, ours, theirs, true);
  if (conflicts.length) return { ok: false, conflicts };
  if (root === undefined) {
    const body = encodeTree([]);
    root = objects.store.hash('tree', body);
    batch.push({ type: 'tree', body, id: root });
  }
  if (batch.length) await objects.store.writeBatch(batch);
  return { ok: true, tree: root };
}
