import type { MailboxView } from './mailbox-view.js';

/**
 * The \Recent mark of one user's mailboxes (RFC 3501 2.3.2), kept as Dovecot keeps it but in this
 * process only: for each mailbox, the first UID no session has taken yet. The messages at or above
 * it that exist are "recent, not yet taken"; a read-write SELECT, or a read-write session told of new
 * messages (EXISTS), takes them (they are \Recent in that session only) and moves the mark to
 * UIDNEXT. The mark never goes back and UIDs are never reused, so no message is recent twice.
 *
 * Mailboxes are known by UIDVALIDITY, which this user never reuses (a renamed mailbox keeps its
 * marks, a mailbox created again under the same name starts afresh). A mailbox is first marked at
 * its UIDNEXT when a session looks at it, or at the first UID this process adds to it (append,
 * delivery, copy, undo), whichever comes first: after a restart nothing is recent.
 */
export class RecentMarks {
  private readonly firstUntaken = new Map<number, number>();

  /** The first UID not yet taken in the mailbox of `view` (marked at its UIDNEXT if not yet marked). */
  mark(view: MailboxView): number {
    let mark = this.firstUntaken.get(view.meta.uidValidity);
    if (mark === undefined) this.firstUntaken.set(view.meta.uidValidity, (mark = view.meta.uidNext));
    return mark;
  }

  /** This process is adding messages from `firstUid` to a mailbox: they are recent, unless it was marked already. */
  adding(uidValidity: number, firstUid: number): void {
    if (!this.firstUntaken.has(uidValidity)) this.firstUntaken.set(uidValidity, firstUid);
  }

  /** The messages of `view` no session has taken (for EXAMINE and STATUS), ascending UIDs. */
  untaken(view: MailboxView): number[] {
    const mark = this.mark(view);
    const uids = view.uids;
    let i = uids.length;
    while (i > 0 && uids[i - 1]! >= mark) i--;
    return uids.slice(i);
  }

  /** Takes the untaken messages of `view` for one session (returned), and moves the mark to UIDNEXT. */
  take(view: MailboxView): number[] {
    const taken = this.untaken(view);
    const mark = this.mark(view);
    const next = Math.max(mark, view.meta.uidNext, taken.length ? taken[taken.length - 1]! + 1 : 0);
    this.firstUntaken.set(view.meta.uidValidity, next);
    return taken;
  }
}
