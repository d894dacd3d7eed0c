import { fromUtf8, hexDigitsInto, hexInto } from './bytes.js';
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
    name.length > 0 && name !== '.' && name !== '..' && (name.length !== 4 || name.toLowerCase() !== '.git') &&
    !name.includes('/') && !name.includes('\0')
  );
}

/** The code unit that follows a name in git's order: '/' for a directory, nothing (-1) for a file. */
const end = (e: TreeEntry) => (e.mode === '40000' ? 0x2f : -1);

/**
 * Git's entry order: by the bytes of the name, a directory's name compared as if it ended in '/'.
 * Runs on every commit, so it compares code units in place without building strings. UTF-16 order
 * equals UTF-8 byte order except that surrogates (characters above U+FFFF) sort after U+E000–U+FFFF.
 */
export function compareEntries(a: TreeEntry, b: TreeEntry): number {
  const an = a.name;
  const bn = b.name;
  const n = Math.min(an.length, bn.length);
  for (let i = 0; i < n; i++) {
    const x = an.charCodeAt(i);
    const y = bn.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs && !ys && y >= 0xe000) return 1;
    if (ys && !xs && x >= 0xe000) return -1;
    return x - y;
  }
  const x = an.length > n ? an.charCodeAt(n) : end(a);
  const y = bn.length > n ? bn.charCodeAt(n) : end(b);
  return x - y;
}

/** Bytes of a string in UTF-8, without encoding it. */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return n;
}

const encoder = new TextEncoder();

/** Encodes entries in git's order into one buffer: "<mode> <name>\0<20-byte id>" each. */
export function encodeTree(entries: readonly TreeEntry[]): Uint8Array {
  return encodeSortedTree([...entries].sort(compareEntries));
}

/**
 * A tree's bytes with where each entry's 20-byte id starts in them: a tree that differs from it only in
 * the ids of some entries (same names, same modes) is this body with those ids written over.
 */
export interface EncodedTree {
  body: Uint8Array;
  idAt: Int32Array;
}

/** encodeSortedTree, with the offset of each entry's id (see EncodedTree). */
export function encodeSortedTreeAt(sorted: readonly TreeEntry[]): EncodedTree {
  const idAt = new Int32Array(sorted.length);
  return { body: encodeSortedTree(sorted, idAt), idAt };
}

/**
 * encodeTree of entries already in git's order (compareEntries): the caller sorted them, and keeps them.
 * `idAt`, when given, receives the offset of each entry's id.
 */
export function encodeSortedTree(sorted: readonly TreeEntry[], idAt?: Int32Array): Uint8Array {
  let size = 0;
  let ascii = true;
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i]!;
    if (!isValidEntryName(e.name)) {
      throw new StoreError('invalid-object', `tree entry name "${e.name}" is not allowed`, { name: e.name });
    }
    if (i > 0 && sorted[i - 1]!.name === e.name) {
      throw new StoreError('invalid-object', `tree has two entries named "${e.name}"`, { name: e.name });
    }
    const bytes = utf8Length(e.name);
    if (bytes !== e.name.length) ascii = false;
    size += e.mode.length + 1 + bytes + 1 + 20;
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (let i = 0; i < sorted.length; i++) {
    const { mode, name, id } = sorted[i]!;
    for (let j = 0; j < mode.length; j++) out[o++] = mode.charCodeAt(j);
    out[o++] = 0x20;
    // Names are nearly always ASCII: copied code unit by code unit, without an encoder call each.
    if (ascii) for (let j = 0; j < name.length; j++) out[o++] = name.charCodeAt(j);
    else o += encoder.encodeInto(name, out.subarray(o)).written;
    out[o++] = 0;
    if (idAt) idAt[i] = o;
    hexInto(id, out, o);
    o += 20;
  }
  return out;
}

const FILE_MODES = ['100644', '100755', '120000', '160000'] as const;

