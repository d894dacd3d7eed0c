import type { Store } from '@nymote/store';
import { summarizeCalendarObject, type CalendarSummary } from './query/index.js';
import { uidOf } from './validate.js';

/**
 * The UID of each stored resource, by blob id. A blob id names its content, so an entry never goes
 * stale: checking a PUT for a UID conflict parses each resource of the collection once per process,
 * not once per request.
 */
export class UidIndex {
  private readonly uids = new Map<string, string | undefined>();

  constructor(private readonly store: Store, private readonly max = 100_000) {}

  async uid(blob: string): Promise<string | undefined> {
    if (this.uids.has(blob)) return this.uids.get(blob);
    const uid = uidOf(Buffer.from(await this.store.objects.blob(blob)).toString('utf8'));
    if (this.uids.size >= this.max) this.uids.delete(this.uids.keys().next().value!);
    this.uids.set(blob, uid);
    return uid;
  }

  private readonly summaries = new Map<string, CalendarSummary>();

  /**
   * The query engine's summary of a calendar object (component types, time span), so that a
   * calendar-query reads and parses in full only the objects that may match.
   */
  async summary(blob: string): Promise<CalendarSummary> {
    const hit = this.summaries.get(blob);
    if (hit) return hit;
    const summary = summarizeCalendarObject(Buffer.from(await this.store.objects.blob(blob)).toString('utf8'));
    if (this.summaries.size >= this.max) this.summaries.delete(this.summaries.keys().next().value!);
    this.summaries.set(blob, summary);
    return summary;
  }

  /** Remembers the UID of content about to be stored, so the next check need not read it back. */
  remember(blob: string, uid: string | undefined): void {
    this.uids.set(blob, uid);
  }
}
