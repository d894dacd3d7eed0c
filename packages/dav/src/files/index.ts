// The plain WebDAV file area, /dav/files/NAME/…: folders and files of any bytes on the user's branch under files/.
import { DavError, caldavPrecondition, davPrecondition } from '../errors.js';
import type { DavContext } from '../handler.js';
import type { FilesTarget } from '../paths.js';
import { copyOrMoveFiles } from './copy-move.js';
import { deleteFile, getFile, mkcolFiles, propfindFiles, putFile } from './methods.js';
import { proppatchFiles } from './proppatch.js';

export { filesHomeNode } from './nodes.js';

/** Answers a request for something in the file area; `allow` is the handler's Allow header. */
export async function serveFiles(ctx: DavContext, t: FilesTarget, method: string, allow: string): Promise<void> {
  switch (method) {
    case 'PROPFIND': return await propfindFiles(ctx, t);
    case 'PROPPATCH': return await proppatchFiles(ctx, t);
    case 'MKCOL': return await mkcolFiles(ctx, t);
    case 'GET': case 'HEAD': return await getFile(ctx, t);
    case 'PUT': return await putFile(ctx, t);
    case 'DELETE': return await deleteFile(ctx, t);
    case 'COPY': case 'MOVE': return await copyOrMoveFiles(ctx, t, method);
    case 'MKCALENDAR': throw new DavError(403, 'calendars are made under /dav/calendars/NAME/', caldavPrecondition('calendar-collection-location-ok'));
    case 'REPORT': throw new DavError(403, 'the file area answers no REPORT', davPrecondition('supported-report'));
    default: throw new DavError(405, `${method} is not supported`, undefined, { Allow: allow });
  }
}
