import { diffTrees } from '@nymote/store';
import { DavError, caldavPrecondition, carddavPrecondition, davPrecondition } from './errors.js';
import { depth, nodeOf, type DavContext } from './handler.js';
import { COLLECTION_FILE, collectionKey, isResourceName, listResources, type Kind } from './layout.js';
import { limitedResponse, multistatus, propRequest, propResponse, statusResponse, type PropRequest, type Value } from './multistatus.js';
import { hrefOf, parseTarget, type Target } from './paths.js';
import { SYNC_TOKEN_PREFIX, type Node } from './properties.js';
import { isQueryError, query as engine } from './query-engine.js';
import type { AddressDataRequest, AddressbookFilter, CalendarDataRequest, CalendarFilter, QueryError } from './query/index.js';
import { d, type OutElement } from './xml.js';
import { NS, child, children, type XmlElement } from './xml-element.js';

type CollectionTarget = Extract<Target, { type: 'collection' }>;

export async function report(ctx: DavContext): Promise<void> {
  const body = await ctx.xmlBody();
  if (!body) throw new DavError(400, 'a REPORT needs a body');
  const t = ctx.target;
  const kind = `{${body.ns}}${body.name}`;
  const request = propRequest(body);
  switch (kind) {
    case `{${NS.CALDAV}}calendar-multiget`:
    case `{${NS.CARDDAV}}addressbook-multiget`:
      return multiget(ctx, body, request, body.ns === NS.CALDAV ? 'calendars' : 'addressbooks');
    case `{${NS.CALDAV}}calendar-query`:
    case `{${NS.CARDDAV}}addressbook-query`:
      return query(ctx, body, request, body.ns === NS.CALDAV ? 'calendars' : 'addressbooks');
    case `{${NS.DAV}}sync-collection`:
      return syncCollection(ctx, body, request);
    case `{${NS.CALDAV}}free-busy-query`:
      return freeBusyQuery(ctx, body);
    default:
      throw new DavError(403, `REPORT ${body.name} is not supported on ${hrefOf(t)}`, davPrecondition('supported-report'));
  }
}

function collectionTarget(ctx: DavContext, kind: Kind): CollectionTarget {
  const t = ctx.target;
  if (t.type !== 'collection' || t.kind !== kind) {
    throw new DavError(403, `this REPORT is for a ${kind === 'calendars' ? 'calendar' : 'address book'} collection`, davPrecondition('supported-report'));
  }
  return t;
}

/**
 * A QueryError of the engine as an HTTP answer. RFC 4791 7.7 and RFC 6352 8.6 answer a malformed
 * filter with 400 valid-filter and an unsupported feature (a collation, a data type) with 403 and
 * its precondition; a malformed calendar-data or address-data has no precondition of its own and is
 * a plain 400 saying what was wrong.
 */
function queryFailure(e: QueryError, kind: Kind, fallback: string | undefined): DavError {
  const pre = e.precondition ?? fallback;
  if (pre === undefined) return new DavError(400, e.message);
  return new DavError(pre === 'valid-filter' ? 400 : 403, e.message, kind === 'calendars' ? caldavPrecondition(pre) : carddavPrecondition(pre));
}

/** Runs an engine parser, answering its QueryError; `fallback` names the precondition of errors that name none. */
function parsed<T>(parse: () => T, kind: Kind, fallback?: string): T {
  try {
    return parse();
  } catch (e) {
    if (isQueryError(e)) throw queryFailure(e, kind, fallback);
    throw e;
  }
}

const isDataElement = (kind: Kind, p: XmlElement) =>
  (kind === 'calendars' && p.ns === NS.CALDAV && p.name === 'calendar-data') || (kind === 'addressbooks' && p.ns === NS.CARDDAV && p.name === 'address-data');

/**
 * Answers calendar-data / address-data: the stored text, or what the element selects of it
 * (components, properties, expansion, a vCard version). The elements of the request's DAV:prop are
 * read before anything else, so that a bad one fails the REPORT at once with its precondition.
 */
