// TLS on connections the targets already hold, for both of them: node's TLS runs over any duplex
// stream, a TCP socket or a pipe of the memory network alike. The only node:tls use in Nymote.
import { isIP, Socket } from 'node:net';
import { TLSSocket, connect as tlsConnect, createSecureContext } from 'node:tls';
import type { CertificatePair, ClientTls, Connection, SecureConnection, ServerTls } from './devices.js';

/** Server-side TLS with one secure context, made here so that a bad pair fails at start-up. */
export function createServerTls(pair: CertificatePair): ServerTls {
  let secureContext;
  try {
    secureContext = createSecureContext({ cert: pair.cert, key: pair.key });
  } catch (e) {
    throw new Error(`the TLS certificate and key are not a PEM certificate and its key: ${(e as Error).message}`, { cause: e });
  }
  return {
    secure(connection) {
      const secure = new TLSSocket(connection, { isServer: true, secureContext });
      return keepCarrier(secure, connection) as SecureConnection;
    },
  };
}

/** TLS as the client on an open connection to `host`; resolves once the server's certificate passed. */
export function startClientTls(connection: Connection, host: string, port: number, tls: ClientTls): Promise<SecureConnection> {
  const servername = tls.servername ?? (isIP(host) ? undefined : host);
  return new Promise((resolve, reject) => {
    const secure = tlsConnect({
      socket: connection,
      ...(servername !== undefined ? { servername } : {}),
      ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
      rejectUnauthorized: tls.rejectUnauthorized !== false,
    });
    keepCarrier(secure, connection);
    const failed = (e: Error) => {
      secure.destroy();
      connection.destroy();
      reject(new Error(`TLS with ${host}:${port} failed: ${e.message}`));
    };
    secure.once('error', failed);
    secure.once('secureConnect', () => {
      secure.removeListener('error', failed);
      resolve(secure as SecureConnection);
    });
  });
}

/**
 * Node's TLS socket reads addresses and idle timeouts from a TCP handle. Over another stream (a
 * pipe of the memory network) it has neither, so they are the carrier's: the client's address for
 * login limits and loopback checks, and timeouts on the carrier's clock, which a test moves.
 */
function keepCarrier(secure: TLSSocket, carrier: Connection): TLSSocket {
  if (carrier instanceof Socket) return secure;
  // A TCP handle's errors reach the TLS socket through node; a stream's are passed on here.
  carrier.on('error', (e: Error) => secure.destroy(e));
  const c = carrier as Connection & { remotePort?: number; localAddress?: string; localPort?: number; setTimeout?(ms: number): unknown };
  for (const name of ['remoteAddress', 'remotePort', 'localAddress', 'localPort'] as const) {
    Object.defineProperty(secure, name, { get: () => c[name], configurable: true });
  }
  if (typeof c.setTimeout === 'function') {
    const carrierTimeout = c.setTimeout.bind(c);
    carrier.on('timeout', () => secure.emit('timeout'));
    secure.setTimeout = function (ms: number, onTimeout?: () => void) {
      carrierTimeout(ms);
      if (onTimeout) this.once('timeout', onTimeout);
      return this;
    };
  }
  return secure;
}
