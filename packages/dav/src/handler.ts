import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Accounts } from '@nymote/accounts';
import { dataBranch } from '@nymote/accounts';
import { isStoreError, type Author, type Store, type Tree } from '@nymote/store';
import { Authenticator } from './auth.js';
import { readBody, utf8 } from './body.js';
import { DavError, davPrecondition } from './errors.js';
import {
  COLLECTION_FILE, DEFAULT_COLLECTION, DEFAULT_COMPONENTS, collectionKey, encodeCollection, listCollections, listResources,
  metaKey, readCollection,
} from './layout.js';
import { propRequest, propResponse, multistatus } from './multistatus.js';
import { hrefOf, parseTarget, type Target } from './paths.js';
import type { Node, PropContext } from './properties.js';
import { proppatch, mkcollection } from './collections.js';
import { filesHomeNode, serveFiles } from './files/index.js';
import { copyOrMove, deleteTarget, getResource, putResource } from './resources.js';
import { report } from './reports.js';
import { UidIndex } from './uid-index.js';
import { XmlError, el, parseXml, serialize, type OutElement } from './xml.js';
import type { XmlElement } from './xml-element.js';

export interface DavHandlerOptions {
  store: Store;
  accounts: Accounts;
  /** Largest request body taken (413 beyond). Default 10 MiB. */
  maxBodyBytes?: number;
  /** Largest calendar object or vCard stored (CALDAV/CARDDAV:max-resource-size). Default 2 MiB. */
  maxResourceSize?: number;
  /** One line per request (method, path, status, user). */
  log?: (line: string) => void;
  /** The author of a user's commits. Default: NAME <NAME@nymote.invalid>. */
  authorOf?: (user: string) => Author;
}

/** What every method handler gets: the request, who made it, and a snapshot of their branch. */
export interface DavContext {
  req: IncomingMessage;
  res: ServerResponse;
  user: string;
  target: Target;
  store: Store;
  branch: string;
  tree: Tree;
  props: PropContext;
  uids: UidIndex;
  maxBodyBytes: number;
  maxResourceSize: number;
  author: Author;
  /** Runs `edit` on the head of the user's branch as one commit; DavErrors thrown by `edit` abort it. */
  commit<R>(message: string, edit: (tree: Tree) => Promise<R>): Promise<R>;
  body(): Promise<Buffer>;
  xmlBody(): Promise<XmlElement | undefined>;
  send(status: number, body?: string | Uint8Array, headers?: Record<string, string>): void;
  sendXml(status: number, root: OutElement, headers?: Record<string, string>): void;
}

const ALLOW = 'OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, MKCALENDAR, COPY, MOVE, REPORT';
const DAV_HEADER = '1, 3, extended-mkcol, calendar-access, addressbook';

