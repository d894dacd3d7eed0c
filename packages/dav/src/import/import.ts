// Imports a calendar (.ics) or address book (.vcf) file into a collection on a user's branch: split,
// checked as a PUT would be, then written in one store.update, so the whole file is one commit and a
// running DAV server (or anyone else writing the branch) is never half-overwritten: the update is a
// compare-and-swap on the branch and re-runs the placement on the new head if the branch moved.
import { createHash } from 'node:crypto';
import { dataBranch } from '@nymote/accounts';
import type { Author, Store, Tree } from '@nymote/store';
import { DavError } from '../errors.js';
import {
  DEFAULT_COLLECTION, DEFAULT_COMPONENTS, blobId, encodeCollection, isCollectionName, isResourceName, listResources, metaKey,
  readCollection, resourceKey, type CollectionProps, type Kind,
} from '../layout.js';
import { validateCalendarObject, validateVCard } from '../validate.js';
import { linesOfText, type ByteSource } from './content-lines.js';
import { PROGRESS_STEP, type ProgressListener, type SplitEntry } from './entry.js';
import { ICalendarSplitter, splitICalendar } from './split-ics.js';
import { VCardSplitter, splitVCards } from './split-vcf.js';

/** The largest object stored, as the DAV server's default `maxResourceSize`. */
export const DEFAULT_MAX_RESOURCE_SIZE = 2 * 1024 * 1024;

export interface ImportOptions {
  /** Whose data: the import lands on the branch users/USER. */
  user: string;
  /** The calendar or address book (the name in its URL); created if missing. */
  collection: string;
  /** Leave out the entries that do not pass the checks (listed in the result) instead of refusing the file. */
  skipInvalid?: boolean;
  /** Largest object taken (default 2 MiB, as the server's max-resource-size). */
  maxResourceSize?: number;
  /** The displayname of a collection the import creates (default: the file's X-WR-CALNAME, else the name). */
  displayname?: string;
  /** The commit's author (default: the user, as the DAV server writes them). */
  author?: Author;
  onProgress?: ProgressListener;
}

/** An entry that failed the checks: where it is in the file and why. */
export interface ImportProblem {
  entry: number;
  line: number;
  uid: string | undefined;
  message: string;
}

export interface ImportResult {
  /** The new commit; undefined when the collection already held exactly this. */
  commit: string | undefined;
  branch: string;
  /** Valid entries of the file (each one object in the collection now). */
  imported: number;
  added: number;
  replaced: number;
  unchanged: number;
  /** Objects of the collection removed because another one with the same UID was replaced. */
  removed: number;
  /** Entries left out (with skipInvalid). */
  skipped: ImportProblem[];
  /** Components or vCards the file had twice (same UID, same RECURRENCE-ID): the later one was taken. */
  duplicates: number;
  createdCollection: boolean;
  /** The commit message (also when no commit was needed). */
  message: string;
}

/** The file has entries that fail the checks (and skipInvalid was not given): nothing was written. */
export class ImportError extends Error {
  constructor(readonly problems: ImportProblem[]) {
    super(`${problems.length.toLocaleString('en-US')} ${problems.length === 1 ? 'entry does' : 'entries do'} not pass the checks: ${describeProblem(problems[0]!)}${problems.length > 1 ? ', ...' : ''}`);
    this.name = 'ImportError';
  }
}

/** "entry 12 (line 345, UID abc): why". */
export function describeProblem(p: ImportProblem): string {
  return `entry ${p.entry} (line ${p.line}${p.uid !== undefined ? `, UID ${p.uid}` : ''}): ${p.message}`;
}

/** Imports an iCalendar file into the calendar `collection` of `user`, one object per UID, as one commit. */
export async function importCalendar(store: Store, source: ByteSource, options: ImportOptions): Promise<ImportResult> {
  const split = await splitICalendar(source, options.onProgress);
  return importEntries(store, 'calendars', split.entries, split.duplicates, split.name, options);
}

/** Imports a .vcf file into the address book `collection` of `user`, one object per vCard, as one commit. */
export async function importAddressBook(store: Store, source: ByteSource, options: ImportOptions): Promise<ImportResult> {
  const entries = await splitVCards(source, options.onProgress);
  // A vCard the file has twice (by UID): the later one wins, as a second PUT of it would.
  const last = new Map<string, SplitEntry>();
  for (const e of entries) if (e.uid !== undefined && !e.error) last.set(e.uid, e);
  const kept = entries.filter((e) => e.uid === undefined || e.error || last.get(e.uid) === e);
  return importEntries(store, 'addressbooks', kept, entries.length - kept.length, undefined, options);
}

