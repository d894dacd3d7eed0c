import type { Clock, Connection, ConnectionAcceptor, Listener, Network } from './devices.js';
import { deliver } from './devices.js';
import { MemorySocket } from './memory-socket.js';

/**
 * A network inside one process: services listen on port numbers, and `connect` hands them a
 * connection in memory. Nothing touches the operating system's network.
 */
export class MemoryNetwork implements Network {
  private readonly listeners = new Map<number, ConnectionAcceptor>();
  private nextClientPort = 40000;

  constructor(private readonly clock: Clock, private readonly host = '127.0.0.1') {}

  async listen(port: number, _host: string, accept: ConnectionAcceptor): Promise<Listener> {
    if (this.listeners.has(port)) throw Object.assign(new Error(`port ${port} is in use in this memory network`), { code: 'EADDRINUSE' });
    this.listeners.set(port, accept);
    return {
      address: `${this.host}:${port}`,
      port,
      close: async () => { this.listeners.delete(port); },
    };
  }

  /** A client connection to `port`; refused (ECONNREFUSED) when nothing listens there. */
  connect(port: number, from = '127.0.0.1'): Connection {
    const accept = this.listeners.get(port);
    if (!accept) throw Object.assign(new Error(`nothing listens on port ${port} in this memory network`), { code: 'ECONNREFUSED' });
    const [client, server] = MemorySocket.pair(this.clock, from, this.host, port, this.nextClientPort++);
    deliver(accept, server);
    return client;
  }
}