function dataOf(ctx: DavContext, kind: Kind, request: PropRequest) {
  const requests = new Map<XmlElement, CalendarDataRequest | AddressDataRequest>();
  const requestOf = (p: XmlElement) => {
    let r = requests.get(p);
    if (!r) {
      r = parsed(() => (kind === 'calendars' ? engine.parseCalendarData(p) : engine.parseAddressData(p)), kind);
      requests.set(p, r);
    }
    return r;
  };
  if (request.type === 'prop') for (const p of request.props) if (isDataElement(kind, p)) requestOf(p);
  return (n: Node) => async (p: XmlElement): Promise<Value | undefined | null> => {
    if (!isDataElement(kind, p)) return undefined;
    if (n.etag === undefined) return null;
    const text = Buffer.from(await ctx.store.objects.blob(n.etag)).toString('utf8');
    const r = requestOf(p);
    if (kind === 'calendars') return [engine.calendarData(text, r as CalendarDataRequest)];
    const card = engine.addressData(text, r as AddressDataRequest);
    if (card === undefined) {
      throw new DavError(403, `${n.href} cannot be converted to the vCard version asked for`, carddavPrecondition('supported-address-data-conversion'));
    }
    return [card];
  };
}

function parseUtc(s: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s ?? '');
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
}

/**
 * CARDDAV:limit (RFC 6352 8.6.1): how many matching cards to return at most; undefined when the
 * request sets none.
 */
function resultLimit(body: XmlElement): number | undefined {
  const limit = child(body, NS.CARDDAV, 'limit');
  if (!limit) return undefined;
  const n = child(limit, NS.CARDDAV, 'nresults');
  const text = n?.text.trim() ?? '';
  if (!/^\d{1,9}$/.test(text)) throw new DavError(400, `limit needs an nresults of a whole number, got ${JSON.stringify(n ? text : '(none)')}`);
  return Number(text);
}

async function multiget(ctx: DavContext, body: XmlElement, request: PropRequest, kind: Kind): Promise<void> {
  const data = dataOf(ctx, kind, request);
  const responses: OutElement[] = [];
  for (const h of children(body, NS.DAV, 'href')) {
    const href = h.text.trim();
    let target: Target | undefined;
    try {
      target = parseTarget(href);
    } catch {
      target = undefined;
    }
    if (!target || target.type !== 'resource' || target.kind !== kind || target.user !== ctx.user) {
      responses.push(statusResponse(href, target && 'user' in target && target.user !== ctx.user ? 403 : 404));
      continue;
    }
    const n = await nodeOf(ctx, target);
    if (!n) responses.push(statusResponse(href, 404));
    else responses.push(await propResponse({ ...n, href }, request, ctx.props, data(n)));
  }
  ctx.sendXml(207, multistatus(...responses));
}

async function query(ctx: DavContext, body: XmlElement, request: PropRequest, kind: Kind): Promise<void> {
  const t = collectionTarget(ctx, kind);
  depth(ctx, 0);
  const filterEl = child(body, kind === 'calendars' ? NS.CALDAV : NS.CARDDAV, 'filter');
  if (kind === 'calendars' && !filterEl) throw new DavError(403, 'calendar-query needs a filter', caldavPrecondition('valid-filter'));
  const calendarFilter: CalendarFilter | undefined = filterEl && kind === 'calendars' ? parsed(() => engine.parseCalendarFilter(filterEl), kind, 'valid-filter') : undefined;
  const cardFilter: AddressbookFilter | undefined = filterEl && kind === 'addressbooks' ? parsed(() => engine.parseAddressbookFilter(filterEl), kind, 'valid-filter') : undefined;
  // Only CardDAV defines a result limit for its query (RFC 6352 8.6.1); CalDAV has none.
  const limit = kind === 'addressbooks' ? resultLimit(body) : undefined;
  const data = dataOf(ctx, kind, request);
  const responses: OutElement[] = [];
  let truncated = false;
  for (const r of await listResources(ctx.tree, t.kind, t.coll)) {
    const target: Target = { type: 'resource', kind: t.kind, user: t.user, coll: t.coll, res: r.name };
    const n: Node = { target, href: hrefOf(target), etag: r.etag };
    // The cached summary rules out most objects of a large calendar without reading them, and
    // answers the common "events in this range" query for objects with few occurrences.
    const decided = calendarFilter ? engine.decideFromSummary(await ctx.uids.summary(r.etag), calendarFilter) : undefined;
    if (decided === false) continue;
    if (decided === undefined && (calendarFilter || cardFilter)) {
      const text = Buffer.from(await ctx.store.objects.blob(r.etag)).toString('utf8');
      const ok = calendarFilter ? engine.matchCalendarObject(text, calendarFilter) : engine.matchVCard(text, cardFilter!);
      if (!ok) continue;
    }
    if (limit !== undefined && responses.length >= limit) {
      truncated = true;
      break;
    }
    responses.push(await propResponse(n, request, ctx.props, data(n)));
  }
  // RFC 6352 8.6.1 / RFC 5323 5.17: more matched than the client's limit, so the answer for the
  // collection itself is 507 with DAV:number-of-matches-within-limits.
  if (truncated) responses.push(limitedResponse(hrefOf(t), responses.length));
  ctx.sendXml(207, multistatus(...responses));
}

