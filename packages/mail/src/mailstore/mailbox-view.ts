import { diffTrees, isStoreError, type Store } from '@nymote/store';
import { MAILBOX_FILE, decodeJson, parseMessagePath, type MailboxMeta, type MessageMeta } from './layout.js';
import { MessageMap } from './message-map.js';

/** One message of a mailbox as the view holds it: its record, and the blob id of its bytes. */
export interface MessageEntry extends MessageMeta {
  uid: number;
  /** Git blob id of the message bytes (undefined only while a broken mailbox misses the .eml). */
  blob: string | undefined;
  size: number;
}

/** One load of a view from an earlier one: the earlier view's lineage number, and the UIDs it changed. */
interface Step {
  from: number;
  touched: ReadonlySet<number>;
  /** `touched` ascending, made by the first session that asks (every session on the mailbox asks). */
  sorted?: readonly number[];
}

/** Loads a view remembers: a session further behind than this compares every message once. */
const MAX_STEPS = 64;
let serials = 0;

/**
 * An immutable snapshot of one mailbox: its metadata and every message's record, in UID order, but
 * never the messages themselves. Sessions keep the snapshot their client knows and compare it with
 * the next one to tell the client what changed (EXISTS, EXPUNGE, FETCH FLAGS).
 */
export class MailboxView {
  private constructor(
    readonly meta: MailboxMeta,
    /** The id of the mailbox's tree: equal ids, equal views. */
    readonly treeId: string,
    private readonly entries: MessageMap,
    /** UIDs ascending: index + 1 is the message sequence number. */
    readonly uids: readonly number[],
    /**
     * Which view this one is in the chain of loads (see changedSince): its own number, or for an
     * overlay the number of the view it overlays.
     */
    private readonly lineage: number,
    /** The last loads that led to this view, oldest first. */
    private readonly steps: readonly Step[],
  ) {}

  /**
   * The UIDs that may differ between `known` and this view (added, removed, or with a new record),
   * ascending, or undefined when this view does not descend from `known` through the loads it
   * remembers. Every view is loaded from the one before it by a tree diff, which names the messages
   * it changed; a session comparing the view its client knows with the newest one uses those names,
   * so one diff per change serves every session, whatever the size of the mailbox.
   */
  changedSince(known: MailboxView): readonly number[] | undefined {
    if (known === this) return [];
    for (let i = this.steps.length - 1; i >= 0; i--) {
      if (this.steps[i]!.from !== known.lineage) continue;
      if (i === this.steps.length - 1) {
        const step = this.steps[i]!;
        return (step.sorted ??= [...step.touched].sort((a, b) => a - b));
      }
      const uids = new Set<number>();
      for (let j = i; j < this.steps.length; j++) for (const uid of this.steps[j]!.touched) uids.add(uid);
      return [...uids].sort((a, b) => a - b);
    }
    return undefined;
  }

  get exists(): number {
    return this.uids.length;
  }

  get(uid: number): MessageEntry | undefined {
    return this.entries.get(uid);
  }

  /** The message at sequence number `seq` (1-based). */
  at(seq: number): MessageEntry | undefined {
    const uid = this.uids[seq - 1];
    return uid === undefined ? undefined : this.entries.get(uid);
  }

