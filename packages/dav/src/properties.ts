import type { Store, Tree } from '@nymote/store';
import type { DeadProps } from './files/layout.js';
import { DEFAULT_COMPONENTS, type CollectionProps } from './layout.js';
import { homeHref, hrefOf, principalHref, type Target } from './paths.js';
import { clark, d, el, type OutElement } from './xml.js';
import { NS } from './xml-element.js';

/** The Content-Type of a file PUT without one. */
export const FILE_CONTENT_TYPE = 'application/octet-stream';
export const ICAL_NS = 'http://apple.com/ns/ical/';
export const SYNC_TOKEN_PREFIX = 'http://nymote.org/ns/sync/';

/** A resource being described: its target, and what the listing already knows of it. */
export interface Node {
  target: Target;
  href: string;
  /** Collections: their stored properties; and the tree id of the collection (the ctag and sync token). */
  meta?: CollectionProps;
  treeId?: string;
  /** Resources: the blob id. */
  etag?: string;
  /** In the file area: whether it is a folder, and what its folder's record keeps of it. */
  file?: FileFacts;
}

export interface FileFacts {
  folder: boolean;
  type?: string;
  created?: string;
  modified?: string;
  dead?: DeadProps;
}

export interface PropContext {
  user: string;
  store: Store;
  tree: Tree;
  maxResourceSize: number;
}

type Value = (OutElement | string)[];

interface PropDef {
  ns: string;
  name: string;
  /** Part of allprop (RFC 4918 9.1: the properties a client would want, not the costly or huge ones). */
  all?: boolean;
  get(n: Node, c: PropContext): Value | undefined | Promise<Value | undefined>;
}

const href = (h: string) => d('href', h);
const isCalendar = (n: Node) => n.target.type === 'collection' && n.target.kind === 'calendars';
const isAddressbook = (n: Node) => n.target.type === 'collection' && n.target.kind === 'addressbooks';
const isCollection = (n: Node) => n.target.type === 'collection';
const isResource = (n: Node) => n.target.type === 'resource';

function reports(n: Node): Value | undefined {
  const r = (ns: string, name: string) => d('supported-report', d('report', el(ns, name)));
  if (isCalendar(n)) return [r(NS.CALDAV, 'calendar-query'), r(NS.CALDAV, 'calendar-multiget'), r(NS.CALDAV, 'free-busy-query'), r(NS.DAV, 'sync-collection')];
  if (isAddressbook(n)) return [r(NS.CARDDAV, 'addressbook-query'), r(NS.CARDDAV, 'addressbook-multiget'), r(NS.DAV, 'sync-collection')];
  return [];
}

const PRIVILEGES = ['read', 'write', 'write-properties', 'write-content', 'bind', 'unbind', 'read-current-user-privilege-set'];

