import { changesOf, mkcolBody } from '../collections.js';
import { checkConditions } from '../conditions.js';
import { DavError, davPrecondition } from '../errors.js';
import type { DavContext } from '../handler.js';
import { blobId } from '../layout.js';
import { multistatus, propRequest, propResponse, status } from '../multistatus.js';
import { filesHref, type FilesTarget } from '../paths.js';
import { FILE_CONTENT_TYPE } from '../properties.js';
import { d, el } from '../xml.js';
import { NS } from '../xml-element.js';
import { checkNames, depthOf, requireParent } from './checks.js';
import {
  fileKey, folderKey, keepFolder, listFolder, now, readFolder, showPath, stat, updateFileRecord, writeFolder, type DeadProps,
} from './layout.js';
import { membersOf, nodeAt } from './nodes.js';
import { applyDeadChanges } from './proppatch.js';

const FOLDER_ALLOW = 'OPTIONS, GET, HEAD, DELETE, PROPFIND, PROPPATCH, COPY, MOVE';

/** GET and HEAD: a file's bytes as they were PUT, with the type they were PUT with; a folder's names as text. */
export async function getFile(ctx: DavContext, t: FilesTarget): Promise<void> {
  const s = await stat(ctx.tree, t.path);
  if (!s) throw new DavError(404, `nothing at ${filesHref(t.user, t.path, false)}`);
  if (s.kind === 'folder') {
    const names = (await listFolder(ctx.tree, t.path)).map((e) => (e.kind === 'folder' ? `${e.name}/` : e.name));
    return ctx.send(200, names.map((n) => `${n}\n`).join(''), { 'Content-Type': 'text/plain; charset=utf-8' });
  }
  const record = (await readFolder(ctx.tree, t.path.slice(0, -1))).files?.[t.path[t.path.length - 1]!];
  const headers: Record<string, string> = { ETag: `"${s.etag}"`, 'Content-Type': record?.type ?? FILE_CONTENT_TYPE };
  if (record?.modified !== undefined) headers['Last-Modified'] = new Date(record.modified).toUTCString();
  if (checkConditions(ctx.req, s.etag, true) === 304) return ctx.send(304, undefined, { ETag: headers['ETag']! });
  ctx.send(200, (await ctx.tree.get(fileKey(t.path)))!, headers);
}

/** The media type a PUT declares, if it is one (type/subtype, parameters kept); anything else is not kept. */
function declaredType(header: string | undefined): string | undefined {
  const v = header?.trim();
  return v && v.length <= 255 && /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+(\s*;.*)?$/.test(v) ? v : undefined;
}

/** PUT of any bytes into an existing folder (409 without one), with If-Match / If-None-Match. */
export async function putFile(ctx: DavContext, t: FilesTarget): Promise<void> {
  if (t.path.length === 0) throw new DavError(405, 'the files home is a folder', undefined, { Allow: FOLDER_ALLOW });
  checkNames(t.user, t.path);
  const bytes = await ctx.body();
  const type = declaredType(ctx.req.headers['content-type']);
  const before = await stat(ctx.tree, t.path);
  const href = filesHref(t.user, t.path, false);
  const created = await ctx.commit(`${before?.kind === 'file' ? 'Change' : 'Add'} file ${showPath(t.path)}`, async (tree) => {
    const current = await stat(tree, t.path);
    if (current?.kind === 'folder') throw new DavError(405, `${href} is a folder`, undefined, { Allow: FOLDER_ALLOW });
    await requireParent(tree, t.user, t.path);
    checkConditions(ctx.req, current?.etag);
    await tree.set(fileKey(t.path), bytes);
    const time = now();
    // A new file starts afresh even if a record of an earlier one of its name was left behind.
    await updateFileRecord(tree, t.path, (r) => ({ ...(current ? r : {}), type, created: (current ? r?.created : undefined) ?? time, modified: time }));
    return current === undefined;
  });
  ctx.send(created ? 201 : 204, undefined, { ETag: `"${blobId(bytes)}"` });
}

