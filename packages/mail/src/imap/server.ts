import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer } from 'node:tls';
import type { Accounts } from '@nymote/accounts';
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
  /** PEM certificate and key: STARTTLS, or TLS from the first byte with `implicitTls` (port 993). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  implicitTls?: boolean;
  limits?: Partial<ReaderLimits>;
  idleTimeoutMs?: number;
  log?: (line: string) => void;
  clock?: () => number;
}

/** An IMAP server (RFC 3501, RFC 9051) on the users' mailstores; listen on it yourself. */
export function createImapServer(options: ImapServerOptions): Server & { closeConnections(): void } {
  if (options.implicitTls && !options.tls) throw new Error('implicit TLS needs a certificate and key');
  const secureContext = options.tls ? createSecureContext({ cert: options.tls.cert, key: options.tls.key }) : undefined;
  const limits = { ...defaultReaderLimits, ...(options.limits ?? {}) };
  const watch = new BranchWatch(options.mailstores.store);
  const services = {
    accounts: options.accounts, mailstores: options.mailstores, watch, domain: options.domain ?? 'localhost',
    appendLimit: limits.maxAppendSize, tlsAvailable: secureContext !== undefined, clock: options.clock ?? Date.now,
    messages: new MessageCache(64 * 1024 * 1024),
    ...(options.log ? { log: options.log } : {}),
  };
  const sockets = new Set<Socket>();
  const accept = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new Connection(socket, { services, limits, ...(secureContext ? { secureContext } : {}), ...(options.idleTimeoutMs ? { idleTimeoutMs: options.idleTimeoutMs } : {}) });
  };
  const server = (options.implicitTls
    ? createTlsServer({ secureContext: secureContext! }, accept)
    : createServer(accept)) as Server & { closeConnections(): void };
  server.on('close', () => watch.close());
  server.closeConnections = () => {
    for (const s of sockets) s.destroy();
  };
  return server;
}
