import type { MessageEntry } from './mailbox-view.js';

/** What a change does to one UID: its new entry, or undefined when the message is gone. */
export type MessageChanges = ReadonlyMap<number, MessageEntry | undefined>;

const NO_CHANGES: MessageChanges = new Map();

/**
 * The messages of a mailbox view by UID, immutable. A view loaded from another shares that view's map
 * and keeps only what the load changed on top, so a change to a mailbox of 100,000 messages copies
 * the few entries it touched, not 100,000. The top is folded into a new base when it outgrows a share
 * of it (about 8·√n entries), which keeps lookups at two map probes and the copying per load small.
 */
export class MessageMap {
  static readonly EMPTY = new MessageMap(new Map(), NO_CHANGES);

  private constructor(
    private readonly base: ReadonlyMap<number, MessageEntry>,
    private readonly top: MessageChanges,
  ) {}

  get(uid: number): MessageEntry | undefined {
    return this.top.has(uid) ? this.top.get(uid) : this.base.get(uid);
  }

  has(uid: number): boolean {
    return this.get(uid) !== undefined;
  }

  /** Every entry, in no particular order. */
  values(): IterableIterator<MessageEntry> {
    return this.top.size === 0 ? this.base.values() : this.layered();
  }

  private *layered(): IterableIterator<MessageEntry> {
    for (const [uid, e] of this.base) if (!this.top.has(uid)) yield e;
    for (const e of this.top.values()) if (e !== undefined) yield e;
  }

  /** Every UID, ascending. */
  sortedUids(): number[] {
    const uids: number[] = [];
    for (const e of this.values()) uids.push(e.uid);
    return uids.sort((a, b) => a - b);
  }

  /** This map with `changes` applied. */
  with(changes: MessageChanges): MessageMap {
    if (changes.size === 0) return this;
    if (this.top.size + changes.size <= Math.max(256, 8 * Math.sqrt(this.base.size))) {
      const top = new Map(this.top);
      for (const [uid, e] of changes) top.set(uid, e);
      return new MessageMap(this.base, top);
    }
    const base = new Map(this.base);
    for (const layer of [this.top, changes]) {
      for (const [uid, e] of layer) {
        if (e === undefined) base.delete(uid);
        else base.set(uid, e);
      }
    }
    return new MessageMap(base, NO_CHANGES);
  }
}
