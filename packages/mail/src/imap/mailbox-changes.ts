import type { MailboxView, MessageEntry } from '../mailstore/mailbox-view.js';

/** What a session must tell its client when its mailbox moved from one snapshot to the next. */
export interface MailboxChanges {
  /**
   * Sequence numbers to report in EXPUNGE responses, in the order to send them: each number is
   * counted after the previous ones were removed (RFC 3501 7.4.1), so the highest come first.
   */
  expungedSeqs: number[];
  /** The same messages by UID, ascending (for VANISHED, RFC 7162 3.2.10). */
  expungedUids: number[];
  /** The new EXISTS count, if messages arrived. */
  exists: number | undefined;
  /** Messages (by UID) still there whose flags or MODSEQ changed, with their sequence number in the new view. */
  flagChanges: { uid: number; seq: number; flags: string[]; modseq: number }[];
}

/**
 * The difference between the snapshot a client knows and a newer one. Messages can only disappear or
 * be added at the end (UIDs only grow), so a walk over the UIDs in order finds everything. The walk
 * covers only the messages the loads between the two snapshots changed (MailboxView.changedSince),
 * or every message the client knows when `next` does not descend from `known` that way.
 */
export function mailboxChanges(known: MailboxView, next: MailboxView): MailboxChanges {
  const changed = next.changedSince(known);
  const expungedUids: number[] = [];
  const flagChanges: MailboxChanges['flagChanges'] = [];
  const compare = (uid: number, before: MessageEntry): void => {
    const after = next.get(uid);
    if (!after) expungedUids.push(uid);
    // Records not reloaded are the same objects in both snapshots.
    else if (after !== before && (after.modseq !== before.modseq || !sameList(after.flags, before.flags))) {
      flagChanges.push({ uid, seq: 0, flags: after.flags, modseq: after.modseq });
    }
  };
  if (changed) {
    for (const uid of changed) {
      const before = known.get(uid);
      if (before) compare(uid, before);
    }
  } else {
    for (const uid of known.uids) compare(uid, known.get(uid)!);
  }
  for (const f of flagChanges) f.seq = next.seqOf(f.uid);
  // Removing from the highest sequence number down keeps every lower number valid as sent.
  const expungedSeqs = expungedUids.map((uid) => known.seqOf(uid)).sort((a, b) => b - a);
  const survivors = known.uids.length - expungedUids.length;
  const added = next.uids.length - survivors;
  // Expunges say themselves that the count went down (RFC 3501 7.4.1): EXISTS only for arrivals.
  const exists = added > 0 ? next.uids.length : undefined;
  return { expungedSeqs, expungedUids, exists, flagChanges };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
