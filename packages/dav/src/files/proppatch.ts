import { changesOf, proppatchResponse, type Change } from '../collections.js';
import { DavError } from '../errors.js';
import type { DavContext } from '../handler.js';
import { filesHref, type FilesTarget } from '../paths.js';
import { isProtected } from '../properties.js';
import { clark, type OutElement } from '../xml.js';
import { NS, type XmlElement } from '../xml-element.js';
import { readFolder, showPath, stat, updateFileRecord, writeFolder, type DeadProps, type DeadValue } from './layout.js';

/** An element of a property value as it is stored and written back: attributes and children kept. */
function stored(e: XmlElement): OutElement {
  const children: (OutElement | string)[] = e.children.length > 0 ? e.children.map(stored) : e.text !== '' ? [e.text] : [];
  return { ns: e.ns, name: e.name, ...(Object.keys(e.attrs).length > 0 ? { attrs: { ...e.attrs } } : {}), ...(children.length > 0 ? { children } : {}) };
}

/** A property's value: its text, or its elements when it has any (text between elements is not kept). */
const deadValue = (p: XmlElement): DeadValue => (p.children.length === 0 ? p.text : p.children.map(stored));

/**
 * Applies set/remove instructions to dead properties, in order; returns the refusals (403 for live
 * properties, which are computed). Removing a property that is not there is no error (RFC 4918 14.23).
 */
export function applyDeadChanges(dead: DeadProps, changes: Change[]): Map<XmlElement, number> {
  const failed = new Map<XmlElement, number>();
  for (const { prop, remove } of changes) {
    if (isProtected(prop.ns, prop.name)) {
      failed.set(prop, 403);
      continue;
    }
    const key = clark(prop.ns, prop.name);
    if (remove) delete dead[key];
    else dead[key] = deadValue(prop);
  }
  return failed;
}

/** PROPPATCH of a file or folder: dead properties only, all or nothing (RFC 4918 9.2), one commit. */
export async function proppatchFiles(ctx: DavContext, t: FilesTarget): Promise<void> {
  const body = await ctx.xmlBody();
  if (!body || body.ns !== NS.DAV || body.name !== 'propertyupdate') throw new DavError(400, 'the body of a PROPPATCH is a DAV:propertyupdate');
  const changes = changesOf(body);
  const before = await stat(ctx.tree, t.path);
  if (!before) throw new DavError(404, `nothing at ${filesHref(t.user, t.path, false)}`);
  const what = t.path.length === 0 ? 'the home folder' : `${before.kind} ${showPath(t.path)}`;
  const failed = await ctx.commit(`Change the properties of ${what}`, async (tree) => {
    const now = await stat(tree, t.path);
    if (!now) throw new DavError(404, `nothing at ${filesHref(t.user, t.path, false)}`);
    if (now.kind === 'folder') {
      const record = await readFolder(tree, t.path);
      const dead = { ...(record.dead ?? {}) };
      const failed = applyDeadChanges(dead, changes);
      if (failed.size === 0) await writeFolder(tree, t.path, { ...record, dead });
      return failed;
    }
    const record = (await readFolder(tree, t.path.slice(0, -1))).files?.[t.path[t.path.length - 1]!];
    const dead = { ...(record?.dead ?? {}) };
    const failed = applyDeadChanges(dead, changes);
    if (failed.size === 0) await updateFileRecord(tree, t.path, (r) => ({ ...r, dead }));
    return failed;
  });
  ctx.sendXml(207, proppatchResponse(filesHref(t.user, t.path, before.kind === 'folder'), changes, failed));
}