interface Item {
  entry: SplitEntry;
  bytes: Uint8Array;
  etag: string;
  /** VEVENT, VTODO... for calendars; VCARD for contacts. */
  component: string;
}

const NOUNS: Record<string, [string, string]> = {
  VEVENT: ['event', 'events'], VTODO: ['task', 'tasks'], VJOURNAL: ['journal entry', 'journal entries'],
  VFREEBUSY: ['free/busy object', 'free/busy objects'], VCARD: ['contact', 'contacts'],
};

function counted(n: number, component: string): string {
  const [one, many] = NOUNS[component] ?? [`${component} object`, `${component} objects`];
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** "Import 2,345 events into calendar Work", "Import 12 events and 3 tasks into ...". */
function commitMessage(items: Item[], kind: Kind, label: string, skipped: number): string {
  const byType = new Map<string, number>();
  for (const i of items) byType.set(i.component, (byType.get(i.component) ?? 0) + 1);
  const parts = [...byType].map(([c, n]) => counted(n, c));
  const what = parts.length === 0 ? (kind === 'calendars' ? 'no events' : 'no contacts')
    : parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
  const subject = `Import ${what} into ${kind === 'calendars' ? 'calendar' : 'address book'} ${label}`;
  return skipped ? `${subject}\n\n${skipped.toLocaleString('en-US')} invalid ${skipped === 1 ? 'entry' : 'entries'} of the file left out.` : subject;
}

const sha1 = (s: string | Uint8Array) => createHash('sha1').update(s).digest('hex');

/** A name a URL carries without escaping; longer or odder UIDs are hashed. */
const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._@+=-]{0,199}$/;

/**
 * The resource name for an object: its UID when that makes a plain name ("urn:uuid:" dropped, as
 * vCards often carry it), else the SHA-1 of the UID; an object without UID is named by its content.
 */
export function resourceNameFor(uid: string | undefined, ext: '.ics' | '.vcf', content: Uint8Array | string = ''): string {
  if (uid === undefined) return `${sha1(content)}${ext}`;
  const bare = uid.replace(/^urn:uuid:/i, '');
  return PLAIN_NAME.test(bare) && isResourceName(`${bare}${ext}`) ? `${bare}${ext}` : `${sha1(uid)}${ext}`;
}

/** The UID of a stored object, read the same way as the file's (by lines, not unescaped). */
export function storedUid(kind: Kind, text: string): string | undefined {
  if (kind === 'calendars') {
    const s = new ICalendarSplitter();
    linesOfText(text, (l) => s.push(l));
    return s.firstUid();
  }
  const s = new VCardSplitter();
  linesOfText(text, (l) => s.push(l));
  return s.finish().find((e) => e.uid !== undefined)?.uid;
}

function check(kind: Kind, e: SplitEntry, accepted: readonly string[], max: number): Item | string {
  if (e.error !== undefined) return e.error;
  const bytes = Buffer.from(e.text, 'utf8');
  if (bytes.length > max) return `larger than ${max.toLocaleString('en-US')} bytes, the largest object taken`;
  try {
    const component = kind === 'calendars' ? validateCalendarObject(e.text, accepted).component : (validateVCard(e.text), 'VCARD');
    return { entry: e, bytes, etag: blobId(bytes), component };
  } catch (err) {
    if (err instanceof DavError) return err.message;
    throw err;
  }
}

