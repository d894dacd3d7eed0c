// Writes a whole calendar as one .ics (one VCALENDAR: each time zone once, then every component) or a
// whole address book as one .vcf (the vCards one after another), from one snapshot of the branch.
import { dataBranch } from '@nymote/accounts';
import type { Store, Tree } from '@nymote/store';
import { DavError } from '../errors.js';
import { listResources, readCollection, type Kind } from '../layout.js';
import { linesOfText } from './content-lines.js';
import { ICalendarSplitter } from './split-ics.js';

/**
 * Where an export goes: a node Writable, or anything with `write`. When `write` returns false and
 * there is `once`, the export waits for 'drain', so a big collection streams with little memory.
 */
export interface TextSink {
  write(chunk: string): boolean | void;
  once?(event: 'drain', listener: () => void): unknown;
}

export interface ExportResult {
  /** Calendar object resources or vCards written. */
  objects: number;
  /** The commit exported. */
  commit: string | undefined;
}

const PRODID = '-//Nymote//Nymote export//EN';

class Writer {
  private buffered: string[] = [];
  private size = 0;

  constructor(private readonly sink: TextSink) {}

  /** Gathers small pieces into writes of about 64 KiB. */
  async write(text: string): Promise<void> {
    this.buffered.push(text);
    this.size += text.length;
    if (this.size >= 65536) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.buffered.length) return;
    const chunk = this.buffered.join('');
    this.buffered = [];
    this.size = 0;
    const once = this.sink.once;
    if (this.sink.write(chunk) === false && once) await new Promise<void>((resolve) => once.call(this.sink, 'drain', resolve));
  }
}

async function snapshot(store: Store, user: string, kind: Kind, coll: string): Promise<{ tree: Tree; commit: string | undefined; displayname: string | undefined }> {
  const branch = dataBranch(user);
  const commit = await store.head(branch);
  const tree = await store.tree(commit === undefined ? branch : { commit });
  const meta = await readCollection(tree, kind, coll);
  if (!meta) throw new DavError(404, `${user} has no ${kind === 'calendars' ? 'calendar' : 'address book'} ${coll}`);
  return { tree, commit, displayname: meta.displayname };
}

const text = async (store: Store, etag: string) => Buffer.from(await store.objects.blob(etag)).toString('utf8');

/** Writes the calendar `coll` of `user` as one iCalendar file. */
export async function exportCalendar(store: Store, user: string, coll: string, sink: TextSink): Promise<ExportResult> {
  const { tree, commit, displayname } = await snapshot(store, user, 'calendars', coll);
  const resources = await listResources(tree, 'calendars', coll);
  const out = new Writer(sink);
  // Time zones go first, so the objects are read twice rather than all held in memory; only those
  // that have a VTIMEZONE are parsed the first time.
  const zones = new Map<string, string>();
  for (const r of resources) {
    const t = await text(store, r.etag);
    if (!/BEGIN:VTIMEZONE/i.test(t)) continue;
    const s = new ICalendarSplitter();
    linesOfText(t, (l) => s.push(l));
    for (const [id, zone] of s.pieces().timezones) if (!zones.has(id)) zones.set(id, zone);
  }
  await out.write(`BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:${PRODID}\r\n`);
  if (displayname !== undefined) await out.write(`X-WR-CALNAME:${escapeText(displayname)}\r\n`);
  for (const zone of zones.values()) await out.write(`${zone}\r\n`);
  for (const r of resources) {
    const s = new ICalendarSplitter();
    linesOfText(await text(store, r.etag), (l) => s.push(l));
    for (const c of s.pieces().components) await out.write(`${c}\r\n`);
  }
  await out.write('END:VCALENDAR\r\n');
  await out.flush();
  return { objects: resources.length, commit };
}

/** Writes the address book `coll` of `user` as one .vcf file. */
export async function exportAddressBook(store: Store, user: string, coll: string, sink: TextSink): Promise<ExportResult> {
  const { tree, commit } = await snapshot(store, user, 'addressbooks', coll);
  const resources = await listResources(tree, 'addressbooks', coll);
  const out = new Writer(sink);
  for (const r of resources) {
    const t = await text(store, r.etag);
    await out.write(/\r?\n$/.test(t) ? t : `${t}\r\n`);
  }
  await out.flush();
  return { objects: resources.length, commit };
}

/** A TEXT value (RFC 5545 3.3.11). */
function escapeText(s: string): string {
  return s.replace(/[\\;,]/g, (c) => `\\${c}`).replace(/\r?\n/g, '\\n');
}
