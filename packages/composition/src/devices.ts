// The devices a service is written against, after Mirage: what it may do to the outside world.
// A service never opens a port, reads the time or draws random bytes itself; it is given these.
import type { Duplex } from 'node:stream';

/** A connection as services see it: a byte stream with the address of the other end. */
export type Connection = Duplex & { readonly remoteAddress?: string | undefined };

/**
 * What a service needs from the network: to be handed the connections made to a port, to open
 * connections of its own, and TLS on either. A service gives its connection handler; the target
 * decides whether that is a real socket or a pipe in memory. Node's own servers (net, http,
 * smtp-server) take connections through their 'connection' event, so a service can hand over one
 * of those, never listening itself.
 */
export interface Network {
  listen(port: number, host: string, accept: ConnectionAcceptor): Promise<Listener>;
  /**
   * A connection to host:port, open when the promise resolves; with `tls`, also through the TLS
   * handshake, the server's certificate checked. Fails with an error naming host and port.
   */
  connect(port: number, host: string, options?: ConnectOptions): Promise<Connection>;
  /**
   * Server-side TLS with this certificate and key, set up once for every connection it secures.
   * Throws, naming the fault, when they are not a PEM certificate and its key.
   */
  serverTls(pair: CertificatePair): ServerTls;
}

/** A PEM certificate (chain) and its private key. */
export interface CertificatePair {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface ConnectOptions {
  /** TLS from the first byte (an implicit TLS port such as 465). */
  tls?: ClientTls;
  /** Give up connecting after this long (default 30 s). */
  timeoutMs?: number;
}

/** How a client checks the server's certificate. */
export interface ClientTls {
  /** The name the certificate must carry (default: the host connected to, unless an IP address). */
  servername?: string;
  /** Trusted certificates instead of the system's. */
  ca?: string | Buffer;
  /** false takes any certificate (opportunistic TLS between mail servers). Default true. */
  rejectUnauthorized?: boolean;
}

/** The device's TLS for servers, made once from a certificate and key by `Network.serverTls`. */
export interface ServerTls {
  /**
   * TLS as the server on an accepted connection: from its first byte (implicit TLS ports) or after
   * a STARTTLS answer. Returns at once: the handshake runs as the client's bytes arrive, and its
   * failure is an 'error' on the returned connection. That connection keeps the address of the
   * client, and says `encrypted` as node's TLS sockets do (servers check it).
   */
  secure(connection: Connection): SecureConnection;
}

/** A connection whose bytes travel in TLS. */
export type SecureConnection = Connection & { readonly encrypted: true };

/** Whether bytes on `connection` travel in TLS. */
export function isSecure(connection: Connection): connection is SecureConnection {
  return (connection as { encrypted?: unknown }).encrypted === true;
}

/** Something that takes connections: a function, or a server whose 'connection' event does. */
export type ConnectionAcceptor = ((connection: Connection) => void) | { emit(event: 'connection', connection: Connection): boolean };

export interface Listener {
  /** The address clients reach it at, e.g. "127.0.0.1:1143" (a made-up one in memory). */
  readonly address: string;
  readonly port: number;
  /** Stops taking connections (those open are the service's to end). */
  close(): Promise<void>;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface Random {
  bytes(n: number): Uint8Array;
}

export type Log = (service: string, message: string, fields?: Record<string, unknown>) => void;

/** Everything a Nymote service may use; one object per target. */
export interface Devices {
  network: Network;
  clock: Clock;
  random: Random;
  log: Log;
}

/** Hands `connection` to `accept`, whichever form it has. */
export function deliver(accept: ConnectionAcceptor, connection: Connection): void {
  if (typeof accept === 'function') accept(connection);
  else accept.emit('connection', connection);
}

/**
 * Makes a Node server that takes connections through its 'connection' event (net, http,
 * smtp-server's) take each one through `tls` first: implicit TLS, whoever hands the connection
 * over (the network device, or the server's own listen). Returns the server.
 */
export function encryptConnections<S extends ConnectionServer>(server: S, tls: ServerTls): S {
  const handlers = server.listeners('connection');
  server.removeAllListeners('connection');
  server.on('connection', (connection: Connection) => {
    const secure = tls.secure(connection);
    for (const handler of handlers) handler.call(server, secure);
  });
  return server;
}

/** What encryptConnections needs of a server: its 'connection' listeners. */
export interface ConnectionServer {
  listeners(event: 'connection'): Function[];
  removeAllListeners(event: 'connection'): unknown;
  on(event: 'connection', listener: (connection: Connection) => void): unknown;
}
