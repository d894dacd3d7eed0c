import type { Kind } from '@nymote/dav';

/** How the commands of one kind of collection speak of it. */
export interface KindWords {
  kind: Kind;
  /** The command group: "calendar", "contacts". */
  group: string;
  /** What a collection is called, in the usage (upper case) and in sentences. */
  COLL: string;
  coll: string;
  ext: string;
  objects: string;
}

export const CALENDARS: KindWords = { kind: 'calendars', group: 'calendar', COLL: 'CALENDAR', coll: 'calendar', ext: '.ics', objects: 'events' };
export const ADDRESS_BOOKS: KindWords = { kind: 'addressbooks', group: 'contacts', COLL: 'BOOK', coll: 'address book', ext: '.vcf', objects: 'contacts' };
