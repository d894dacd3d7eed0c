// The write-ahead journal of a process that publishes its writes late (FsBackendOptions.publishLagMs):
// every group of objects it writes and every new value it gives a ref is appended here, one write()
// each, before the write returns; the objects reach a pack, and the refs their files, only when the
// process publishes, a few milliseconds later, for many groups at once. A process killed in between
// leaves its journal, and the next process to open the repository publishes what it holds
// (recoverJournals in lagged-publish.ts).
//
// Why: a pack is two new files, and a ref update a lock file renamed over the ref. A group commit
// published at once pays both each time; where a new file costs up to a millisecond (ext4 without a
// journal, after many deletions) that capped a server's IMAP STOREs near 4,000/s. The journal is one
// file, written in place and emptied after each publication: it creates nothing.
//
// Format: records, each [u32 length of what follows, CRC included][u8 kind][payload][u32 CRC-32 of
// kind and payload], big-endian. A record cut short or whose CRC does not match ends the journal (the
// process was killed while appending it, and the write it belonged to never returned).
//   kind 1, objects: per object [u8 type][20-byte id][u32 length][body].
//   kind 2, ref: [u16 name length][name, UTF-8][20-byte old id, zeros for none][20-byte new id]
//     [f64 inode of the writer's lock file, -1 for none].
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { StoreError } from '../../errors.js';
import { idBytes } from '../../git/pack/pack-index.js';
import { toHex } from '../../git/bytes.js';
import type { ObjectId } from '../../git/id.js';
import type { ObjectType } from '../../git/object.js';
import { nodeZlib } from './zlib.js';

const OBJECTS = 1;
const REF = 2;
const ID_BYTES = 20;
const TYPES: readonly ObjectType[] = ['commit', 'tree', 'blob', 'tag'];
const NO_ID = new Uint8Array(ID_BYTES);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface JournalObject {
  id: ObjectId;
  type: ObjectType;
  body: Uint8Array;
}

export interface JournalRef {
  name: string;
  old: ObjectId | undefined;
  next: ObjectId;
  /** The inode of the lock file the writer holds on the ref (see lagged-publish.ts, recovery). */
  lockIno: number | undefined;
}

/** What a journal holds, in the order written. */
export interface JournalContents {
  objects: JournalObject[];
  refs: JournalRef[];
  /** Bytes after the last whole record (a torn append), 0 for a clean end. */
  tornBytes: number;
}

/** One process's journal file, open for appending. */
export class Journal {
  private size = 0;

  private constructor(readonly path: string, private fd: number) {}

  /** Creates the journal at `path` (which must not exist). */
  static create(path: string): Journal {
    return new Journal(path, openSync(path, 'wx', 0o600));
  }

  /**
   * Appends one group of objects; returns their bodies as views of the record written, which nothing
   * else holds (the caller's arrays may be reused once its write returns).
   */
  appendObjects(objects: readonly JournalObject[]): Uint8Array[] {
    const bodies: Uint8Array[] = [];
    let n = 1;
    for (const o of objects) n += 1 + ID_BYTES + 4 + o.body.length;
    const rec = this.record(OBJECTS, n);
    let at = 5;
    for (const o of objects) {
      rec.bytes[at] = TYPES.indexOf(o.type) + 1;
      if (!idBytes(o.id, rec.bytes.subarray(at + 1, at + 1 + ID_BYTES))) throw new TypeError(`journal: bad object id ${o.id}`);
      rec.view.setUint32(at + 1 + ID_BYTES, o.body.length);
      rec.bytes.set(o.body, at + 5 + ID_BYTES);
      bodies.push(rec.bytes.subarray(at + 5 + ID_BYTES, at + 5 + ID_BYTES + o.body.length));
      at += 5 + ID_BYTES + o.body.length;
    }
    this.write(rec.bytes);
    return bodies;
  }

