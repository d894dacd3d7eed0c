import { concat, fromHex, fromUtf8, toHex, utf8 } from './bytes.js';
import type { ObjectId } from './id.js';
import { StoreError } from '../errors.js';

/** Git's file modes, as git writes them in trees (no leading zero for directories). */
export type TreeMode = '100644' | '100755' | '120000' | '40000' | '160000';

export interface TreeEntry {
  name: string;
  mode: TreeMode;
  id: ObjectId;
}

const MODES: ReadonlySet<string> = new Set(['100644', '100755', '120000', '40000', '160000']);

export function isTreeMode(m: string): m is TreeMode {
  return MODES.has(m);
}

/** Whether a name may be a tree entry: git's fsck refuses empty names, '.', '..', '.git' and names with '/' or NUL. */
export function isValidEntryName(name: string): boolean {
  return (
    name.length > 0 && name !== '.' && name !== '..' && name.toLowerCase() !== '.git' &&
    !name.includes('/') && !name.includes('\0')
  );
}

function sortKey(e: TreeEntry): Uint8Array {
  return utf8(e.mode === '40000' ? e.name + '/' : e.name);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Git's entry order: by the bytes of the name, a directory's name compared as if it ended in '/'. */
export function compareEntries(a: TreeEntry, b: TreeEntry): number {
  return compareBytes(sortKey(a), sortKey(b));
}

export function encodeTree(entries: readonly TreeEntry[]): Uint8Array {
  const sorted = [...entries].sort(compareEntries);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i]!;
    if (!isValidEntryName(e.name)) {
      throw new StoreError('invalid-object', `tree entry name "${e.name}" is not allowed`, { name: e.name });
    }
    if (i > 0 && sorted[i - 1]!.name === e.name) {
      throw new StoreError('invalid-object', `tree has two entries named "${e.name}"`, { name: e.name });
    }
    parts.push(utf8(`${e.mode} ${e.name}\0`), fromHex(e.id));
  }
  return concat(parts);
}

export function decodeTree(body: Uint8Array, id = '?'): TreeEntry[] {
  const out: TreeEntry[] = [];
  let i = 0;
  while (i < body.length) {
    const sp = body.indexOf(0x20, i);
    const nul = body.indexOf(0, sp + 1);
    if (sp < 0 || nul < 0 || nul + 21 > body.length) {
      throw new StoreError('invalid-object', `tree ${id}: truncated entry at byte ${i}`, { id });
    }
    let mode = fromUtf8(body.subarray(i, sp));
    // Old git wrote some modes with extra bits (100664); fsck tolerates them, so reading must too.
    if (mode === '040000') mode = '40000';
    if (!isTreeMode(mode)) mode = mode.startsWith('10') ? '100644' : mode;
    if (!isTreeMode(mode)) throw new StoreError('invalid-object', `tree ${id}: bad mode "${mode}"`, { id });
    out.push({ mode, name: fromUtf8(body.subarray(sp + 1, nul)), id: toHex(body, nul + 1, nul + 21) });
    i = nul + 21;
  }
  return out;
}
