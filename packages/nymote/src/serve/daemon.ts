// What `nymote serve` and `nymote mail serve` share: start the services from the configuration,
// say where they are, and run until SIGINT/SIGTERM, restarting them on SIGHUP with the
// configuration read again.
import type { Accounts } from '@nymote/accounts';
import { nodeDevices } from '@nymote/composition';
import type { Store } from '@nymote/store';
import type { Io } from '../io.js';
import { ensureCertificate } from './certificate.js';
import type { ServeConfig } from './config.js';
import { ensureDkimKey } from './dkim.js';
import { eventLog } from './log.js';
import { removeRunInfo, writeRunInfo } from './run-file.js';
import { startServices, type Running } from './services.js';

export interface DaemonOptions {
  io: Io;
  dataDir: string;
  store: Store;
  accounts: Accounts;
  /** The configuration: read at start and again on SIGHUP. */
  readConfig(): Promise<ServeConfig>;
  /** What stdout says once the services listen the first time. */
  banner(config: ServeConfig, running: readonly Running[]): Promise<string>;
}

/** Runs the services until interrupted; the exit status. */
export async function runDaemon(o: DaemonOptions): Promise<number> {
  const { io, dataDir, store, accounts } = o;
  const interrupted = io.interrupted().then(() => 'stop' as const);
  let config = await o.readConfig();
  let log = eventLog((line) => io.stderr.write(line), config.logFormat);
  // SIGHUP: read the configuration again and restart the listeners with it (clients reconnect).
  let hangup: () => void = () => {};
  const onHup = () => hangup();
  process.on('SIGHUP', onHup);
  try {
    for (let first = true; ; first = false) {
      const tls = await ensureCertificate(dataDir, config.domain, config.tls);
      if (tls.generated) log('serve', `made a self-signed certificate for ${config.domain}: ${tls.certFile}`);
      const dkim = await ensureDkimKey(dataDir, config.domain, config.dkimSelector);
      if (dkim.generated) log('serve', `made a DKIM key; publish this TXT record: ${dkim.dnsName} "${dkim.dnsRecord}"`);
      const { running, queue, mailstores } = await startServices({ config, store, accounts, tls, dkim, devices: nodeDevices(log) });
      await writeRunInfo(dataDir, { pid: process.pid, started: new Date().toISOString(), domain: config.domain, services: running.map((r) => ({ service: r.service, url: r.url })) });
      if (first) io.stdout.write(await o.banner(config, running));
      else log('serve', 'reloaded', { services: running.map((r) => r.url) });
      // A configuration that does not read is reported and the services go on as they are.
      let why: 'stop' | 'reload';
      let next = config;
      for (;;) {
        why = await Promise.race([interrupted, new Promise<'reload'>((resolve) => { hangup = () => resolve('reload'); })]);
        if (why === 'stop') break;
        try {
          next = await o.readConfig();
          break;
        } catch (e) {
          log('serve', `not reloaded: ${(e as Error).message}`);
        }
      }
      log('serve', why === 'stop' ? 'stopping' : 'reloading');
      await queue.stop();
      await Promise.all(running.map((r) => r.close()));
      await mailstores.settle();
      if (why === 'stop') break;
      config = next;
      log = eventLog((line) => io.stderr.write(line), config.logFormat);
    }
    await removeRunInfo(dataDir);
    log('serve', 'stopped');
    return 0;
  } finally {
    process.off('SIGHUP', onHup);
  }
}

/** Every service's address, a line each, as the banners list them. */
export const serviceLines = (running: readonly Running[]) => running.map((r) => `  ${r.service.padEnd(12)} ${r.url}\n`).join('');
