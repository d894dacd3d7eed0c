import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createDavHandler, type DavHandlerOptions } from './handler.js';

export interface DavServerOptions extends DavHandlerOptions {
  /** PEM certificate chain and key: the server speaks HTTPS, and clients on other machines may log in. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/**
 * An HTTP or HTTPS server answering CalDAV and CardDAV; listen on it yourself. Without `tls`, only
 * clients on this machine can log in (Basic sends the password with every request).
 */
export function createDavServer(options: DavServerOptions): Server {
  const handler = createDavHandler(options);
  const listener = (req: Parameters<typeof handler>[0], res: Parameters<typeof handler>[1]) => {
    handler(req, res).catch(() => res.destroy());
  };
  // https.Server is an http.Server with TLS in front: the same close and connection calls apply.
  return options.tls ? (createTlsServer({ cert: options.tls.cert, key: options.tls.key }, listener) as unknown as Server) : createServer(listener);
}