/** sync-collection (RFC 6578). The token is the collection's tree id: diffing two trees needs nothing else, and survives restarts. */
async function syncCollection(ctx: DavContext, body: XmlElement, request: PropRequest): Promise<void> {
  const t = ctx.target;
  if (t.type !== 'collection') throw new DavError(403, 'sync-collection is for a calendar or address book', davPrecondition('supported-report'));
  const level = child(body, NS.DAV, 'sync-level')?.text.trim() ?? '1';
  if (level !== '1') throw new DavError(403, 'only sync-level 1 is supported', davPrecondition('supported-report'));
  const node = await nodeOf(ctx, t);
  if (!node) throw new DavError(404, `nothing at ${hrefOf(t)}`);
  const token = child(body, NS.DAV, 'sync-token')?.text.trim() ?? '';
  let since: string | undefined;
  if (token !== '') {
    if (!token.startsWith(SYNC_TOKEN_PREFIX) || !/^[0-9a-f]{40}$/.test(token.slice(SYNC_TOKEN_PREFIX.length))) {
      throw new DavError(403, 'unknown sync token', davPrecondition('valid-sync-token'));
    }
    since = token.slice(SYNC_TOKEN_PREFIX.length);
    try {
      await ctx.store.objects.tree(since);
    } catch {
      throw new DavError(403, 'unknown sync token', davPrecondition('valid-sync-token'));
    }
  }
  const data = dataOf(ctx, t.kind, request);
  const responses: OutElement[] = [];
  const prefix = collectionKey(t.kind, t.coll);
  for await (const change of diffTrees(ctx.store.objects, since, node.treeId, prefix)) {
    const name = change.key.slice(prefix.length + 1);
    if (name.includes('/') || !isResourceName(name) || name === COLLECTION_FILE) continue;
    const target: Target = { type: 'resource', kind: t.kind, user: t.user, coll: t.coll, res: name };
    if (change.new === undefined) {
      responses.push(statusResponse(hrefOf(target), 404));
    } else {
      const n: Node = { target, href: hrefOf(target), etag: change.new };
      responses.push(await propResponse(n, request, ctx.props, data(n)));
    }
  }
  ctx.sendXml(207, d('multistatus', ...responses, d('sync-token', SYNC_TOKEN_PREFIX + node.treeId!)));
}

async function freeBusyQuery(ctx: DavContext, body: XmlElement): Promise<void> {
  const t = collectionTarget(ctx, 'calendars');
  const range = child(body, NS.CALDAV, 'time-range');
  const start = parseUtc(range?.attrs['start']);
  const end = parseUtc(range?.attrs['end']);
  if (!start || !end) throw new DavError(400, 'free-busy-query needs a time-range with start and end in UTC', caldavPrecondition('valid-filter'));
  const texts: string[] = [];
  for (const r of await listResources(ctx.tree, t.kind, t.coll)) texts.push(Buffer.from(await ctx.store.objects.blob(r.etag)).toString('utf8'));
  ctx.send(200, engine.freeBusy(texts, start, end), { 'Content-Type': 'text/calendar; charset=utf-8' });
}
