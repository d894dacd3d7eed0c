import { createServer, type Server } from 'node:http';
import { encryptConnections, nodeDevices } from '@nymote/composition';
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
  // The standalone server listens on real sockets, so its TLS is the node target's device; the
  // daemon instead gives the handler its own server and the device of its target.
  const server = createServer(listener);
  return options.tls ? encryptConnections(server, nodeDevices().network.serverTls(options.tls)) : server;
}
