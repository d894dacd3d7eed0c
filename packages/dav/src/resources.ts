import type { Tree } from '@nymote/store';
import { utf8 } from './body.js';
import { checkConditions } from './conditions.js';
import { DavError, caldavPrecondition, carddavPrecondition, davPrecondition } from './errors.js';
import type { DavContext } from './handler.js';
import {
  DEFAULT_COMPONENTS, blobId, collectionKey, isResourceName, listResources, readCollection, resourceKey, type CollectionProps, type Kind,
} from './layout.js';
import { hrefOf, parseTarget, type Target } from './paths.js';
import { validateCalendarObject, validateVCard } from './validate.js';

type ResourceTarget = Extract<Target, { type: 'resource' }>;

const contentType = (kind: Kind) => (kind === 'calendars' ? 'text/calendar; charset=utf-8' : 'text/vcard; charset=utf-8');
const label = (kind: Kind, meta: CollectionProps | undefined, coll: string) =>
  `${kind === 'calendars' ? 'calendar' : 'address book'} ${meta?.displayname ?? coll}`;

export async function getResource(ctx: DavContext): Promise<void> {
  const t = ctx.target;
  if (t.type !== 'resource') {
    // Browsers and curl get a word rather than an error; DAV clients never GET a collection.
    return ctx.send(200, 'Nymote contacts and calendars (CalDAV, CardDAV)\n', { 'Content-Type': 'text/plain; charset=utf-8' });
  }
  const key = resourceKey(t.kind, t.coll, t.res);
  const bytes = isResourceName(t.res) && (await ctx.tree.kind(key)) === 'value' ? await ctx.tree.get(key) : undefined;
  if (!bytes) throw new DavError(404, `nothing at ${hrefOf(t)}`);
  const etag = blobId(bytes);
  const headers = { ETag: `"${etag}"`, 'Content-Type': contentType(t.kind) };
  if (checkConditions(ctx.req, etag, true) === 304) return ctx.send(304, undefined, { ETag: headers.ETag });
  ctx.send(200, bytes, headers);
}

interface Checked { uid: string | undefined; what: string }

/** Validates a body for a collection; the description is what the commit message calls it. */
function checkContent(kind: Kind, text: string, meta: CollectionProps): Checked {
  if (kind === 'calendars') {
    const info = validateCalendarObject(text, meta.components ?? DEFAULT_COMPONENTS);
    const noun = { VEVENT: 'event', VTODO: 'task', VJOURNAL: 'journal entry', VFREEBUSY: 'free/busy' }[info.component] ?? info.component;
    return { uid: info.uid, what: `${noun} ${info.summary ?? info.uid}` };
  }
  const info = validateVCard(text);
  return { uid: info.uid, what: `contact ${info.name ?? info.uid ?? ''}`.trim() };
}

/** Throws no-uid-conflict when another resource of the collection has `uid` (RFC 4791 5.3.2.1, RFC 6352 6.3.2.1). */
async function checkUid(ctx: DavContext, tree: Tree, t: ResourceTarget, uid: string | undefined, except: string[]): Promise<void> {
  if (uid === undefined) return;
  for (const r of await listResources(tree, t.kind, t.coll)) {
    if (except.includes(r.name)) continue;
    if ((await ctx.uids.uid(r.etag)) === uid) {
      const other = hrefOf({ ...t, res: r.name });
      const pre = t.kind === 'calendars' ? caldavPrecondition('no-uid-conflict', other) : carddavPrecondition('no-uid-conflict', other);
      throw new DavError(403, `UID ${uid} is already used by ${other}`, pre);
    }
  }
}

