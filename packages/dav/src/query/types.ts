/** A half-open interval in ms since the epoch; an undefined bound is unbounded. */
export interface TimeRange {
  start?: number;
  end?: number;
}

export type Collation = 'i;ascii-casemap' | 'i;octet' | 'i;unicode-casemap';
export type MatchType = 'equals' | 'contains' | 'starts-with' | 'ends-with';

export interface TextMatch {
  value: string;
  collation: Collation;
  matchType: MatchType;
  negate: boolean;
}

export interface CalendarParamFilter {
  name: string;
  isNotDefined: boolean;
  textMatch?: TextMatch;
}

export interface CalendarPropFilter {
  name: string;
  isNotDefined: boolean;
  timeRange?: TimeRange;
  textMatch?: TextMatch;
  paramFilters: CalendarParamFilter[];
}

export interface CompFilter {
  /** Upper-case component name, e.g. 'VEVENT'. */
  name: string;
  isNotDefined: boolean;
  timeRange?: TimeRange;
  propFilters: CalendarPropFilter[];
  compFilters: CompFilter[];
}

/** A parsed C:filter: its single VCALENDAR comp-filter. */
export interface CalendarFilter {
  root: CompFilter;
}

export interface AddressbookParamFilter {
  name: string;
  isNotDefined: boolean;
  textMatch?: TextMatch;
}

export interface AddressbookPropFilter {
  /** Upper-case property name, e.g. 'EMAIL'. */
  name: string;
  test: 'anyof' | 'allof';
  isNotDefined: boolean;
  textMatches: TextMatch[];
  paramFilters: AddressbookParamFilter[];
}

export interface AddressbookFilter {
  test: 'anyof' | 'allof';
  propFilters: AddressbookPropFilter[];
}

export interface CalendarSummary {
  uid: string | undefined;
  /** Upper-case names of the top-level components other than VTIMEZONE, e.g. ['VEVENT']. */
  components: string[];
  /** ms since the epoch; undefined = unbounded (or unknown) on that side. */
  start?: number;
  end?: number;
  /**
   * For an object of VEVENTs only with at most MAX_SUMMARY_SPANS occurrences: each occurrence's
   * [start, end) as time-range matching sees it (eventSpan), so that the plain "events in this range"
   * query can be answered without parsing the object (decideFromSummary).
   */
  spans?: [number, number][];
}
