import { NS } from './xml-element.js';

/**
 * An HTTP error answer. With `precondition`, the body is a DAV:error naming it (RFC 4918 16), e.g.
 * `{ ns: NS.CALDAV, name: 'valid-calendar-data' }`; `href` goes inside it (no-uid-conflict names the other resource).
 */
export class DavError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly precondition?: { ns: string; name: string; href?: string },
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'DavError';
  }
}

export const caldavPrecondition = (name: string, href?: string) => ({ ns: NS.CALDAV, name, ...(href !== undefined ? { href } : {}) });
export const carddavPrecondition = (name: string, href?: string) => ({ ns: NS.CARDDAV, name, ...(href !== undefined ? { href } : {}) });
export const davPrecondition = (name: string) => ({ ns: NS.DAV, name });