export type DavHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** A node:http request handler serving CalDAV and CardDAV under /dav/ (and the well-known redirects). */
export function createDavHandler(options: DavHandlerOptions): DavHandler {
  const { store } = options;
  const auth = new Authenticator(options.accounts);
  const uids = new UidIndex(store);
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  const maxResourceSize = options.maxResourceSize ?? 2 * 1024 * 1024;
  const authorOf = options.authorOf ?? ((user: string) => ({ name: user, email: `${user}@nymote.invalid` }));
  const initialized = new Set<string>();

  return async (req, res) => {
    const method = (req.method ?? 'GET').toUpperCase();
    let user = '-';
    const send = (status: number, body?: string | Uint8Array, headers: Record<string, string> = {}) => {
      if (res.headersSent) return;
      const bytes = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      res.writeHead(status, { ...(bytes ? { 'Content-Length': String(bytes.length) } : { 'Content-Length': '0' }), ...headers });
      res.end(method === 'HEAD' ? undefined : bytes);
      options.log?.(`${method} ${req.url} ${status} ${user}`);
    };
    try {
      const path = (req.url ?? '/').split('?')[0]!;
      if (/^\/\.well-known\/(caldav|carddav)\/?$/.test(path)) return send(301, undefined, { Location: '/dav/' });
      if (method === 'OPTIONS') return send(200, undefined, { DAV: DAV_HEADER, Allow: ALLOW });
      // Clients that start from the server's address PROPFIND "/" before trying the well-known URLs.
      const target = path === '/' ? { type: 'root' as const } : parseTarget(path);
      if (!target) {
        // Deeper than a resource: the parent collection cannot exist, which RFC 4918 9.3.1 and 9.7.1 make a 409 for a write.
        if (['PUT', 'MKCOL', 'MKCALENDAR'].includes(method) && /^\/dav\/(calendars|addressbooks)\/[^/]+\/[^/]+\/[^/]+\/./.test(path)) {
          throw new DavError(409, `no collection can hold ${path}`);
        }
        throw new DavError(404, `nothing at ${path}`);
      }
      user = await auth.authenticate(req);
      if ('user' in target && target.user !== user) throw new DavError(403, `${hrefOf(target)} belongs to another user`, davPrecondition('need-privileges'));
      const branch = dataBranch(user);
      if (!initialized.has(user)) {
        await ensureDefaults(store, branch, authorOf(user));
        initialized.add(user);
      }
      const tree = await store.tree(branch);
      let body: Promise<Buffer> | undefined;
      const ctx: DavContext = {
        req, res, user, target, store, branch, tree, uids, maxBodyBytes, maxResourceSize,
        author: authorOf(user),
        props: { user, store, tree, maxResourceSize },
        async commit(message, edit) {
          // The store makes this process's writes to a branch in turn and stores those that wait together
          // (its group commit): with a few clients PUTting into a calendar of thousands of events, optimistic
          // retries of each edit (a UID check over the collection) against the others would starve.
          return (await store.update(async (t) => await edit(t), { branch, message, author: authorOf(user) })).result;
        },
        body: () => (body ??= readBody(req, maxBodyBytes)),
        async xmlBody() {
          const bytes = await ctx.body();
          if (bytes.length === 0) return undefined;
          try {
            return parseXml(utf8(bytes, 'the XML body'));
          } catch (e) {
            if (e instanceof XmlError) throw new DavError(400, e.message);
            throw e;
          }
        },
        send,
        sendXml: (status, root, headers = {}) => send(status, serialize(root), { 'Content-Type': 'application/xml; charset=utf-8', ...headers }),
      };
      if (target.type === 'files') return await serveFiles(ctx, target, method, ALLOW);
      switch (method) {
        case 'PROPFIND': return await propfind(ctx);
        case 'PROPPATCH': return await proppatch(ctx);
        case 'MKCOL': case 'MKCALENDAR': return await mkcollection(ctx, method);
        case 'GET': case 'HEAD': return await getResource(ctx);
        case 'PUT': return await putResource(ctx);
        case 'DELETE': return await deleteTarget(ctx);
        case 'COPY': case 'MOVE': return await copyOrMove(ctx, method);
        case 'REPORT': return await report(ctx);
        default: throw new DavError(405, `${method} is not supported`, undefined, { Allow: ALLOW });
      }
    } catch (e) {
      if (!req.complete) req.resume();
      if (e instanceof DavError) {
        if (e.precondition) {
          const { ns, name, href } = e.precondition;
          const root = el('DAV:', 'error', el(ns, name, ...(href !== undefined ? [el('DAV:', 'href', href)] : [])));
          return send(e.status, serialize(root), { 'Content-Type': 'application/xml; charset=utf-8', ...e.headers });
        }
        return send(e.status, `${e.message}\n`, { 'Content-Type': 'text/plain; charset=utf-8', ...e.headers });
      }
      if (isStoreError(e, 'invalid-key')) return send(400, `${(e as Error).message}\n`, { 'Content-Type': 'text/plain; charset=utf-8' });
      options.log?.(`error: ${method} ${req.url}: ${(e as Error).stack ?? String(e)}`);
      if (res.headersSent) res.destroy();
      else send(500, 'internal error\n', { 'Content-Type': 'text/plain; charset=utf-8' });
    }
  };
}

/**
 * A user's first visit creates a calendar and an address book, as Radicale and Nextcloud do, so a
 * phone set up with just the server's address has somewhere to put things. Later visits, even after
 * the user deleted them, leave the branch alone once either home exists.
 */