function asciiAt(body: Uint8Array, at: number, s: string): boolean {
  for (let k = 0; k < s.length; k++) if (body[at + k] !== s.charCodeAt(k)) return false;
  return true;
}

/** The mode of a tree entry, read without decoding a string for the usual ones. */
function decodeMode(body: Uint8Array, start: number, end: number, id: string): TreeMode {
  const n = end - start;
  // "100644", "100755", "120000", "160000" and "40000", told apart by the bytes that differ.
  if (n === 5 && body[start] === 0x34 && body[start + 1] === 0x30) {
    if (body[start + 2] === 0x30 && body[start + 3] === 0x30 && body[start + 4] === 0x30) return '40000';
  } else if (n === 6) {
    for (const m of FILE_MODES) if (asciiAt(body, start, m)) return m;
  }
  let mode = fromUtf8(body.subarray(start, end));
  // Old git wrote some modes with extra bits (100664); fsck tolerates them, so reading must too.
  if (mode === '040000') mode = '40000';
  if (!isTreeMode(mode)) mode = mode.startsWith('10') ? '100644' : mode;
  if (!isTreeMode(mode)) throw new StoreError('invalid-object', `tree ${id}: bad mode "${mode}"`, { id });
  return mode;
}

/** Smallest possible entry: a 5-byte mode, a space, a 1-byte name, a NUL and a 20-byte id. */
const MIN_ENTRY_BYTES = 28;

/** Two buffers reused by every decodeTree (it never awaits, so calls cannot interleave), grown as needed. */
const scratchBuffers = [new Uint8Array(4096), new Uint8Array(4096)];

/** Above this a tree gets buffers of its own, so that one huge tree does not stay in memory. */
const MAX_SCRATCH = 1 << 20;

function scratch(which: 0 | 1, size: number): Uint8Array {
  if (size > MAX_SCRATCH) return new Uint8Array(size);
  if (scratchBuffers[which]!.length < size) scratchBuffers[which] = new Uint8Array(Math.min(MAX_SCRATCH, Math.max(size, 2 * scratchBuffers[which]!.length)));
  return scratchBuffers[which]!;
}

/**
 * Reads a tree's entries. Two string decodings per tree rather than two per entry: every name at
 * once (NUL-separated, as NUL cannot occur in a name) and every id's hex digits at once, 40 a piece.
 */
export function decodeTree(body: Uint8Array, id = '?'): TreeEntry[] {
  const names = scratch(0, body.length);
  const hex = scratch(1, Math.ceil(body.length / MIN_ENTRY_BYTES) * 40);
  const modes: TreeMode[] = [];
  let namesEnd = 0;
  let i = 0;
  const length = body.length;
  while (i < length) {
    // Scanned here rather than with indexOf: names are a few bytes, shorter than a native call costs,
    // and the name is copied in the same pass.
    let sp = i;
    while (sp < length && body[sp] !== 0x20) sp++;
    if (modes.length > 0) names[namesEnd++] = 0;
    let nul = sp + 1;
    for (let b: number; nul < length && (b = body[nul]!) !== 0; nul++) names[namesEnd++] = b;
    if (sp >= length || nul + 21 > length) {
      throw new StoreError('invalid-object', `tree ${id}: truncated entry at byte ${i}`, { id });
    }
    modes.push(decodeMode(body, i, sp, id));
    hexDigitsInto(body, nul + 1, 20, hex, (modes.length - 1) * 40);
    i = nul + 21;
  }
  const out: TreeEntry[] = new Array(modes.length);
  if (modes.length === 0) return out;
  const nameList = fromUtf8(names.subarray(0, namesEnd)).split('\0');
  const ids = fromUtf8(hex.subarray(0, modes.length * 40));
  for (let k = 0; k < modes.length; k++) out[k] = { mode: modes[k]!, name: nameList[k]!, id: ids.slice(40 * k, 40 * k + 40) };
  return out;
}