export async function putResource(ctx: DavContext): Promise<void> {
  const t = ctx.target;
  if (t.type !== 'resource') throw new DavError(405, 'PUT goes to a resource inside a calendar or address book', undefined, { Allow: 'OPTIONS, PROPFIND, PROPPATCH, DELETE, REPORT, MKCOL, MKCALENDAR' });
  if (!isResourceName(t.res)) throw new DavError(403, `"${t.res}" cannot be a resource name`);
  const meta = await readCollection(ctx.tree, t.kind, t.coll);
  if (!meta) throw new DavError(409, `no collection at ${hrefOf({ ...t, type: 'collection' })}`);
  const bytes = await ctx.body();
  if (bytes.length > ctx.maxResourceSize) {
    throw new DavError(403, `larger than ${ctx.maxResourceSize} bytes`, t.kind === 'calendars' ? caldavPrecondition('max-resource-size') : carddavPrecondition('max-resource-size'));
  }
  const text = utf8(bytes, 'the body');
  const checked = checkContent(t.kind, text, meta);
  const key = resourceKey(t.kind, t.coll, t.res);
  const existed = (await ctx.tree.kind(key)) === 'value';
  const etag = blobId(bytes);
  ctx.uids.remember(etag, checked.uid);
  const where = label(t.kind, meta, t.coll);
  const created = await ctx.commit(existed ? `Change ${checked.what} in ${where}` : `Add ${checked.what} to ${where}`, async (tree) => {
    if ((await tree.kind(key)) === 'tree') throw new DavError(409, `${hrefOf(t)} is not a resource`);
    const current = await tree.idOf(key);
    checkConditions(ctx.req, current);
    if (!(await readCollection(tree, t.kind, t.coll))) throw new DavError(409, `no collection at ${hrefOf({ ...t, type: 'collection' })}`);
    await checkUid(ctx, tree, t, checked.uid, [t.res]);
    await tree.set(key, bytes);
    return current === undefined;
  });
  ctx.send(created ? 201 : 204, undefined, { ETag: `"${etag}"` });
}

export async function deleteTarget(ctx: DavContext): Promise<void> {
  const t = ctx.target;
  if (t.type === 'collection') {
    const meta = await readCollection(ctx.tree, t.kind, t.coll);
    if (!meta) throw new DavError(404, `nothing at ${hrefOf(t)}`);
    await ctx.commit(`Delete ${label(t.kind, meta, t.coll)}`, async (tree) => {
      checkConditions(ctx.req, await tree.idOf(collectionKey(t.kind, t.coll)));
      await tree.remove(collectionKey(t.kind, t.coll));
    });
    return ctx.send(204);
  }
  if (t.type !== 'resource') throw new DavError(403, `${hrefOf(t)} cannot be deleted`);
  const key = resourceKey(t.kind, t.coll, t.res);
  const bytes = isResourceName(t.res) && (await ctx.tree.kind(key)) === 'value' ? await ctx.tree.get(key) : undefined;
  if (!bytes) throw new DavError(404, `nothing at ${hrefOf(t)}`);
  const meta = await readCollection(ctx.tree, t.kind, t.coll);
  const what = describe(t.kind, bytes);
  await ctx.commit(`Delete ${what} from ${label(t.kind, meta, t.coll)}`, async (tree) => {
    const current = (await tree.kind(key)) === 'value' ? await tree.idOf(key) : undefined;
    if (current === undefined) throw new DavError(404, `nothing at ${hrefOf(t)}`);
    checkConditions(ctx.req, current);
    await tree.remove(key);
  });
  ctx.send(204);
}

/** Words for a stored resource in a commit message, best effort (it was valid when stored). */
function describe(kind: Kind, bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('utf8');
  try {
    return checkContent(kind, text, { components: ['VEVENT', 'VTODO', 'VJOURNAL', 'VFREEBUSY', 'VAVAILABILITY'] }).what;
  } catch {
    return kind === 'calendars' ? 'calendar object' : 'contact';
  }
}

