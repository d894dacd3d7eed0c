import { isLoopback } from '@nymote/accounts';
import { SMTPServer } from 'smtp-server';
import type { DNSResolver } from 'mailauth';
import { localPart } from './addresses.js';
import { LocalDelivery, type DeliveryOptions } from './delivery.js';
import { readMessage, smtpError } from './data.js';
import { receivedHeader } from './trace.js';

export interface InboundOptions extends DeliveryOptions {
  /** The name this server gives in its greeting and Received headers (default: the domain). */
  hostname?: string;
  /**
   * PEM certificate and key offered by STARTTLS; without them STARTTLS is not offered. smtp-server
   * upgrades the connection itself in its STARTTLS handler and has no way to take one upgraded by
   * the network device, so it gets the pair.
   */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Largest message accepted (SIZE, RFC 1870). Default 25 MiB. */
  maxMessageBytes?: number;
  /**
   * SPF, DKIM and DMARC checks (mailauth), recorded in an Authentication-Results header. `resolver`
   * answers its DNS questions (default: the system's resolver); false skips the checks. Mail handed
   * over from this machine (loopback) is not checked unless `checkLoopback`: SPF has nothing to say
   * about 127.0.0.1, and local tools and tests should cause no DNS traffic.
   */
  authentication?: false | { resolver?: DNSResolver; checkLoopback?: boolean };
  clock?: () => number;
}

/**
 * The MX side: mail from anywhere for our users only. There is no AUTH here and no relaying: a
 * recipient in another domain is refused (550 5.7.1), so this server is never an open relay.
 */
export function createInboundServer(options: InboundOptions): SMTPServer {
  const delivery = new LocalDelivery(options);
  const hostname = options.hostname ?? options.domain;
  const limit = options.maxMessageBytes ?? 25 * 1024 * 1024;
  const clock = options.clock ?? Date.now;
  const server: SMTPServer = new SMTPServer({
    name: hostname,
    banner: 'Nymote ESMTP',
    size: limit,
    authOptional: true,
    disabledCommands: ['AUTH', ...(options.tls ? [] : ['STARTTLS'])],
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    disableReverseLookup: true,
    logger: false,
    async onRcptTo(address, session, callback) {
      try {
        const user = await delivery.recipient(address.address);
        if (user) {
          (session as { users?: string[] }).users = [...((session as { users?: string[] }).users ?? []), user];
          return callback();
        }
        if (localPart(address.address, options.domain) === undefined) {
          return callback(smtpError(550, `5.7.1 <${address.address}>: relaying denied: this server takes mail for ${options.domain} only`));
        }
        return callback(smtpError(550, `5.1.1 <${address.address}>: no such user here`));
      } catch (e) {
        return callback(smtpError(451, `4.3.0 cannot check <${address.address}> now: ${(e as Error).message}`));
      }
    },
    onData(stream, session, callback) {
      void (async () => {
        const raw = await readMessage(stream, limit);
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const users = (session as { users?: string[] }).users ?? [];
        let headers = receivedHeader(session, hostname, users.length === 1 ? session.envelope.rcptTo[0]?.address : undefined, clock());
        const local = isLoopback(session.remoteAddress) && !(options.authentication && options.authentication.checkLoopback);
        if (local) {
          headers = `Authentication-Results: ${hostname}; none (handed over on this machine, not checked)\r\n` + headers;
        } else if (options.authentication !== false) {
          // Loaded on first use: mailauth and its dependencies hold about 35 MB, and a server that only
          // gets mail from this machine never needs them.
          const { authenticate } = await import('mailauth');
          const auth = await authenticate(raw, {
            ip: session.remoteAddress,
            helo: session.hostNameAppearsAs,
            mta: hostname,
            sender: from,
            ...(options.authentication?.resolver ? { resolver: options.authentication.resolver } : {}),
          });
          // mailauth's header block: Received-SPF and Authentication-Results (with DKIM and DMARC).
          headers = String(auth.headers ?? '').replace(/\r?\n/g, '\r\n') + headers;
        }
        await delivery.deliver(Buffer.concat([Buffer.from(headers, 'utf8'), raw]), from, users);
        return `2.0.0 Delivered to ${users.length === 1 ? users[0] : `${users.length} users`} (${session.id})`;
      })().then((message) => callback(null, message), (e: Error & { responseCode?: number }) => {
        options.log?.(`smtp inbound ${session.id}: ${e.message}`);
        callback(e.responseCode ? e : smtpError(451, `4.3.0 could not deliver now: ${e.message}`));
      });
    },
  });
  // A client that drops the connection mid-handshake is an 'error' event: logged, never a crash.
  server.on('error', (e: Error) => options.log?.(`smtp: ${e.message}`));
  return server;
}
