import { DavError, caldavPrecondition, davPrecondition } from './errors.js';
import type { DavContext } from './handler.js';
import { DEFAULT_COMPONENTS, encodeCollection, isCollectionName, metaKey, readCollection, type CollectionProps } from './layout.js';
import { status } from './multistatus.js';
import { hrefOf } from './paths.js';
import { STORED_FIELDS, isProtected } from './properties.js';
import { clark, d, el, type OutElement } from './xml.js';
import { NS, child, type XmlElement } from './xml-element.js';

/** The text a property value is stored as: its text, or its XML children written back out. */
function valueText(p: XmlElement): string {
  return p.children.length === 0 ? p.text : p.text.trim();
}

export interface Change { prop: XmlElement; remove: boolean }

/** Applies property changes to collection properties; returns the failures (status by property). */
function applyChanges(props: CollectionProps, changes: Change[], creating: boolean): Map<XmlElement, number> {
  const failed = new Map<XmlElement, number>();
  for (const { prop, remove } of changes) {
    const key = clark(prop.ns, prop.name);
    if (key === clark(NS.CALDAV, 'supported-calendar-component-set')) {
      if (!creating) { failed.set(prop, 403); continue; }
      const comps = prop.children.filter((c) => c.ns === NS.CALDAV && c.name === 'comp').map((c) => (c.attrs['name'] ?? '').toUpperCase());
      if (comps.length === 0 || comps.some((c) => !['VEVENT', 'VTODO', 'VJOURNAL', 'VFREEBUSY', 'VAVAILABILITY'].includes(c))) { failed.set(prop, 403); continue; }
      props.components = comps;
      continue;
    }
    if (key === clark(NS.DAV, 'resourcetype')) {
      if (!creating) failed.set(prop, 403);
      continue; // checked by MKCOL itself
    }
    const field = STORED_FIELDS[key];
    if (field) {
      if (remove) delete props[field];
      else (props as Record<string, unknown>)[field] = valueText(prop);
      continue;
    }
    if (isProtected(prop.ns, prop.name)) { failed.set(prop, 403); continue; }
    const dead = { ...(props.dead ?? {}) };
    if (remove) delete dead[key];
    else dead[key] = valueText(prop);
    props.dead = dead;
    if (Object.keys(dead).length === 0) delete props.dead;
  }
  return failed;
}

/** The set and remove instructions of a propertyupdate (PROPPATCH) or the set of a mkcol / mkcalendar, in order. */
export function changesOf(body: XmlElement): Change[] {
  const out: Change[] = [];
  for (const c of body.children) {
    if (c.ns !== NS.DAV || (c.name !== 'set' && c.name !== 'remove')) continue;
    for (const prop of child(c, NS.DAV, 'prop')?.children ?? []) out.push({ prop, remove: c.name === 'remove' });
  }
  return out;
}

export async function proppatch(ctx: DavContext): Promise<void> {
  const t = ctx.target;
  const body = await ctx.xmlBody();
  if (!body || body.ns !== NS.DAV || body.name !== 'propertyupdate') throw new DavError(400, 'the body of a PROPPATCH is a DAV:propertyupdate');
  if (t.type !== 'collection') {
    if (t.type === 'resource' && !(await ctx.tree.get(`${t.kind}/${t.coll}/${t.res}`))) throw new DavError(404, `nothing at ${hrefOf(t)}`);
    throw new DavError(403, 'only the properties of calendars and address books can be changed', davPrecondition('cannot-modify-protected-property'));
  }
  const changes = changesOf(body);
  const current = await readCollection(ctx.tree, t.kind, t.coll);
  if (!current) throw new DavError(404, `no collection at ${hrefOf(t)}`);
  const label = `${t.kind === 'calendars' ? 'calendar' : 'address book'} ${current.displayname ?? t.coll}`;
  const failed = await ctx.commit(`Change the properties of ${label}`, async (tree) => {
    const props = { ...((await readCollection(tree, t.kind, t.coll)) ?? current) };
    const failed = applyChanges(props, changes, false);
    // PROPPATCH is all or nothing (RFC 4918 9.2).
    if (failed.size === 0) await tree.set(metaKey(t.kind, t.coll), encodeCollection(props));
    return failed;
  });
  ctx.sendXml(207, proppatchResponse(hrefOf(t), changes, failed));
}

