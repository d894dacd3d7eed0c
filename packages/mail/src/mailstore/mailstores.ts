import type { Author, Store } from '@nymote/store';
import { Mailstore, type MailstoreOptions } from './mailstore.js';

/**
 * The Mailstore of each user, made once per process and shared by IMAP sessions, SMTP delivery and
 * the command line, so that their mailbox views and their one-writer-at-a-time queue are shared too.
 */
export class Mailstores {
  private readonly byUser = new Map<string, Mailstore>();

  constructor(readonly store: Store, private readonly options: { authorOf?: (user: string) => Author; clock?: () => number } = {}) {}

  of(user: string): Mailstore {
    let m = this.byUser.get(user);
    if (!m) {
      const o: MailstoreOptions = {};
      if (this.options.authorOf) o.author = this.options.authorOf(user);
      if (this.options.clock) o.clock = this.options.clock;
      m = new Mailstore(this.store, user, o);
      this.byUser.set(user, m);
    }
    return m;
  }

  /** Resolves when every commit under way has landed (before a process exits). */
  async settle(): Promise<void> {
    await Promise.all([...this.byUser.values()].map((m) => m.settled()));
  }
}