async function importEntries(
  store: Store, kind: Kind, entries: SplitEntry[], duplicates: number, fileName: string | undefined, options: ImportOptions,
): Promise<ImportResult> {
  const { collection: coll, onProgress } = options;
  if (!isCollectionName(coll)) throw new DavError(400, `"${coll}" cannot be the name of a ${kind === 'calendars' ? 'calendar' : 'address book'}`);
  const branch = dataBranch(options.user);
  const max = options.maxResourceSize ?? DEFAULT_MAX_RESOURCE_SIZE;
  const before = (await store.head(branch)) === undefined ? undefined : await readCollection(await store.tree(branch), kind, coll);
  const accepted = before?.components ?? DEFAULT_COMPONENTS;

  const items: Item[] = [];
  const problems: ImportProblem[] = [];
  let checked = 0;
  for (const e of entries) {
    const r = check(kind, e, accepted, max);
    if (typeof r === 'string') problems.push({ entry: e.entry, line: e.line, uid: e.uid, message: r });
    else items.push(r);
    if (++checked % PROGRESS_STEP === 0 && checked < entries.length) onProgress?.({ phase: 'validate', done: checked, total: entries.length });
  }
  onProgress?.({ phase: 'validate', done: checked, total: entries.length });
  if (problems.length && !options.skipInvalid) throw new ImportError(problems);

  // The default collections get the server's names, so the first import into one matches what a client would have found.
  const fallback = coll !== DEFAULT_COLLECTION ? coll : kind === 'calendars' ? 'Calendar' : 'Contacts';
  const created: CollectionProps = kind === 'calendars'
    ? { displayname: options.displayname ?? fileName ?? fallback, components: DEFAULT_COMPONENTS }
    : { displayname: options.displayname ?? fallback };
  const label = before?.displayname ?? (before ? coll : created.displayname!);
  const message = commitMessage(items, kind, label, problems.length);
  const ext = kind === 'calendars' ? '.ics' : '.vcf';
  // UIDs of the collection's objects by blob id: kept across the update's re-runs (a blob's UID never changes).
  const uidCache = new Map<string, string | undefined>();

  const outcome = await store.update(async (tree) => {
    const counts = { added: 0, replaced: 0, unchanged: 0, removed: 0, createdCollection: false };
    let meta = await readCollection(tree, kind, coll);
    if (!meta) {
      const fresh = (await tree.kind('calendars')) === undefined && (await tree.kind('addressbooks')) === undefined;
      await tree.set(metaKey(kind, coll), encodeCollection((meta = created)));
      if (fresh) await ensureDefaults(tree);
      counts.createdCollection = true;
    }
    if (kind === 'calendars') {
      // Checked above against what the calendar took then; someone may have changed it since.
      const takes = meta.components ?? DEFAULT_COMPONENTS;
      const refused = items.find((i) => !takes.includes(i.component));
      if (refused) throw new DavError(403, `calendar ${coll} does not take ${refused.component} (it takes ${takes.join(', ')})`);
    }
    const byUid = new Map<string, string[]>();
    const owner = new Map<string, string | undefined>();
    const etags = new Map<string, string>();
    for (const r of await listResources(tree, kind, coll)) {
      let uid = uidCache.get(r.etag);
      if (!uidCache.has(r.etag)) {
        uid = storedUid(kind, Buffer.from(await store.objects.blob(r.etag)).toString('utf8'));
        uidCache.set(r.etag, uid);
      }
      owner.set(r.name, uid);
      etags.set(r.name, r.etag);
      if (uid !== undefined) byUid.set(uid, [...(byUid.get(uid) ?? []), r.name]);
    }
    let written = 0;
    for (const item of items) {
      const uid = item.entry.uid;
      let name: string;
      const same = uid === undefined ? undefined : byUid.get(uid);
      if (same) {
        // Replaced where it is, so clients see a change of the object they know rather than a new one.
        name = same[0]!;
        for (const extra of same.slice(1)) {
          await tree.remove(resourceKey(kind, coll, extra));
          owner.delete(extra);
          etags.delete(extra);
          counts.removed++;
        }
        byUid.set(uid!, [name]);
      } else {
        name = resourceNameFor(uid, ext, item.bytes);
        // Never over another object: a client may have named its own object what this UID suggests.
        for (let n = 1; owner.has(name) && (uid === undefined || owner.get(name) !== uid) && etags.get(name) !== item.etag; n++) {
          name = `${sha1(uid ?? item.bytes)}${n > 1 ? `-${n}` : ''}${ext}`;
        }
        if (uid !== undefined) byUid.set(uid, [name]);
      }
      const previous = etags.get(name);
      if (previous === item.etag) counts.unchanged++;
      else {
        if (previous === undefined) counts.added++;
        else counts.replaced++;
        await tree.set(resourceKey(kind, coll, name), item.bytes);
        etags.set(name, item.etag);
      }
      owner.set(name, uid);
      if (++written % PROGRESS_STEP === 0 && written < items.length) onProgress?.({ phase: 'write', done: written, total: items.length });
    }
    onProgress?.({ phase: 'write', done: written, total: items.length });
    return counts;
  }, { branch, message, author: options.author ?? { name: options.user, email: `${options.user}@nymote.invalid` } });

  return {
    commit: outcome.changed ? outcome.commit : undefined,
    branch,
    imported: items.length,
    ...outcome.result,
    skipped: problems,
    duplicates,
    message,
  };
}

/**
 * The first write to a branch with neither calendars nor address books also makes the defaults the
 * DAV server would make at the user's first visit: the server makes none once either exists, so an
 * import must not leave the user without the other kind.
 */
async function ensureDefaults(tree: Tree): Promise<void> {
  const defaults: [Kind, CollectionProps][] = [['calendars', { displayname: 'Calendar', components: DEFAULT_COMPONENTS }], ['addressbooks', { displayname: 'Contacts' }]];
  for (const [kind, props] of defaults) {
    if ((await tree.kind(metaKey(kind, DEFAULT_COLLECTION))) === undefined) await tree.set(metaKey(kind, DEFAULT_COLLECTION), encodeCollection(props));
  }
}
