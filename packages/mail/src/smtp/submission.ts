import { LoginThrottled, isLoopback } from '@nymote/accounts';
import { encryptConnections, type ServerTls } from '@nymote/composition';
import { SMTPServer } from 'smtp-server';
import { localPart } from './addresses.js';
import { readMessage, smtpError } from './data.js';
import { LocalDelivery, type DeliveryOptions } from './delivery.js';
import { receivedHeader } from './trace.js';

/** Where mail for other domains goes: the outbound queue. */
export type OutboundHandoff = (message: { raw: Buffer; from: string; to: string[]; user: string }) => Promise<void>;

export interface SubmissionOptions extends DeliveryOptions {
  hostname?: string;
  /**
   * PEM certificate and key for STARTTLS. smtp-server upgrades the connection itself in its STARTTLS
   * handler and has no way to take one upgraded by the network device, so it gets the pair.
   */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /**
   * TLS from the first byte (port 465, RFC 8314) by the network device's TLS: connections reach
   * smtp-server already encrypted (its `secured`), whoever hands them over.
   */
  implicitTls?: ServerTls;
  maxMessageBytes?: number;
  /** Takes mail for other domains; without it such recipients are refused. */
  outbound?: OutboundHandoff;
  clock?: () => number;
}

interface Session { users?: string[]; remote?: string[] }

/**
 * The submission side (RFC 6409): users' own clients send mail here after logging in. Passwords in
 * clear are taken only over TLS or from this machine; a user may send as their own address only.
 */
export function createSubmissionServer(options: SubmissionOptions): SMTPServer {
  const delivery = new LocalDelivery(options);
  const hostname = options.hostname ?? options.domain;
  const limit = options.maxMessageBytes ?? 25 * 1024 * 1024;
  const clock = options.clock ?? Date.now;
  const server = new SMTPServer({
    name: hostname,
    banner: 'Nymote ESMTP submission',
    size: limit,
    ...(options.implicitTls ? { secure: true, secured: true } : {}),
    authMethods: ['PLAIN', 'LOGIN'],
    // Refused over plain connections from other machines in onAuth, which knows the client's address.
    allowInsecureAuth: true,
    disabledCommands: options.tls ? [] : ['STARTTLS'],
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    disableReverseLookup: true,
    logger: false,
    onAuth(auth, session, callback) {
      if (!session.secure && !isLoopback(session.remoteAddress)) {
        return callback(smtpError(538, '5.7.11 Encryption required: use STARTTLS first'));
      }
      const name = localPart(auth.username ?? '', options.domain) ?? (auth.username ?? '');
      options.accounts.login(name, auth.password ?? '', session.remoteAddress).then((account) => {
        if (!account) return callback(smtpError(535, '5.7.8 Authentication credentials invalid'));
        callback(null, { user: account.name });
      }, (e: unknown) => {
        if (e instanceof LoginThrottled) return callback(smtpError(454, `4.7.0 ${e.message}`));
        callback(smtpError(454, `4.7.0 cannot check the password now: ${(e as Error).message}`));
      });
    },
    onMailFrom(address, session, callback) {
      const user = String(session.user);
      if (localPart(address.address, options.domain) !== user) {
        return callback(smtpError(553, `5.7.1 <${address.address}>: you may send as ${user}@${options.domain} only`));
      }
      callback();
    },
    async onRcptTo(address, session, callback) {
      const s = session as unknown as Session;
      try {
        const user = await delivery.recipient(address.address);
        if (user) {
          s.users = [...(s.users ?? []), user];
          return callback();
        }
        if (localPart(address.address, options.domain) !== undefined) return callback(smtpError(550, `5.1.1 <${address.address}>: no such user here`));
        if (!options.outbound) return callback(smtpError(550, `5.7.1 <${address.address}>: this server delivers to ${options.domain} only`));
        s.remote = [...(s.remote ?? []), address.address];
        return callback();
      } catch (e) {
        return callback(smtpError(451, `4.3.0 cannot check <${address.address}> now: ${(e as Error).message}`));
      }
    },
    onData(stream, session, callback) {
      const s = session as unknown as Session;
      void (async () => {
        const raw = await readMessage(stream, limit);
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const stamped = Buffer.concat([Buffer.from(receivedHeader(session, hostname, undefined, clock()), 'utf8'), raw]);
        if (s.users?.length) await delivery.deliver(stamped, from, s.users);
        if (s.remote?.length) await options.outbound!({ raw: stamped, from, to: s.remote, user: String(session.user) });
        return `2.0.0 Accepted (${session.id})`;
      })().then((message) => callback(null, message), (e: Error & { responseCode?: number }) => {
        options.log?.(`smtp submission ${session.id}: ${e.message}`);
        callback(e.responseCode ? e : smtpError(451, `4.3.0 could not take the message now: ${e.message}`));
      });
    },
  });
  // A client that drops the connection mid-handshake is an 'error' event: logged, never a crash.
  server.on('error', (e: Error) => options.log?.(`submission: ${e.message}`));
  if (options.implicitTls) encryptConnections(server.server, options.implicitTls);
  return server;
}