/** COPY and MOVE (RFC 4918 9.8, 9.9) of resources, and of whole collections within a home. */
export async function copyOrMove(ctx: DavContext, method: 'COPY' | 'MOVE'): Promise<void> {
  const t = ctx.target;
  const destHeader = ctx.req.headers['destination'];
  if (typeof destHeader !== 'string') throw new DavError(400, `${method} needs a Destination header`);
  const dest = parseTarget(destHeader);
  if (!dest || !('user' in dest)) throw new DavError(502, `the destination is not on this server: ${destHeader}`);
  if (dest.user !== ctx.user) throw new DavError(403, 'the destination belongs to another user', davPrecondition('need-privileges'));
  const overwrite = String(ctx.req.headers['overwrite'] ?? 'T').toUpperCase() !== 'F';
  if (t.type === 'collection' && dest.type === 'collection' && dest.kind === t.kind) return copyCollection(ctx, t, dest, method, overwrite);
  if (t.type !== 'resource') throw new DavError(403, `${method} of ${hrefOf(t)} is not supported`);
  if (dest.type !== 'resource' || dest.kind !== t.kind) throw new DavError(409, `a ${t.kind === 'calendars' ? 'calendar object' : 'vCard'} goes into another ${t.kind === 'calendars' ? 'calendar' : 'address book'}`);
  if (!isResourceName(dest.res)) throw new DavError(403, `"${dest.res}" cannot be a resource name`);
  const from = resourceKey(t.kind, t.coll, t.res);
  const to = resourceKey(dest.kind, dest.coll, dest.res);
  if (from === to) throw new DavError(403, 'the source and the destination are the same');
  const bytes = isResourceName(t.res) && (await ctx.tree.kind(from)) === 'value' ? await ctx.tree.get(from) : undefined;
  if (!bytes) throw new DavError(404, `nothing at ${hrefOf(t)}`);
  const destMeta = await readCollection(ctx.tree, dest.kind, dest.coll);
  if (!destMeta) throw new DavError(409, `no collection at ${hrefOf({ ...dest, type: 'collection' })}`);
  const checked = checkContent(t.kind, Buffer.from(bytes).toString('utf8'), destMeta);
  const srcMeta = await readCollection(ctx.tree, t.kind, t.coll);
  const message = method === 'MOVE'
    ? (t.coll === dest.coll ? `Rename ${checked.what} in ${label(t.kind, srcMeta, t.coll)}` : `Move ${checked.what} from ${label(t.kind, srcMeta, t.coll)} to ${label(dest.kind, destMeta, dest.coll)}`)
    : `Copy ${checked.what} to ${label(dest.kind, destMeta, dest.coll)}`;
  const created = await ctx.commit(message, async (tree) => {
    const source = (await tree.kind(from)) === 'value' ? await tree.get(from) : undefined;
    if (!source) throw new DavError(404, `nothing at ${hrefOf(t)}`);
    checkConditions(ctx.req, await tree.idOf(from));
    const existing = await tree.kind(to);
    if (existing === 'tree') throw new DavError(409, `${hrefOf(dest)} is not a resource`);
    if (existing === 'value' && !overwrite) throw new DavError(412, `${hrefOf(dest)} exists and Overwrite is F`);
    await checkUid(ctx, tree, dest, checked.uid, method === 'MOVE' && t.coll === dest.coll ? [dest.res, t.res] : [dest.res]);
    await tree.set(to, source);
    if (method === 'MOVE') await tree.remove(from);
    return existing === undefined;
  });
  ctx.send(created ? 201 : 204, undefined, created ? { Location: hrefOf(dest) } : {});
}

async function copyCollection(ctx: DavContext, t: Extract<Target, { type: 'collection' }>, dest: Extract<Target, { type: 'collection' }>, method: 'COPY' | 'MOVE', overwrite: boolean): Promise<void> {
  if (t.coll === dest.coll) throw new DavError(403, 'the source and the destination are the same');
  const meta = await readCollection(ctx.tree, t.kind, t.coll);
  if (!meta) throw new DavError(404, `nothing at ${hrefOf(t)}`);
  const what = label(t.kind, meta, t.coll);
  const created = await ctx.commit(method === 'MOVE' ? `Rename ${what} to ${dest.coll}` : `Copy ${what} to ${dest.coll}`, async (tree) => {
    const id = await tree.idOf(collectionKey(t.kind, t.coll));
    if (!id) throw new DavError(404, `nothing at ${hrefOf(t)}`);
    const existing = await tree.kind(collectionKey(dest.kind, dest.coll));
    if (existing !== undefined && !overwrite) throw new DavError(412, `${hrefOf(dest)} exists and Overwrite is F`);
    // A copy would hold the same UIDs as its source; that is allowed across collections.
    if (existing !== undefined) await tree.remove(collectionKey(dest.kind, dest.coll));
    await tree.setObject(collectionKey(dest.kind, dest.coll), '40000', id);
    if (method === 'MOVE') await tree.remove(collectionKey(t.kind, t.coll));
    return existing === undefined;
  });
  ctx.send(created ? 201 : 204, undefined, created ? { Location: hrefOf(dest) } : {});
}
