import ICAL from 'ical.js';
import { DavError, caldavPrecondition, carddavPrecondition } from './errors.js';

/** What a PUT needs to know of a calendar object resource, and what its commit message says. */
export interface CalendarInfo {
  uid: string;
  /** The component type (VEVENT, VTODO, ...), the same for every component of the resource. */
  component: string;
  summary: string | undefined;
}

export interface VCardInfo {
  uid: string | undefined;
  name: string | undefined;
}

type JCal = [string, [string, Record<string, unknown>, string, ...unknown[]][], JCal[]];

function parseOne(text: string, expected: string, bad: () => DavError): JCal {
  let parsed: unknown;
  try {
    parsed = ICAL.parse(text);
  } catch (e) {
    throw withReason(bad(), (e as Error).message);
  }
  const list = (Array.isArray(parsed) && Array.isArray(parsed[0]) ? parsed : [parsed]) as JCal[];
  if (list.length !== 1) throw withReason(bad(), `expected one ${expected.toUpperCase()}, found ${list.length} components`);
  const root = list[0]!;
  if (root[0] !== expected) throw withReason(bad(), `expected a ${expected.toUpperCase()}, found ${String(root[0]).toUpperCase()}`);
  return root;
}

function withReason(e: DavError, reason: string): DavError {
  return new DavError(e.status, `${e.message}: ${reason}`, e.precondition);
}

function prop(c: JCal, name: string): unknown {
  return c[1].find((p) => p[0] === name)?.[3];
}

/**
 * Checks a calendar object resource as RFC 4791 4.1 and 5.3.2 ask: one VCALENDAR, components of one
 * type (besides VTIMEZONE) sharing one UID, no METHOD, a type the calendar accepts.
 */
export function validateCalendarObject(text: string, accepted: readonly string[]): CalendarInfo {
  const bad = () => new DavError(403, 'not valid iCalendar', caldavPrecondition('valid-calendar-data'));
  const badObject = (why: string) => new DavError(403, `not a valid calendar object resource: ${why}`, caldavPrecondition('valid-calendar-object-resource'));
  const root = parseOne(text, 'vcalendar', bad);
  try {
    new ICAL.Component(root as unknown as unknown[]).getAllSubcomponents();
  } catch (e) {
    throw withReason(bad(), (e as Error).message);
  }
  if (prop(root, 'method') !== undefined) throw badObject('a stored calendar object carries no METHOD');
  const components = root[2].filter((c) => c[0] !== 'vtimezone');
  if (components.length === 0) throw badObject('no VEVENT, VTODO, VJOURNAL or VFREEBUSY in it');
  const types = new Set(components.map((c) => c[0].toUpperCase()));
  if (types.size > 1) throw badObject(`components of different types (${[...types].join(', ')})`);
  const component = [...types][0]!;
  const uids = new Set(components.map((c) => prop(c, 'uid')));
  if (uids.has(undefined) || uids.has('')) throw badObject(`a ${component} without UID`);
  if (uids.size > 1) throw badObject('components with different UIDs');
  if (!accepted.includes(component)) {
    throw new DavError(403, `this calendar does not take ${component} (it takes ${accepted.join(', ')})`, caldavPrecondition('supported-calendar-component'));
  }
  const master = components.find((c) => prop(c, 'recurrence-id') === undefined) ?? components[0]!;
  const summary = prop(master, 'summary');
  return { uid: String([...uids][0]), component, summary: typeof summary === 'string' ? summary : undefined };
}

/** Checks an address object resource (RFC 6352 5.1): one vCard, version 3.0 or 4.0, with FN. */
export function validateVCard(text: string): VCardInfo {
  const bad = () => new DavError(403, 'not a valid vCard', carddavPrecondition('valid-address-data'));
  const card = parseOne(text, 'vcard', bad);
  const version = prop(card, 'version');
  if (version !== '3.0' && version !== '4.0') {
    throw new DavError(403, `vCard version ${String(version ?? '(none)')} is not supported (3.0 and 4.0 are)`, carddavPrecondition('supported-address-data'));
  }
  const fn = prop(card, 'fn');
  if (typeof fn !== 'string') throw withReason(bad(), 'it has no FN');
  const uid = prop(card, 'uid');
  return { uid: typeof uid === 'string' && uid !== '' ? uid : undefined, name: fn };
}

/** The UID of stored text, parsed leniently (stored data was valid when written; this is for the index). */
export function uidOf(text: string): string | undefined {
  try {
    const parsed = ICAL.parse(text) as unknown;
    const root = (Array.isArray(parsed) && Array.isArray(parsed[0]) ? parsed[0] : parsed) as JCal;
    if (root[0] === 'vcard') return prop(root, 'uid') as string | undefined;
    const c = root[2].find((x) => x[0] !== 'vtimezone');
    return c ? (prop(c, 'uid') as string | undefined) : undefined;
  } catch {
    return undefined;
  }
}
