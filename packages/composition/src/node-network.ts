import { connect as tcpConnect, createServer } from 'node:net';
import type { CertificatePair, ConnectionAcceptor, ConnectOptions, Connection, Listener, Network, ServerTls } from './devices.js';
import { deliver } from './devices.js';
import { createServerTls, startClientTls } from './tls-connections.js';

/** The operating system's network: TCP listeners and connections, TLS by node:tls over them. */
export class NodeNetwork implements Network {
  async listen(port: number, host: string, accept: ConnectionAcceptor): Promise<Listener> {
    const server = createServer((socket) => deliver(accept, socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const a = server.address() as { address: string; port: number; family: string };
    return {
      address: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`,
      port: a.port,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  async connect(port: number, host: string, options: ConnectOptions = {}): Promise<Connection> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const socket = tcpConnect({ port, host });
    await new Promise<void>((resolve, reject) => {
      const failed = (e: Error) => {
        socket.destroy();
        reject(Object.assign(new Error(`cannot connect to ${host}:${port}: ${(e as NodeJS.ErrnoException).code ?? e.message}`), { code: (e as NodeJS.ErrnoException).code }));
      };
      socket.setTimeout(timeoutMs, () => failed(Object.assign(new Error(`no answer in ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
      socket.once('error', failed);
      socket.once('connect', () => {
        socket.setTimeout(0);
        socket.removeListener('error', failed);
        resolve();
      });
    });
    return options.tls ? startClientTls(socket, host, port, options.tls) : socket;
  }

  serverTls(pair: CertificatePair): ServerTls {
    return createServerTls(pair);
  }
}
