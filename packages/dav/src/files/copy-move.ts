import { checkConditions } from '../conditions.js';
import { DavError, davPrecondition } from '../errors.js';
import type { DavContext } from '../handler.js';
import { filesHref, parseTarget, type FilesTarget } from '../paths.js';
import { checkNames, depthOf, requireParent } from './checks.js';
import { fileKey, folderKey, keepFolder, now, readFolder, showPath, stat, updateFileRecord, writeFolder } from './layout.js';

/** The Destination of a COPY or MOVE in the file area: another path of the same user's files. */
function destinationOf(ctx: DavContext, method: string): FilesTarget {
  const header = ctx.req.headers['destination'];
  if (typeof header !== 'string' || header.trim() === '') throw new DavError(400, `${method} needs a Destination header`);
  if (/^[a-z][a-z0-9+.-]*:/i.test(header)) {
    let host: string;
    try {
      host = new URL(header).host;
    } catch {
      throw new DavError(400, `the Destination is not a URL: ${header}`);
    }
    // RFC 4918 9.8.5, 9.9.4: a destination on another server is a 502.
    if (host.toLowerCase() !== String(ctx.req.headers.host ?? '').toLowerCase()) throw new DavError(502, `the destination is on another server: ${header}`);
  }
  const dest = parseTarget(header);
  if (!dest || !('user' in dest)) throw new DavError(502, `the destination is not on this server: ${header}`);
  if (dest.user !== ctx.user) throw new DavError(403, 'the destination belongs to another user', davPrecondition('need-privileges'));
  if (dest.type !== 'files') throw new DavError(403, `files stay in the file area: ${header} is not in ${filesHref(ctx.user, [], true)}`);
  return dest;
}

const isInside = (inner: readonly string[], outer: readonly string[]) => inner.length > outer.length && outer.every((s, i) => inner[i] === s);

/**
 * COPY and MOVE (RFC 4918 9.8, 9.9) of files and folders, with their properties, as one commit.
 * A folder goes by re-linking its tree (markers and records included), so its size does not matter.
 */
export async function copyOrMoveFiles(ctx: DavContext, t: FilesTarget, method: 'COPY' | 'MOVE'): Promise<void> {
  const dest = destinationOf(ctx, method);
  const overwriteHeader = String(ctx.req.headers['overwrite'] ?? 'T').trim().toUpperCase();
  if (overwriteHeader !== 'T' && overwriteHeader !== 'F') throw new DavError(400, `Overwrite: ${overwriteHeader} is neither T nor F`);
  const overwrite = overwriteHeader === 'T';
  const from = t.path;
  const to = dest.path;
  const srcHref = filesHref(t.user, from, false);
  const destHref = filesHref(dest.user, to, false);
  if (from.length === 0) throw new DavError(403, `the files home cannot be the source of ${method}`);
  if (to.length === 0) throw new DavError(403, `the files home cannot be replaced by ${method}`);
  checkNames(dest.user, to);
  if (from.join('/') === to.join('/')) throw new DavError(403, `the source and the destination are the same: ${srcHref}`);
  const before = await stat(ctx.tree, from);
  if (!before) throw new DavError(404, `nothing at ${srcHref}`);
  // MOVE takes all of a folder (RFC 4918 9.9.2); COPY all or only the folder itself (9.8.3).
  const depth = before.kind === 'folder' ? depthOf(ctx.req, 'infinity', method === 'MOVE' ? ['infinity'] : [0, 'infinity']) : 'infinity';
  if (before.kind === 'folder' && isInside(to, from)) throw new DavError(403, `${destHref} is inside ${srcHref}`);
  if (isInside(from, to)) throw new DavError(403, `${destHref} holds ${srcHref}: overwriting it would take the source with it`);
  const verb = method === 'MOVE' ? 'Move' : 'Copy';
  const message = `${verb} ${before.kind} ${showPath(from)} to ${showPath(to)}${depth === 0 ? ' (without its contents)' : ''}`;
  const created = await ctx.commit(message, async (tree) => {
    const source = await stat(tree, from);
    if (!source) throw new DavError(404, `nothing at ${srcHref}`);
    checkConditions(ctx.req, source.kind === 'file' ? source.etag : undefined);
    await requireParent(tree, dest.user, to);
    const existing = await stat(tree, to);
    if (existing && !overwrite) throw new DavError(412, `${destHref} exists and Overwrite is F`);
    // Taken before anything changes: an edited directory has no id until it is written.
    const id = (await tree.idOf(folderKey(from)))!;
    const time = now();
    // RFC 4918 9.8.4 / 9.9.3: what was at the destination is deleted first, properties and all.
    if (existing) {
      await tree.remove(folderKey(to));
      if (existing.kind === 'file') await updateFileRecord(tree, to, () => undefined);
    }
    if (source.kind === 'file') {
      const record = (await readFolder(tree, from.slice(0, -1))).files?.[from[from.length - 1]!];
      await tree.setObject(fileKey(to), '100644', id);
      // A copy is a new resource: its dead properties come along, its dates are its own.
      await updateFileRecord(tree, to, () => (method === 'MOVE' ? record : { ...record, created: time, modified: time }));
      if (method === 'MOVE') {
        await tree.remove(fileKey(from));
        await updateFileRecord(tree, from, () => undefined);
      }
    } else if (depth === 0) {
      const record = await readFolder(tree, from);
      await writeFolder(tree, to, { created: time, ...(record.dead ? { dead: record.dead } : {}) });
    } else {
      // The records inside come along as they are, dates included: re-linking is what makes a copy free.
      await tree.setObject(folderKey(to), '40000', id);
      if (method === 'MOVE') {
        await keepFolder(tree, from.slice(0, -1));
        await tree.remove(folderKey(from));
      }
    }
    return existing === undefined;
  });
  const location = filesHref(dest.user, to, before.kind === 'folder');
  ctx.send(created ? 201 : 204, undefined, created ? { Location: location } : {});
}
