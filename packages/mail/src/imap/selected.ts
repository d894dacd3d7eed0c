import type { MailboxView, MessageEntry } from '../mailstore/mailbox-view.js';
import { MAX_UID, resolveSequenceSet, type SequenceSet } from './protocol/index.js';

/** The mailbox a session has selected: the snapshot its client knows, and what the client saved. */
export class Selected {
  /** UIDs of the last SEARCH RETURN (SAVE) (SEARCHRES, RFC 5182): what `$` means. */
  saved: number[] = [];
  /**
   * UIDs that are \Recent in this session (RFC 3501 2.3.2): those it took when selected read-write or
   * when told of them, or, read-only, those no session had taken. Always empty for IMAP4rev2. Each is
   * in `view`: a message leaves the set when the client is told of its expunge.
   */
  readonly recent = new Set<number>();

  constructor(readonly name: string, readonly readOnly: boolean, public view: MailboxView) {}

  /** How many messages of the view are \Recent in this session (what RECENT says). */
  get recentCount(): number {
    return this.recent.size;
  }

  /** A message's flags as this session shows them: with \Recent if it is recent here. */
  flagsOf(m: MessageEntry): string[] {
    return this.recent.has(m.uid) ? [...m.flags, '\\Recent'] : m.flags;
  }

  /**
   * The messages a sequence set names, in ascending order: message sequence numbers, or UIDs with
   * `uid`. Numbers past the end are ignored for UIDs (RFC 3501 allows it) and are an error for
   * sequence numbers, which the caller reports (`outOfRange`).
   */
  resolve(set: SequenceSet, uid: boolean): { messages: MessageEntry[]; outOfRange: boolean } {
    const view = this.view;
    if (set === '$') {
      const messages = this.saved.map((u) => view.get(u)).filter((m): m is MessageEntry => m !== undefined);
      return { messages, outOfRange: false };
    }
    const messages: MessageEntry[] = [];
    let outOfRange = false;
    if (uid) {
      const max = view.uids.length ? view.uids[view.uids.length - 1]! : 0;
      for (const [a, b] of resolveSequenceSet(set, max)) {
        // Walk whichever is smaller: the range, or the mailbox's UIDs.
        if (b - a < view.uids.length) {
          for (let u = a; u <= Math.min(b, MAX_UID); u++) {
            const m = view.get(u);
            if (m) messages.push(m);
          }
        } else {
          for (const u of view.uids) if (u >= a && u <= b) messages.push(view.get(u)!);
        }
      }
    } else {
      for (const [a, b] of resolveSequenceSet(set, view.exists)) {
        if (b > view.exists) outOfRange = true;
        for (let s = a; s <= Math.min(b, view.exists); s++) messages.push(view.at(s)!);
      }
    }
    return { messages, outOfRange };
  }
}