const DEFS: PropDef[] = [
  {
    ns: NS.DAV, name: 'resourcetype', all: true,
    get(n) {
      switch (n.target.type) {
        case 'principal': return [d('collection'), d('principal')];
        case 'collection': return [d('collection'), n.target.kind === 'calendars' ? el(NS.CALDAV, 'calendar') : el(NS.CARDDAV, 'addressbook')];
        case 'resource': return [];
        case 'files': return n.file?.folder === false ? [] : [d('collection')];
        default: return [d('collection')];
      }
    },
  },
  {
    ns: NS.DAV, name: 'displayname', all: true,
    get(n) {
      if (n.target.type === 'principal') return [n.target.user];
      return n.meta?.displayname !== undefined ? [n.meta.displayname] : undefined;
    },
  },
  { ns: NS.DAV, name: 'current-user-principal', get: (_n, c) => [href(principalHref(c.user))] },
  { ns: NS.DAV, name: 'principal-URL', get: (n) => (n.target.type === 'principal' ? [href(hrefOf(n.target))] : undefined) },
  { ns: NS.DAV, name: 'principal-collection-set', get: (n) => (n.target.type === 'principal' ? [href('/dav/principals/')] : undefined) },
  { ns: NS.DAV, name: 'owner', get: (n) => ('user' in n.target ? [href(principalHref(n.target.user))] : undefined) },
  { ns: NS.CALDAV, name: 'calendar-home-set', get: (n) => (n.target.type === 'principal' ? [href(homeHref('calendars', n.target.user))] : undefined) },
  { ns: NS.CARDDAV, name: 'addressbook-home-set', get: (n) => (n.target.type === 'principal' ? [href(homeHref('addressbooks', n.target.user))] : undefined) },
  { ns: NS.DAV, name: 'supported-report-set', get: reports },
  { ns: NS.DAV, name: 'current-user-privilege-set', get: () => PRIVILEGES.map((p) => d('privilege', d(p))) },
  { ns: NS.DAV, name: 'getetag', all: true, get: (n) => (n.etag !== undefined ? [`"${n.etag}"`] : undefined) },
  {
    ns: NS.DAV, name: 'getcontenttype', all: true,
    get(n) {
      if (n.file) return n.file.folder ? undefined : [n.file.type ?? FILE_CONTENT_TYPE];
      if (!isResource(n) || n.target.type !== 'resource') return undefined;
      return [n.target.kind === 'calendars' ? 'text/calendar; charset=utf-8' : 'text/vcard; charset=utf-8'];
    },
  },
  { ns: NS.DAV, name: 'creationdate', all: true, get: (n) => (n.file?.created !== undefined ? [n.file.created] : undefined) },
  {
    ns: NS.DAV, name: 'getlastmodified', all: true,
    get: (n) => (n.file?.modified !== undefined && !n.file.folder ? [new Date(n.file.modified).toUTCString()] : undefined),
  },
  {
    ns: NS.DAV, name: 'getcontentlength', all: true,
    async get(n, c) {
      if (n.etag === undefined) return undefined;
      return [String((await c.store.objects.blob(n.etag)).length)];
    },
  },
  { ns: NS.DAV, name: 'sync-token', get: (n) => (isCollection(n) && n.treeId ? [SYNC_TOKEN_PREFIX + n.treeId] : undefined) },
  { ns: NS.CALENDARSERVER, name: 'getctag', all: true, get: (n) => (isCollection(n) && n.treeId ? [n.treeId] : undefined) },
  {
    ns: NS.CALDAV, name: 'supported-calendar-component-set',
    get: (n) => (isCalendar(n) ? (n.meta?.components ?? DEFAULT_COMPONENTS).map((name) => ({ ns: NS.CALDAV, name: 'comp', attrs: { name } })) : undefined),
  },
  {
    ns: NS.CALDAV, name: 'supported-calendar-data',
    get: (n) => (isCalendar(n) ? [{ ns: NS.CALDAV, name: 'calendar-data', attrs: { 'content-type': 'text/calendar', version: '2.0' } }] : undefined),
  },
  {
    ns: NS.CARDDAV, name: 'supported-address-data',
    get: (n) => (isAddressbook(n)
      ? ['3.0', '4.0'].map((version) => ({ ns: NS.CARDDAV, name: 'address-data-type', attrs: { 'content-type': 'text/vcard', version } }))
      : undefined),
  },
  { ns: NS.CALDAV, name: 'max-resource-size', get: (n, c) => (isCalendar(n) ? [String(c.maxResourceSize)] : undefined) },
  { ns: NS.CARDDAV, name: 'max-resource-size', get: (n, c) => (isAddressbook(n) ? [String(c.maxResourceSize)] : undefined) },
  { ns: NS.CALDAV, name: 'calendar-description', all: true, get: (n) => (isCalendar(n) && n.meta?.description !== undefined ? [n.meta.description] : undefined) },
  { ns: NS.CARDDAV, name: 'addressbook-description', all: true, get: (n) => (isAddressbook(n) && n.meta?.description !== undefined ? [n.meta.description] : undefined) },
  { ns: NS.CALDAV, name: 'calendar-timezone', get: (n) => (isCalendar(n) && n.meta?.timezone !== undefined ? [n.meta.timezone] : undefined) },
  { ns: ICAL_NS, name: 'calendar-color', all: true, get: (n) => (isCalendar(n) && n.meta?.color !== undefined ? [n.meta.color] : undefined) },
  { ns: ICAL_NS, name: 'calendar-order', get: (n) => (isCalendar(n) && n.meta?.order !== undefined ? [n.meta.order] : undefined) },
];

const BY_NAME = new Map(DEFS.map((p) => [clark(p.ns, p.name), p]));

/** The properties a collection stores in its .collection.json fields; the rest of a PROPPATCH is kept as dead properties. */
export const STORED_FIELDS: Record<string, keyof CollectionProps> = {
  [clark(NS.DAV, 'displayname')]: 'displayname',
  [clark(NS.CALDAV, 'calendar-description')]: 'description',
  [clark(NS.CARDDAV, 'addressbook-description')]: 'description',
  [clark(NS.CALDAV, 'calendar-timezone')]: 'timezone',
  [clark(ICAL_NS, 'calendar-color')]: 'color',
  [clark(ICAL_NS, 'calendar-order')]: 'order',
};

/** Live properties a client may not set (RFC 4918 15: they are computed). */
export function isProtected(ns: string, name: string): boolean {
  const key = clark(ns, name);
  return BY_NAME.has(key) && !(key in STORED_FIELDS);
}

/** The value of a property of a node, undefined when it has none (a 404 in its propstat). */
export async function propertyValue(n: Node, ns: string, name: string, c: PropContext): Promise<Value | undefined> {
  const def = BY_NAME.get(clark(ns, name));
  if (def) {
    const live = await def.get(n, c);
    if (live !== undefined) return live;
  }
  // A file may hold, as a dead property, a name that is live on calendars only (calendar-color).
  const dead = n.file?.dead?.[clark(ns, name)] ?? n.meta?.dead?.[clark(ns, name)];
  return dead === undefined ? undefined : typeof dead === 'string' ? [dead] : dead;
}

/** The names of the properties a node has: for allprop (only the `all` ones) and propname (all). */
export async function propertyNames(n: Node, c: PropContext, forAllprop: boolean): Promise<{ ns: string; name: string }[]> {
  const out: { ns: string; name: string }[] = [];
  for (const def of DEFS) {
    if (forAllprop && !def.all) continue;
    if ((await def.get(n, c)) !== undefined) out.push({ ns: def.ns, name: def.name });
  }
  for (const key of Object.keys(n.file?.dead ?? n.meta?.dead ?? {})) {
    const m = /^\{(.*)\}(.+)$/.exec(key);
    if (m && !out.some((p) => p.ns === m[1] && p.name === m[2])) out.push({ ns: m[1]!, name: m[2]! });
  }
  return out;
}