async function ensureDefaults(store: Store, branch: string, author: Author): Promise<void> {
  await store.update(async (t) => {
    if ((await t.kind('calendars')) !== undefined || (await t.kind('addressbooks')) !== undefined) return;
    await t.set(metaKey('calendars', DEFAULT_COLLECTION), encodeCollection({ displayname: 'Calendar', components: DEFAULT_COMPONENTS }));
    await t.set(metaKey('addressbooks', DEFAULT_COLLECTION), encodeCollection({ displayname: 'Contacts' }));
  }, { branch, author, message: 'Create the default calendar and address book' });
}

/** The node a target names on the snapshot, or undefined if nothing is there. */
export async function nodeOf(ctx: DavContext, target: Target): Promise<Node | undefined> {
  const href = hrefOf(target);
  switch (target.type) {
    case 'collection': {
      const meta = await readCollection(ctx.tree, target.kind, target.coll);
      if (!meta) return undefined;
      return { target, href, meta, treeId: (await ctx.tree.idOf(collectionKey(target.kind, target.coll)))! };
    }
    case 'resource': {
      if (target.res === COLLECTION_FILE || !(await readCollection(ctx.tree, target.kind, target.coll))) return undefined;
      const id = (await ctx.tree.kind(`${target.kind}/${target.coll}/${target.res}`)) === 'value'
        ? await ctx.tree.idOf(`${target.kind}/${target.coll}/${target.res}`) : undefined;
      return id ? { target, href, etag: id } : undefined;
    }
    default:
      return { target, href };
  }
}

async function childrenOf(ctx: DavContext, node: Node): Promise<Node[]> {
  const t = node.target;
  const out: Node[] = [];
  if (t.type === 'root') {
    for (const x of [{ type: 'principal', user: ctx.user }, { type: 'home', kind: 'calendars', user: ctx.user }, { type: 'home', kind: 'addressbooks', user: ctx.user }] as Target[]) {
      out.push({ target: x, href: hrefOf(x) });
    }
    out.push(filesHomeNode(ctx.user));
  } else if (t.type === 'principals') {
    const x: Target = { type: 'principal', user: ctx.user };
    out.push({ target: x, href: hrefOf(x) });
  } else if (t.type === 'home') {
    for (const coll of await listCollections(ctx.tree, t.kind)) {
      const n = await nodeOf(ctx, { type: 'collection', kind: t.kind, user: t.user, coll });
      if (n) out.push(n);
    }
  } else if (t.type === 'collection') {
    for (const r of await listResources(ctx.tree, t.kind, t.coll)) {
      const x: Target = { type: 'resource', kind: t.kind, user: t.user, coll: t.coll, res: r.name };
      out.push({ target: x, href: hrefOf(x), etag: r.etag });
    }
  }
  return out;
}

/** The Depth header: 0 or 1. Absent counts as 0 and infinity as 1, as clients expect of CalDAV servers. */
export function depth(ctx: DavContext, absent: 0 | 1 = 0): 0 | 1 {
  const h = String(ctx.req.headers['depth'] ?? '').trim().toLowerCase();
  if (h === '') return absent;
  if (h === '0') return 0;
  if (h === '1' || h === 'infinity') return 1;
  throw new DavError(400, `bad Depth header: ${h}`);
}

async function propfind(ctx: DavContext): Promise<void> {
  const body = await ctx.xmlBody();
  if (body && !(body.ns === 'DAV:' && body.name === 'propfind')) throw new DavError(400, 'the body of a PROPFIND is a DAV:propfind');
  const request = propRequest(body);
  const found = await nodeOf(ctx, ctx.target);
  if (!found) throw new DavError(404, `nothing at ${hrefOf(ctx.target)}`);
  // The server root answers as itself, so that a client discovering from "/" matches the href it asked for.
  const node = (ctx.req.url ?? '').split('?')[0] === '/' ? { ...found, href: '/' } : found;
  const nodes = [node, ...(depth(ctx) === 1 ? await childrenOf(ctx, node) : [])];
  const responses: OutElement[] = [];
  for (const n of nodes) responses.push(await propResponse(n, request, ctx.props));
  ctx.sendXml(207, multistatus(...responses));
}