  /** The sequence number of `uid`, or 0 if it is not in the mailbox. */
  seqOf(uid: number): number {
    let lo = 0;
    let hi = this.uids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const u = this.uids[mid]!;
      if (u === uid) return mid + 1;
      if (u < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  messages(): IterableIterator<MessageEntry> {
    return this.entries.values();
  }

  /** The keywords (flags without a backslash) some message has: what SELECT lists in FLAGS. */
  keywords(): readonly string[] {
    if (this.keywordList === undefined) {
      const found = new Set<string>();
      for (const m of this.entries.values()) for (const f of m.flags) if (!f.startsWith('\\')) found.add(f);
      this.keywordList = [...found];
    }
    return this.keywordList;
  }

  /** keywords(), computed on first use: a view never changes, and every SELECT of it asks. */
  private keywordList: string[] | undefined;

  /**
   * What a client may be shown while it cannot be told of expunges yet (RFC 3501 7.4.1): the
   * messages and numbering of `known`, with the records (flags, MODSEQ) of `next` where it still
   * has them. Messages added in `next` are left out, since EXISTS would have to count the expunged.
   */
  static overlay(known: MailboxView, next: MailboxView): MailboxView {
    const records = new Map<number, MessageEntry>();
    for (const uid of known.uids) {
      const now = next.entries.get(uid);
      if (now) records.set(uid, now);
    }
    const entries = known.entries.with(records);
    // It has the records of `next` and the UIDs of `known`: whatever differs between it and a view
    // descending from `known` differs between `known` and that view, so it takes known's place in
    // the chain (changedSince gives a superset, which callers compare record by record).
    return new MailboxView(known.meta, known.treeId, entries, known.uids, known.lineage, []);
  }

  /**
   * The view of the mailbox tree `treeId`, built from `previous` by reading only what changed between
   * the two trees (a delivery into a mailbox of 100,000 messages reads one record, not 100,000).
   */
  static async load(store: Store, treeId: string, previous?: MailboxView): Promise<MailboxView> {
    if (previous?.treeId === treeId) return previous;
    if (previous) {
      try {
        return await MailboxView.build(store, treeId, previous);
      } catch (e) {
        // The previous view was of a tree built for a write that was then given up (a group commit
        // redone on another process's head) and never stored: read this one whole instead.
        if (!isStoreError(e) || e.code !== 'not-found') throw e;
      }
    }
    return MailboxView.build(store, treeId, undefined);
  }

  private static async build(store: Store, treeId: string, previous: MailboxView | undefined): Promise<MailboxView> {
    const base = previous?.entries ?? MessageMap.EMPTY;
    // What this load changes, on top of the previous view's map (which is shared, never copied).
    const changes = new Map<number, MessageEntry | undefined>();
    const current = (uid: number) => (changes.has(uid) ? changes.get(uid) : base.get(uid));
    let meta = previous?.meta;
    const touched = new Set<number>();
    const raws = new Map<number, string | undefined>();
    for await (const change of diffTrees(store.objects, previous?.treeId, treeId)) {
      if (change.key === MAILBOX_FILE) {
        if (change.new) meta = decodeJson<MailboxMeta>(await store.objects.blob(change.new), `mailbox record ${change.key}`);
        continue;
      }
      const path = parseMessagePath(change.key);
      if (!path) continue; // not ours: left alone
      touched.add(path.uid);
      if (path.kind === 'raw') {
        raws.set(path.uid, change.new);
        continue;
      }
      if (!change.new) {
        changes.set(path.uid, undefined);
        continue;
      }
      const record = decodeJson<MessageMeta & { size: number }>(await store.objects.blob(change.new), `message record ${change.key}`);
      const before = current(path.uid);
      changes.set(path.uid, { uid: path.uid, flags: record.flags, modseq: record.modseq, internalDate: record.internalDate, size: record.size, blob: before?.blob });
    }
    for (const [uid, blob] of raws) {
      const e = current(uid);
      if (e) changes.set(uid, { ...e, blob });
    }
    // A record whose message bytes are gone (a half-synced or hand-edited branch) is not a message.
    for (const uid of touched) {
      const e = current(uid);
      if (e && e.blob === undefined) changes.set(uid, undefined);
    }
    if (!meta) throw new Error(`the mailbox tree ${treeId} has no ${MAILBOX_FILE}`);
    const entries = base.with(changes);
    const uids = previous ? nextUids(previous, entries, touched) : entries.sortedUids();
    const serial = ++serials;
    const steps = previous ? [...previous.steps.slice(1 - MAX_STEPS), { from: previous.lineage, touched }] : [];
    return new MailboxView(meta, treeId, entries, uids, serial, steps);
  }
}

/**
 * The UIDs of a view loaded from `previous`, where only `touched` may have come or gone: the same list
 * when none did, the list with the new ones at its end when only higher UIDs came (APPEND, delivery).
 */
function nextUids(previous: MailboxView, entries: MessageMap, touched: ReadonlySet<number>): readonly number[] {
  const added: number[] = [];
  for (const uid of touched) {
    const was = previous.get(uid) !== undefined;
    if (was === entries.has(uid)) continue;
    if (was) return entries.sortedUids();
    added.push(uid);
  }
  if (added.length === 0) return previous.uids;
  added.sort((a, b) => a - b);
  const last = previous.uids[previous.uids.length - 1] ?? 0;
  return added[0]! > last ? [...previous.uids, ...added] : entries.sortedUids();
}
