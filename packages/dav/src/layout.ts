import { createHash } from 'node:crypto';
import type { Tree } from '@nymote/store';

/** The two kinds of collection, named as their top-level key on a user's branch and in URLs. */
export type Kind = 'calendars' | 'addressbooks';

/** The file of a collection's own properties, next to its resources (a name no resource may take). */
export const COLLECTION_FILE = '.collection.json';

/** What `.collection.json` holds. Unknown ("dead") properties a client sets are kept as text by Clark name. */
export interface CollectionProps {
  displayname?: string;
  description?: string;
  color?: string;
  order?: string;
  timezone?: string;
  /** Calendars only: the component types it accepts (upper case). */
  components?: string[];
  dead?: Record<string, string>;
}

export const DEFAULT_COMPONENTS = ['VEVENT', 'VTODO', 'VJOURNAL'];
export const DEFAULT_COLLECTION = 'default';

export const collectionKey = (kind: Kind, coll: string) => `${kind}/${coll}`;
export const metaKey = (kind: Kind, coll: string) => `${kind}/${coll}/${COLLECTION_FILE}`;
export const resourceKey = (kind: Kind, coll: string, res: string) => `${kind}/${coll}/${res}`;

/** Names the store can hold as one key segment and that are not ours (".collection.json", dot files). */
export function isResourceName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && !name.startsWith('.') && !/[\/\\\u0000-\u001f]/.test(name);
}

export const isCollectionName = isResourceName;

/** The git blob id of `bytes`: the resource's strong ETag, equal to the id the store gives it. */
export function blobId(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

export async function readCollection(tree: Tree, kind: Kind, coll: string): Promise<CollectionProps | undefined> {
  const bytes = await tree.get(metaKey(kind, coll));
  if (!bytes) return undefined;
  try {
    const v = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
    return v && typeof v === 'object' ? (v as CollectionProps) : {};
  } catch {
    return {}; // edited by hand into something else: still a collection, with no properties
  }
}

export function encodeCollection(props: CollectionProps): string {
  const sorted = Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify(sorted, null, 2) + '\n';
}

/** The collections of one kind on the tree, by name. */
export async function listCollections(tree: Tree, kind: Kind): Promise<string[]> {
  if ((await tree.kind(kind)) !== 'tree') return [];
  const out: string[] = [];
  for (const e of await tree.list(kind)) {
    if (e.kind === 'tree' && (await tree.kind(metaKey(kind, e.name))) === 'value') out.push(e.name);
  }
  return out;
}

/** The resources of a collection with their blob ids (ETags), without reading them. */
export async function listResources(tree: Tree, kind: Kind, coll: string): Promise<{ name: string; etag: string }[]> {
  const prefix = collectionKey(kind, coll);
  const out: { name: string; etag: string }[] = [];
  for (const e of await tree.keys(prefix)) {
    const name = e.key.slice(prefix.length + 1);
    if (e.id === undefined || name.includes('/') || !isResourceName(name)) continue;
    out.push({ name, etag: e.id });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
