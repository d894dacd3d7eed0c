// Every listener of the daemon, started from one configuration and stopped together.
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { Accounts } from '@nymote/accounts';
import { createDavServer } from '@nymote/dav';
import { LocalDelivery, Mailstores, OutboundQueue, createImapServer, createInboundServer, createSubmissionServer } from '@nymote/mail';
import type { Store } from '@nymote/store';
import type { SMTPServer } from 'smtp-server';
import { Failure } from '../report.js';
import type { ServeConfig, Service } from './config.js';
import type { DkimKey } from './dkim.js';
import type { EventLog } from './log.js';

export interface Running {
  service: Service;
  url: string;
  close(): Promise<void>;
}

export interface ServicesInput {
  config: ServeConfig;
  store: Store;
  accounts: Accounts;
  tls: { cert: Buffer; key: Buffer };
  dkim: DkimKey;
  log: EventLog;
}

const SCHEME: Record<Service, string> = { imap: 'imap', imaps: 'imaps', smtp: 'smtp', submission: 'smtp', submissions: 'smtps', http: 'http', https: 'https' };

async function listen(server: NetServer, service: Service, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new Failure(
      `cannot listen for ${service} on ${host}:${port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.code === 'EACCES' ? 'permission denied (ports below 1024 need root; see --help)' : e.message}`)));
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return `${SCHEME[service]}://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
}

/** Starts every service whose port is not 0; if one cannot start, those started are stopped again. */
export async function startServices(input: ServicesInput): Promise<{ running: Running[]; queue: OutboundQueue; mailstores: Mailstores }> {
  const { config, store, accounts, tls, log } = input;
  const mailstores = new Mailstores(store);
  const delivery = new LocalDelivery({ accounts, mailstores, domain: config.domain, log: (line) => log('mail', line) });
  const queue = new OutboundQueue({
    store, delivery, hostname: config.domain,
    ...(config.relay ? { nextHop: config.relay } : {}),
    dkim: { selector: input.dkim.selector, privateKey: input.dkim.privateKey },
    log: (line) => log('queue', line),
  });
  const running: Running[] = [];
  const davLog = (line: string) => log('dav', line);
  const mailBase = { accounts, mailstores, domain: config.domain };
  const http = (server: HttpServer) => ({
    server,
    close: () => new Promise<void>((resolve) => {
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), 4000);
      server.close(() => { clearTimeout(force); resolve(); });
    }),
  });
  // smtp-server's close waits for sessions to end, and cuts them after its closeTimeout.
  const smtp = (server: SMTPServer) => ({ server: server.server, close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
  const submission = (implicitTls: boolean) => smtp(createSubmissionServer({
    ...mailBase, tls, implicitTls, outbound: (m) => queue.enqueue(m).then(() => undefined), log: (line) => log('submission', line),
  }));
  const imap = (implicitTls: boolean) => {
    const server = createImapServer({ ...mailBase, tls, implicitTls, log: (line) => log('imap', line) });
    // IMAP clients stay connected (IDLE): stopping cuts them; commits under way finish (Mailstores.settle).
    return { server, close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeConnections(); }) };
  };
  const make: Partial<Record<Service, () => { server: NetServer; close(): Promise<void> }>> = {
    imap: () => imap(false),
    imaps: () => imap(true),
    http: () => http(createDavServer({ store, accounts, log: davLog })),
    https: () => http(createDavServer({ store, accounts, log: davLog, tls })),
    smtp: () => smtp(createInboundServer({ ...mailBase, tls, log: (line) => log('smtp', line) })),
    submission: () => submission(false),
    submissions: () => submission(true),
  };
  try {
    for (const [service, create] of Object.entries(make) as [Service, () => { server: NetServer; close(): Promise<void> }][]) {
      const port = config.ports[service];
      if (port === 0) continue;
      const s = create();
      const url = await listen(s.server, service, config.host, port);
      running.push({ service, url, close: s.close });
    }
  } catch (e) {
    await Promise.all(running.map((r) => r.close()));
    throw e;
  }
  queue.start();
  return { running, queue, mailstores };
}