/** The multistatus of a PROPPATCH: 200 for every property, or the failures and 424 for the rest. */
export function proppatchResponse(href: string, changes: Change[], failed: Map<XmlElement, number>): OutElement {
  const byStatus = new Map<number, OutElement[]>();
  for (const { prop } of changes) {
    const code = failed.size === 0 ? 200 : failed.get(prop) ?? 424;
    byStatus.set(code, [...(byStatus.get(code) ?? []), el(prop.ns, prop.name)]);
  }
  const propstats = [...byStatus].map(([code, props]) => d('propstat', d('prop', ...props), status(code)));
  // An empty propertyupdate changed nothing, successfully; a response still needs a status.
  return d('multistatus', d('response', d('href', href), ...(propstats.length > 0 ? propstats : [status(200)])));
}

/**
 * The XML body of a MKCOL or MKCALENDAR. RFC 4918 9.3: a MKCOL body we cannot understand is 415,
 * whatever the URL (litmus mkcol_with_body). The Content-Type is not trusted for this: clients label
 * XML bodies text/plain, or nothing.
 */
export async function mkcolBody(ctx: DavContext, method: 'MKCOL' | 'MKCALENDAR'): Promise<XmlElement | undefined> {
  try {
    return await ctx.xmlBody();
  } catch (e) {
    if (method === 'MKCOL' && e instanceof DavError && e.status === 400) throw new DavError(415, `the body of MKCOL is not XML: ${e.message}`);
    throw e;
  }
}

/** MKCALENDAR (RFC 4791 5.3.1) and MKCOL, plain or extended (RFC 5689), for calendars and address books. */
export async function mkcollection(ctx: DavContext, method: 'MKCOL' | 'MKCALENDAR'): Promise<void> {
  const t = ctx.target;
  const body = await mkcolBody(ctx, method);
  if (t.type !== 'collection') {
    if (t.type === 'resource') throw new DavError(409, 'collections are made directly in the calendar or address book home');
    throw new DavError(405, 'something already exists here', davPrecondition('resource-must-be-null'));
  }
  if (method === 'MKCALENDAR' && t.kind !== 'calendars') throw new DavError(403, 'calendars are made under /dav/calendars/NAME/', caldavPrecondition('calendar-collection-location-ok'));
  if (!isCollectionName(t.coll)) throw new DavError(403, `"${t.coll}" cannot be a collection name`);
  const expected = method === 'MKCALENDAR' ? 'mkcalendar' : 'mkcol';
  if (body && !(body.name === expected && body.ns === (method === 'MKCALENDAR' ? NS.CALDAV : NS.DAV))) {
    throw new DavError(method === 'MKCOL' ? 415 : 400, `the body of ${method} is a ${expected} element`);
  }
  const changes = body ? changesOf(body) : [];
  const resourcetype = changes.find((c) => c.prop.ns === NS.DAV && c.prop.name === 'resourcetype')?.prop;
  if (resourcetype) {
    const wanted = t.kind === 'calendars' ? { ns: NS.CALDAV, name: 'calendar' } : { ns: NS.CARDDAV, name: 'addressbook' };
    if (!resourcetype.children.some((c) => c.ns === wanted.ns && c.name === wanted.name)) {
      throw new DavError(403, `only ${wanted.name} collections can be made here`, davPrecondition('valid-resourcetype'));
    }
  }
  const props: CollectionProps = t.kind === 'calendars' ? { components: DEFAULT_COMPONENTS } : {};
  const failed = applyChanges(props, changes, true);
  if (failed.size > 0) {
    const propstats = changes.map(({ prop }) => d('propstat', d('prop', el(prop.ns, prop.name)), status(failed.get(prop) ?? 424)));
    const root = method === 'MKCALENDAR' ? el(NS.CALDAV, 'mkcalendar-response', ...propstats) : d('mkcol-response', ...propstats);
    return ctx.sendXml(403, root);
  }
  const label = `${t.kind === 'calendars' ? 'calendar' : 'address book'} ${props.displayname ?? t.coll}`;
  await ctx.commit(`Create ${label}`, async (tree) => {
    if ((await tree.kind(`${t.kind}/${t.coll}`)) !== undefined) throw new DavError(405, `${hrefOf(t)} already exists`, davPrecondition('resource-must-be-null'));
    await tree.set(metaKey(t.kind, t.coll), encodeCollection(props));
  });
  ctx.send(201, undefined, { Location: hrefOf(t), 'Cache-Control': 'no-cache' });
}
