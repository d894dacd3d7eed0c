import type { Tree } from '@nymote/store';
import { COLLECTION_FILE, isResourceName } from '../layout.js';
import type { OutElement } from '../xml.js';

/** The key prefix of the file area on a user's branch: /dav/files/NAME/a/b.txt is `files/a/b.txt`. */
export const FILES_KEY = 'files';

/**
 * A dead property's value: plain text, or the XML elements a client put inside it (kept as elements
 * so that a value such as `<x:href>…</x:href>` comes back as it was set, namespaces included).
 */
export type DeadValue = string | OutElement[];
export type DeadProps = Record<string, DeadValue>;

/** What is kept of one file besides its bytes. Dates are RFC 3339 (UTC). */
export interface FileRecord {
  /** The Content-Type of the PUT that wrote it, returned by GET and getcontenttype. */
  type?: string;
  created?: string;
  modified?: string;
  dead?: DeadProps;
}

/**
 * A folder's `.collection.json`: its own creation date and dead properties, and the records of the
 * files directly in it by name.
 *
 * The file is the folder's marker (git keeps no empty trees, and an empty folder must survive), so it
 * exists anyway; putting the files' records there too keeps the listing to one extra name per folder
 * (a sidecar per file would double the entries), and a folder moved or copied by re-linking its tree
 * takes everything about its files along. Names starting with '.' are never files, so no file can
 * collide with it. The home (`files/` itself) always exists, and gets the file when it first has
 * something to keep.
 */
export interface FolderRecord {
  created?: string;
  dead?: DeadProps;
  files?: Record<string, FileRecord>;
}

export const folderKey = (path: readonly string[]) => [FILES_KEY, ...path].join('/');
export const fileKey = folderKey;
export const markerKey = (path: readonly string[]) => [FILES_KEY, ...path, COLLECTION_FILE].join('/');

/**
 * Whether a name can be a file or folder: what a calendar resource may be called (no '.' start, so
 * never our marker), and not "git~1", which git fsck takes for ".git" as Windows spells it.
 */
export function isFileName(name: string): boolean {
  return isResourceName(name) && name.toLowerCase() !== 'git~1';
}

/** The path as a commit message or an error names it: "a/b.txt", or "/" for the home. */
export const showPath = (path: readonly string[]) => (path.length === 0 ? '/' : path.join('/'));

export const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** What a path names on the tree: a folder, a file (with its blob id), or nothing. */
export type Stat = { kind: 'folder' } | { kind: 'file'; etag: string } | undefined;

export async function stat(tree: Tree, path: readonly string[]): Promise<Stat> {
  if (path.length === 0) return { kind: 'folder' };
  if (!path.every(isFileName)) return undefined;
  const key = folderKey(path);
  const kind = await tree.kind(key);
  if (kind === 'tree') return { kind: 'folder' };
  if (kind === 'value') return { kind: 'file', etag: (await tree.idOf(key))! };
  return undefined;
}

export async function readFolder(tree: Tree, path: readonly string[]): Promise<FolderRecord> {
  const bytes = await tree.get(markerKey(path));
  if (!bytes) return {};
  try {
    const v = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as FolderRecord) : {};
  } catch {
    return {}; // edited by hand into something else: still a folder, with nothing known of it
  }
}

function sortKeys<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}

/**
 * Writes a folder's record. `files` and `dead` are written even when empty, and the marker is kept
 * when there is nothing in it: `nymote dav undo` merges a .json value field by field, and a field
 * or file that one change adds and another removes merges only if the object holding it exists on
 * both sides (undoing the first of two PUTs in a folder takes out one file's record, not the map).
 */
export async function writeFolder(tree: Tree, path: readonly string[], record: FolderRecord): Promise<void> {
  const files = Object.fromEntries(Object.entries(record.files ?? {}).map(([n, f]) => [n, sortKeys({ ...f, dead: f.dead ?? {} })]));
  const clean = sortKeys({ ...record, files: sortKeys(files), dead: record.dead ?? {} });
  await tree.set(markerKey(path), JSON.stringify(clean, null, 2) + '\n');
}

/**
 * Makes sure the folder `path` has its marker: a folder that came without one (written by git directly)
 * would otherwise vanish with its last member.
 */
export async function keepFolder(tree: Tree, path: readonly string[]): Promise<void> {
  if (path.length > 0 && (await tree.kind(markerKey(path))) === undefined && (await tree.kind(folderKey(path))) === 'tree') await writeFolder(tree, path, {});
}

/** Changes the record of the file `path` in its folder's marker (undefined from `change`: forget it). */
export async function updateFileRecord(tree: Tree, path: readonly string[], change: (r: FileRecord | undefined) => FileRecord | undefined): Promise<void> {
  const parent = path.slice(0, -1);
  const name = path[path.length - 1]!;
  const folder = await readFolder(tree, parent);
  const files = { ...(folder.files ?? {}) };
  const next = change(files[name]);
  if (next === undefined) delete files[name];
  else files[name] = next;
  await writeFolder(tree, parent, { ...folder, files });
}

/** The entries of a folder, by name: its files with their blob ids and its subfolders. */
export async function listFolder(tree: Tree, path: readonly string[]): Promise<{ name: string; kind: 'folder' | 'file'; etag?: string }[]> {
  const key = folderKey(path);
  const out: { name: string; kind: 'folder' | 'file'; etag?: string }[] = [];
  for (const e of await tree.list(key)) {
    if (!isFileName(e.name)) continue;
    if (e.kind === 'tree') out.push({ name: e.name, kind: 'folder' });
    else out.push({ name: e.name, kind: 'file', etag: (await tree.idOf(`${key}/${e.name}`))! });
  }
  return out;
}
