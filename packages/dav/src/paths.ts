import { DavError } from './errors.js';
import type { Kind } from './layout.js';

export const ROOT = '/dav/';
/** The URL segment after /dav/ of the file area. */
export const FILES_TOP = 'files';

/** What a URL under /dav/ names. */
export type Target =
  | { type: 'root' }
  | { type: 'principals' }
  | { type: 'principal'; user: string }
  | { type: 'home'; kind: Kind; user: string }
  | { type: 'collection'; kind: Kind; user: string; coll: string }
  | { type: 'resource'; kind: Kind; user: string; coll: string; res: string }
  /** The plain WebDAV file area: `path` is the segments below /dav/files/NAME/ (none: the home itself). */
  | { type: 'files'; user: string; path: string[] };

export type FilesTarget = Extract<Target, { type: 'files' }>;

/** Parses the path of a request URL (or a Destination / href, absolute or not); undefined if outside /dav/. */
export function parseTarget(url: string): Target | undefined {
  let path = url;
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    try {
      path = new URL(url).pathname;
    } catch {
      throw new DavError(400, `not a URL: ${url}`);
    }
  }
  path = path.split('?')[0]!;
  if (path === '/dav') path = ROOT;
  if (!path.startsWith(ROOT)) return undefined;
  let segs: string[];
  try {
    segs = path.slice(ROOT.length).split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  } catch {
    throw new DavError(400, `badly encoded path: ${path}`);
  }
  if (segs.some((s) => s === '.' || s === '..' || s.includes('/'))) throw new DavError(400, `bad path: ${path}`);
  const [top, user, coll, res, ...more] = segs;
  if (top === undefined) return { type: 'root' };
  if (top === FILES_TOP) return user === undefined ? undefined : { type: 'files', user, path: segs.slice(2) };
  if (more.length > 0) return undefined;
  if (top === 'principals') {
    if (user === undefined) return { type: 'principals' };
    return coll === undefined ? { type: 'principal', user } : undefined;
  }
  if (top !== 'calendars' && top !== 'addressbooks') return undefined;
  if (user === undefined) return undefined;
  if (coll === undefined) return { type: 'home', kind: top, user };
  if (res === undefined) return { type: 'collection', kind: top, user, coll };
  return { type: 'resource', kind: top, user, coll, res };
}

const seg = (s: string) => encodeURIComponent(s);

export function hrefOf(t: Target): string {
  switch (t.type) {
    case 'root': return ROOT;
    case 'principals': return `${ROOT}principals/`;
    case 'principal': return `${ROOT}principals/${seg(t.user)}/`;
    case 'home': return `${ROOT}${t.kind}/${seg(t.user)}/`;
    case 'collection': return `${ROOT}${t.kind}/${seg(t.user)}/${seg(t.coll)}/`;
    case 'resource': return `${ROOT}${t.kind}/${seg(t.user)}/${seg(t.coll)}/${seg(t.res)}`;
    // Whether a file path names a folder is up to the store, not the URL: hrefOf gives no trailing slash.
    case 'files': return filesHref(t.user, t.path, t.path.length === 0);
  }
}

/** The href of something in a user's file area; folders end with a slash. */
export function filesHref(user: string, path: readonly string[], folder: boolean): string {
  const rest = path.map(seg).join('/');
  return `${ROOT}${FILES_TOP}/${seg(user)}/${rest}${folder && rest !== '' ? '/' : ''}`;
}

export const principalHref = (user: string) => hrefOf({ type: 'principal', user });
export const homeHref = (kind: Kind, user: string) => hrefOf({ type: 'home', kind, user });