  /** Appends a ref's new value. */
  appendRef(ref: JournalRef): void {
    const name = encoder.encode(ref.name);
    const rec = this.record(REF, 1 + 2 + name.length + 2 * ID_BYTES + 8);
    let at = 5;
    rec.view.setUint16(at, name.length);
    rec.bytes.set(name, at + 2);
    at += 2 + name.length;
    if (ref.old === undefined) rec.bytes.set(NO_ID, at);
    else if (!idBytes(ref.old, rec.bytes.subarray(at, at + ID_BYTES))) throw new TypeError(`journal: bad id ${ref.old}`);
    if (!idBytes(ref.next, rec.bytes.subarray(at + ID_BYTES, at + 2 * ID_BYTES))) throw new TypeError(`journal: bad id ${ref.next}`);
    rec.view.setFloat64(at + 2 * ID_BYTES, ref.lockIno ?? -1);
    this.write(rec.bytes);
  }

  /** Empties the journal: everything in it has been published. */
  reset(): void {
    ftruncateSync(this.fd, 0);
    this.size = 0;
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }

  /** A record of `kind` with room for `n` bytes of kind and payload; the caller fills from offset 5. */
  private record(kind: number, n: number): { bytes: Uint8Array; view: DataView } {
    const bytes = new Uint8Array(4 + n + 4);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, n + 4);
    bytes[4] = kind;
    return { bytes, view };
  }

  private write(bytes: Uint8Array): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    view.setUint32(bytes.length - 4, nodeZlib.crc32(bytes.subarray(4, bytes.length - 4)) >>> 0);
    // One write at the end of the file: a process killed in it leaves a torn record, which ends the journal.
    let done = 0;
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, this.size + done);
    this.size += bytes.length;
  }
}

/** Reads a journal file: its whole records, in order. StoreError 'corrupt-object' for a record that is whole but makes no sense. */
export function readJournal(path: string): JournalContents {
  const data = readFileSync(path);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: JournalContents = { objects: [], refs: [], tornBytes: 0 };
  let at = 0;
  while (at < data.length) {
    if (at + 4 > data.length) break;
    const n = view.getUint32(at);
    if (n < 5 || at + 4 + n > data.length) break;
    const body = data.subarray(at + 4, at + 4 + n - 4);
    if ((nodeZlib.crc32(body) >>> 0) !== view.getUint32(at + 4 + n - 4)) break;
    parseRecord(body, path, out);
    at += 4 + n;
  }
  out.tornBytes = data.length - at;
  return out;
}

function parseRecord(rec: Uint8Array, path: string, out: JournalContents): void {
  const view = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  const bad = (what: string) => new StoreError('corrupt-object', `${path}: ${what}`, { file: path });
  if (rec[0] === OBJECTS) {
    for (let at = 1; at < rec.length; ) {
      if (at + 5 + ID_BYTES > rec.length) throw bad('an object record ends inside an entry header');
      const type = TYPES[rec[at]! - 1];
      if (!type) throw bad(`unknown object type ${rec[at]}`);
      const id = toHex(rec, at + 1, at + 1 + ID_BYTES);
      const len = view.getUint32(at + 1 + ID_BYTES);
      const start = at + 5 + ID_BYTES;
      if (start + len > rec.length) throw bad(`object ${id} runs past its record`);
      out.objects.push({ id, type, body: rec.slice(start, start + len) });
      at = start + len;
    }
    return;
  }
  if (rec[0] === REF) {
    const len = view.getUint16(1);
    if (3 + len + 2 * ID_BYTES + 8 !== rec.length) throw bad('a ref record of the wrong length');
    const name = decoder.decode(rec.subarray(3, 3 + len));
    const oldBytes = rec.subarray(3 + len, 3 + len + ID_BYTES);
    const old = oldBytes.every((b) => b === 0) ? undefined : toHex(oldBytes, 0, ID_BYTES);
    const ino = view.getFloat64(3 + len + 2 * ID_BYTES);
    out.refs.push({ name, old, next: toHex(rec, 3 + len + ID_BYTES, 3 + len + 2 * ID_BYTES), lockIno: ino < 0 ? undefined : ino });
    return;
  }
  throw bad(`unknown record kind ${rec[0]}`);
}
