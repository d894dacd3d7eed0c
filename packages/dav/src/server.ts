import { createServer, type Server } from 'node:http';
import { createDavHandler, type DavHandlerOptions } from './handler.js';

/** An HTTP server answering CalDAV and CardDAV; listen on it yourself (127.0.0.1 until TLS comes). */
export function createDavServer(options: DavHandlerOptions): Server {
  const handler = createDavHandler(options);
  return createServer((req, res) => {
    handler(req, res).catch(() => res.destroy());
  });
}
