import type { IncomingMessage } from 'node:http';
import type { Tree } from '@nymote/store';
import { DavError } from '../errors.js';
import { filesHref } from '../paths.js';
import { isFileName, stat } from './layout.js';

/** Refuses a path to write that has a name no file or folder may have. */
export function checkNames(user: string, path: readonly string[]): void {
  const bad = path.find((s) => !isFileName(s));
  if (bad !== undefined) throw new DavError(403, `"${bad}" cannot be the name of a file or folder (in ${filesHref(user, path, false)})`);
}

/** The folder a write goes into must exist (RFC 4918 9.3.1, 9.7.1, 9.8.5: 409 otherwise). */
export async function requireParent(tree: Tree, user: string, path: readonly string[]): Promise<void> {
  const parent = path.slice(0, -1);
  if ((await stat(tree, parent))?.kind !== 'folder') throw new DavError(409, `there is no folder ${filesHref(user, parent, true)} to hold ${filesHref(user, path, false)}`);
}

/** The Depth header as 0, 1 or infinity, `absent` when there is none; 400 for a value not `allowed`. */
export function depthOf(req: IncomingMessage, absent: Depth, allowed: readonly Depth[]): Depth {
  const h = String(req.headers['depth'] ?? '').trim().toLowerCase();
  const d: Depth | undefined = h === '' ? absent : h === '0' ? 0 : h === '1' ? 1 : h === 'infinity' ? 'infinity' : undefined;
  if (d === undefined || !allowed.includes(d)) throw new DavError(400, `Depth: ${h} is not valid for ${req.method} here (${allowed.join(' or ')})`);
  return d;
}

export type Depth = 0 | 1 | 'infinity';
