import type { MailboxView } from '../mailstore/mailbox-view.js';

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
 * be added at the end (UIDs only grow), so a walk over both UID lists in order finds everything.
 */
export function mailboxChanges(known: MailboxView, next: MailboxView): MailboxChanges {
  const expungedUids: number[] = [];
  const flagChanges: MailboxChanges['flagChanges'] = [];
  let seqNext = 0;
  for (const uid of known.uids) {
    const after = next.get(uid);
    if (!after) {
      expungedUids.push(uid);
      continue;
    }
    seqNext++;
    const before = known.get(uid)!;
    if (after.modseq !== before.modseq || after.flags.join(' ') !== before.flags.join(' ')) {
      flagChanges.push({ uid, seq: seqNext, flags: after.flags, modseq: after.modseq });
    }
  }
  // Removing from the highest sequence number down keeps every lower number valid as sent.
  const expungedSeqs = expungedUids.map((uid) => known.seqOf(uid)).sort((a, b) => b - a);
  const survivors = known.uids.length - expungedUids.length;
  const added = next.uids.length - survivors;
  // Expunges say themselves that the count went down (RFC 3501 7.4.1): EXISTS only for arrivals.
  const exists = added > 0 ? next.uids.length : undefined;
  return { expungedSeqs, expungedUids, exists, flagChanges };
}