/** DELETE of a file, or of a folder with everything in it. The home stays. */
export async function deleteFile(ctx: DavContext, t: FilesTarget): Promise<void> {
  if (t.path.length === 0) throw new DavError(403, 'the files home cannot be deleted (delete what is in it)');
  const before = await stat(ctx.tree, t.path);
  if (!before) throw new DavError(404, `nothing at ${filesHref(t.user, t.path, false)}`);
  await ctx.commit(`Delete ${before.kind} ${showPath(t.path)}`, async (tree) => {
    const current = await stat(tree, t.path);
    if (!current) throw new DavError(404, `nothing at ${filesHref(t.user, t.path, false)}`);
    checkConditions(ctx.req, current.kind === 'file' ? current.etag : undefined);
    await keepFolder(tree, t.path.slice(0, -1));
    await tree.remove(folderKey(t.path));
    if (current.kind === 'file') await updateFileRecord(tree, t.path, () => undefined);
  });
  ctx.send(204);
}

/** MKCOL, plain or extended (RFC 5689: dead properties, and a resourcetype that is just a collection). */
export async function mkcolFiles(ctx: DavContext, t: FilesTarget): Promise<void> {
  const body = await mkcolBody(ctx, 'MKCOL');
  if (body && !(body.ns === NS.DAV && body.name === 'mkcol')) throw new DavError(415, 'the body of MKCOL is a DAV:mkcol element');
  const href = filesHref(t.user, t.path, true);
  if (t.path.length === 0) throw new DavError(405, `${href} already exists`, davPrecondition('resource-must-be-null'));
  checkNames(t.user, t.path);
  const changes = body ? changesOf(body) : [];
  const resourcetype = changes.find((c) => c.prop.ns === NS.DAV && c.prop.name === 'resourcetype');
  if (resourcetype && resourcetype.prop.children.some((c) => !(c.ns === NS.DAV && c.name === 'collection'))) {
    throw new DavError(403, 'only plain collections can be made in the file area', davPrecondition('valid-resourcetype'));
  }
  const dead: DeadProps = {};
  const failed = applyDeadChanges(dead, changes.filter((c) => c !== resourcetype));
  if (failed.size > 0) {
    const propstats = changes.filter((c) => c !== resourcetype)
      .map(({ prop }) => d('propstat', d('prop', el(prop.ns, prop.name)), status(failed.get(prop) ?? 424)));
    return ctx.sendXml(403, d('mkcol-response', ...propstats));
  }
  await ctx.commit(`Create folder ${showPath(t.path)}`, async (tree) => {
    if ((await stat(tree, t.path)) !== undefined) throw new DavError(405, `${href} already exists`, davPrecondition('resource-must-be-null'));
    await requireParent(tree, t.user, t.path);
    await writeFolder(tree, t.path, { created: now(), dead });
  });
  ctx.send(201, undefined, { Location: href, 'Cache-Control': 'no-cache' });
}

/** PROPFIND Depth 0, 1 or infinity (the default, RFC 4918 9.1). */
export async function propfindFiles(ctx: DavContext, t: FilesTarget): Promise<void> {
  const body = await ctx.xmlBody();
  if (body && !(body.ns === NS.DAV && body.name === 'propfind')) throw new DavError(400, 'the body of a PROPFIND is a DAV:propfind');
  const request = propRequest(body);
  const depth = depthOf(ctx.req, 'infinity', [0, 1, 'infinity']);
  const node = await nodeAt(ctx.tree, t.user, t.path);
  if (!node) throw new DavError(404, `nothing at ${filesHref(t.user, t.path, false)}`);
  const nodes = [node, ...(depth !== 0 && node.file?.folder ? await membersOf(ctx.tree, t.user, t.path, depth === 'infinity') : [])];
  const responses = [];
  for (const n of nodes) responses.push(await propResponse(n, request, ctx.props));
  ctx.sendXml(207, multistatus(...responses));
}
