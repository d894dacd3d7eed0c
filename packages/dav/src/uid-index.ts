import { Lru, type Store } from '@nymote/store';
import { summarizeCalendarObject, type CalendarSummary } from './query/index.js';
import { uidOf } from './validate.js';

/**
 * The UID of each stored resource, by blob id. A blob id names its content, so an entry never goes
 * stale: checking a PUT for a UID conflict parses each resource of the collection once per process,
 * not once per request.
 */
export class UidIndex {
  private readonly uids: Lru<string, string | undefined>;
  private readonly summaries: Lru<string, CalendarSummary>;

  constructor(private readonly store: Store, max = 100_000) {
    this.uids = new Lru(max);
    this.summaries = new Lru(max);
  }

  async uid(blob: string): Promise<string | undefined> {
    if (this.uids.has(blob)) return this.uids.get(blob);
    const uid = uidOf(Buffer.from(await this.store.objects.blob(blob)).toString('utf8'));
    this.uids.set(blob, uid);
    return uid;
  }

  /**
   * The query engine's summary of a calendar object (component types, time span), so that a
   * calendar-query reads and parses in full only the objects that may match.
   */
  async summary(blob: string): Promise<CalendarSummary> {
    const hit = this.summaries.get(blob);
    if (hit) return hit;
    const summary = summarizeCalendarObject(Buffer.from(await this.store.objects.blob(blob)).toString('utf8'));
    this.summaries.set(blob, summary);
    return summary;
  }

  /** Remembers the UID of content about to be stored, so the next check need not read it back. */
  remember(blob: string, uid: string | undefined): void {
    this.uids.set(blob, uid);
  }
}
