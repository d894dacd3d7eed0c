import type { CertificatePair, Clock, ConnectOptions, Connection, ConnectionAcceptor, Listener, Network, ServerTls } from './devices.js';
import { deliver } from './devices.js';
import { MemorySocket } from './memory-socket.js';
import { createServerTls, startClientTls } from './tls-connections.js';

/**
 * A network inside one process: services listen on port numbers, and `connect` or `dial` hands
 * them a connection in memory. Nothing touches the operating system's network. It is one machine:
 * every host name reaches the same ports. TLS is node's, run over the in-memory pipes.
 */
export class MemoryNetwork implements Network {
  private readonly listeners = new Map<number, ConnectionAcceptor>();
  private nextClientPort = 40000;

  constructor(private readonly clock: Clock, private readonly host = '127.0.0.1') {}

  /** Port 0 picks a free one, as the operating system does. */
  async listen(port: number, _host: string, accept: ConnectionAcceptor): Promise<Listener> {
    if (port === 0) {
      port = 49152;
      while (this.listeners.has(port)) port++;
    }
    if (this.listeners.has(port)) throw Object.assign(new Error(`port ${port} is in use in this memory network`), { code: 'EADDRINUSE' });
    this.listeners.set(port, accept);
    return {
      address: `${this.host}:${port}`,
      port,
      close: async () => { this.listeners.delete(port); },
    };
  }

  /** As the node target's: a service's outgoing connection, from this machine's address. */
  async connect(port: number, host: string, options: ConnectOptions = {}): Promise<Connection> {
    let connection: Connection;
    try {
      connection = this.dial(port);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw Object.assign(new Error(`cannot connect to ${host}:${port}: ${code} (${(e as Error).message})`), { code });
    }
    return options.tls ? startClientTls(connection, host, port, options.tls) : connection;
  }

  /** A client connection to `port` at once, from `from` (tests play clients on other machines); refused (ECONNREFUSED) when nothing listens there. */
  dial(port: number, from = '127.0.0.1'): Connection {
    const accept = this.listeners.get(port);
    if (!accept) throw Object.assign(new Error(`nothing listens on port ${port} in this memory network`), { code: 'ECONNREFUSED' });
    const [client, server] = MemorySocket.pair(this.clock, from, this.host, port, this.nextClientPort++);
    deliver(accept, server);
    return client;
  }

  serverTls(pair: CertificatePair): ServerTls {
    return createServerTls(pair);
  }
}
