// Every service of the daemon, started from one configuration on the target's devices and stopped
// together. Services never listen themselves: each is a server that takes connections, and the
// network device hands them over (real sockets in the node target, pipes in the memory target).
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Accounts } from '@nymote/accounts';
import { encryptConnections, type ConnectionAcceptor, type Devices, type Listener } from '@nymote/composition';
import { createDavHandler } from '@nymote/dav';
import { LocalDelivery, Mailstores, OutboundQueue, createImapServer, createInboundServer, createSubmissionServer } from '@nymote/mail';
import type { Store } from '@nymote/store';
import type { SMTPServer } from 'smtp-server';
import { Failure } from '../report.js';
import type { ServeConfig, Service } from './config.js';
import type { DkimKey } from './dkim.js';
import { createUserApi } from './user-api.js';

export interface Running {
  service: Service;
  url: string;
  close(): Promise<void>;
}

export interface ServicesInput {
  config: ServeConfig;
  store: Store;
  accounts: Accounts;
  /** Needed by imaps, submissions and https, and for STARTTLS; without it those are not offered. */
  tls?: { cert: Buffer; key: Buffer };
  dkim?: DkimKey;
  devices: Devices;
}

const SCHEME: Record<Service, string> = { imap: 'imap', imaps: 'imaps', smtp: 'smtp', submission: 'smtp', submissions: 'smtps', http: 'http', https: 'https' };
const NEEDS_TLS = new Set<Service>(['imaps', 'submissions', 'https']);

interface Started { accept: ConnectionAcceptor; close(): Promise<void> }

/** Starts every service whose port is not 0; if one cannot start, those started are stopped again. */
export async function startServices(input: ServicesInput): Promise<{ running: Running[]; queue: OutboundQueue; mailstores: Mailstores }> {
  const { config, store, accounts, tls, devices } = input;
  const { log, clock } = devices;
  // TLS is the network device's, made once for every service and connection.
  const serverTls = tls ? devices.network.serverTls(tls) : undefined;
  const now = () => clock.now();
  const mailstores = new Mailstores(store, { clock: now });
  const delivery = new LocalDelivery({ accounts, mailstores, domain: config.domain, log: (line) => log('mail', line) });
  const queue = new OutboundQueue({
    store, network: devices.network, delivery, hostname: config.domain, clock: now, random: (n) => devices.random.bytes(n),
    ...(config.relay ? { nextHop: config.relay } : {}),
    ...(input.dkim ? { dkim: { selector: input.dkim.selector, privateKey: input.dkim.privateKey } } : {}),
    log: (line) => log('queue', line),
  });
  const mailBase = { accounts, mailstores, domain: config.domain, clock: now };
  // smtp-server does STARTTLS itself (see createInboundServer): it is given the certificate.
  const smtpBase = { ...mailBase, ...(tls ? { tls } : {}) };
  const davLog = (line: string) => log('dav', line);
  const http = (server: HttpServer): Started => {
    // The server never listens, so it cannot say when it is done: requests under way are counted here.
    let active = 0;
    server.on('request', (_req, res) => {
      active++;
      res.once('close', () => active--);
    });
    return {
      accept: server,
      close: async () => {
        // Requests under way may finish; idle keep-alive connections go now, lingering ones after 4 s.
        server.closeIdleConnections();
        const until = Date.now() + 4000;
        while (active > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        server.closeAllConnections();
      },
    };
  };
  // smtp-server's close waits for sessions to end, and cuts them after its closeTimeout.
  const smtp = (server: SMTPServer): Started => ({ accept: server.server, close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
  const imap = (implicitTls: boolean): Started => {
    const server = createImapServer({ ...mailBase, ...(serverTls ? { tls: serverTls } : {}), implicitTls, log: (line) => log('imap', line) });
    // IMAP clients stay connected (IDLE): stopping cuts them; commits under way finish (Mailstores.settle).
    return { accept: server.accept, close: async () => { server.close(); } };
  };
  const submission = (implicitTls: boolean) => smtp(createSubmissionServer({
    ...smtpBase, ...(implicitTls ? { implicitTls: serverTls! } : {}), outbound: (m) => queue.enqueue(m).then(() => undefined), log: (line) => log('submission', line),
  }));
  // One web server: the user's store API under /api, CalDAV, CardDAV and WebDAV everywhere else.
  const dav = createDavHandler({ store, accounts, log: davLog });
  const api = createUserApi({ store, accounts, mailstores, log: (line) => log('api', line) });
  const web = (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    const handler = path === '/api' || path.startsWith('/api/') || path.startsWith('/api?') ? api : dav;
    handler(req, res).catch(() => res.destroy());
  };
  const make: Record<Service, () => Started> = {
    imap: () => imap(false),
    imaps: () => imap(true),
    smtp: () => smtp(createInboundServer({ ...smtpBase, log: (line) => log('smtp', line) })),
    submission: () => submission(false),
    submissions: () => submission(true),
    http: () => http(createHttpServer(web)),
    // An http server whose connections go through the device's TLS first: handlers see
    // req.socket.encrypted, as behind node's https.
    https: () => http(encryptConnections(createHttpServer(web), serverTls!)),
  };
  const running: Running[] = [];
  try {
    for (const service of Object.keys(make) as Service[]) {
      const port = config.ports[service];
      if (port === 0) continue;
      if (NEEDS_TLS.has(service) && !tls) throw new Failure(`${service} needs a TLS certificate (--tls-cert, --tls-key)`);
      const s = make[service]();
      let listener: Listener;
      try {
        listener = await devices.network.listen(port, config.host, s.accept);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new Failure(`cannot listen for ${service} on ${config.host}:${port}: ${code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'permission denied (ports below 1024 need root; see --help)' : (e as Error).message}`);
      }
      running.push({ service, url: `${SCHEME[service]}://${listener.address}`, close: async () => { await listener.close(); await s.close(); } });
    }
  } catch (e) {
    await Promise.all(running.map((r) => r.close()));
    throw e;
  }
  queue.start();
  return { running, queue, mailstores };
}
