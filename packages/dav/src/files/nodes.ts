import type { Tree } from '@nymote/store';
import { filesHref } from '../paths.js';
import type { Node } from '../properties.js';
import { listFolder, readFolder, stat, type FileRecord, type FolderRecord, type Stat } from './layout.js';

const folderNode = (user: string, path: string[], record: FolderRecord): Node => ({
  target: { type: 'files', user, path },
  href: filesHref(user, path, true),
  file: { folder: true, ...(record.created !== undefined ? { created: record.created } : {}), ...(record.dead ? { dead: record.dead } : {}) },
});

const fileNode = (user: string, path: string[], etag: string, record: FileRecord | undefined): Node => ({
  target: { type: 'files', user, path },
  href: filesHref(user, path, false),
  etag,
  file: { folder: false, ...record },
});

/** The home of a user's files, as the root's listing shows it. */
export const filesHomeNode = (user: string): Node => folderNode(user, [], {});

/** The node at `path` on the tree (what is known of it from its folder's record), or undefined. */
export async function nodeAt(tree: Tree, user: string, path: string[], known?: Stat): Promise<Node | undefined> {
  const s = known ?? (await stat(tree, path));
  if (!s) return undefined;
  if (s.kind === 'folder') return folderNode(user, path, await readFolder(tree, path));
  const parent = await readFolder(tree, path.slice(0, -1));
  return fileNode(user, path, s.etag, parent.files?.[path[path.length - 1]!]);
}

/** The members of the folder `path`; with `deep`, theirs too (PROPFIND Depth: infinity), parents first. */
export async function membersOf(tree: Tree, user: string, path: string[], deep: boolean): Promise<Node[]> {
  const record = await readFolder(tree, path);
  const out: Node[] = [];
  for (const e of await listFolder(tree, path)) {
    const p = [...path, e.name];
    if (e.kind === 'file') {
      out.push(fileNode(user, p, e.etag!, record.files?.[e.name]));
      continue;
    }
    out.push(folderNode(user, p, await readFolder(tree, p)));
    if (deep) out.push(...(await membersOf(tree, user, p, true)));
  }
  return out;
}
