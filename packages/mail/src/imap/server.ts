import type { Accounts } from '@nymote/accounts';
import type { Connection as Incoming, ServerTls } from '@nymote/composition';
import type { Mailstores } from '../mailstore/mailstores.js';
import { BranchWatch } from './branch-watch.js';
import { Connection } from './connection.js';
import { MessageCache } from './message-cache.js';
import { defaultReaderLimits, type ReaderLimits } from './protocol/index.js';

export interface ImapServerOptions {
  accounts: Accounts;
  mailstores: Mailstores;
  /** Mail for NAME@domain is NAME's: logins may say either. Default localhost. */
  domain?: string;
  /**
   * The network device's TLS (`network.serverTls({ cert, key })`): STARTTLS, or TLS from the first
   * byte with `implicitTls` (port 993).
   */
  tls?: ServerTls;
  implicitTls?: boolean;
  limits?: Partial<ReaderLimits>;
  idleTimeoutMs?: number;
  log?: (line: string) => void;
  clock?: () => number;
}

/**
 * An IMAP server: it never listens, the network device hands it connections
 * (`network.listen(port, host, server.accept)`).
 */
export interface ImapServer {
  /** Serves one client connection. */
  accept(connection: Incoming): void;
  /** Cuts every client connection (clients stay connected, in IDLE) and stops watching the store. */
  close(): void;
}

/** An IMAP server (RFC 3501, RFC 9051) on the users' mailstores. */
export function createImapServer(options: ImapServerOptions): ImapServer {
  const tls = options.tls;
  if (options.implicitTls && !tls) throw new Error('IMAP implicit TLS needs the TLS of the network device (tls)');
  const limits = { ...defaultReaderLimits, ...(options.limits ?? {}) };
  const watch = new BranchWatch(options.mailstores.store);
  const services = {
    accounts: options.accounts, mailstores: options.mailstores, watch, domain: options.domain ?? 'localhost',
    appendLimit: limits.maxAppendSize, tlsAvailable: tls !== undefined, clock: options.clock ?? Date.now,
    messages: new MessageCache(64 * 1024 * 1024),
    ...(options.log ? { log: options.log } : {}),
  };
  const connections = new Set<Incoming>();
  return {
    accept(incoming) {
      const socket = options.implicitTls ? tls!.secure(incoming) : incoming;
      // The top of the stack is cut: tearing a connection away from under TLS mid-handshake upsets node.
      connections.add(socket);
      socket.on('close', () => connections.delete(socket));
      new Connection(socket, { services, limits, ...(tls ? { tls } : {}), ...(options.idleTimeoutMs ? { idleTimeoutMs: options.idleTimeoutMs } : {}) });
    },
    close() {
      for (const c of connections) c.destroy();
      watch.close();
    },
  };
}
