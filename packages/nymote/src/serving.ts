// What every long-running server command shares: the --port argument, listening with a clear error,
// and stopping cleanly on SIGINT or SIGTERM.
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { nodeDevices } from '@nymote/composition';
import { Failure } from './report.js';
import { UsageError } from './usage.js';

export function portArg(s: string): number {
  if (!/^\d+$/.test(s) || Number(s) > 65535) throw new UsageError(`--port must be a port number from 0 to 65535, not "${s}"`);
  return Number(s);
}

/** Listens on host:port; the address as a URL origin ("http://127.0.0.1:8080", or https when `secure`). */
export async function listen(server: Server, host: string, port: number, secure = false): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Failure(`cannot listen on ${host}:${port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}`)));
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${secure ? 'https' : 'http'}://${shownHost}:${address.port}`;
}

/**
 * Waits for `interrupted` (io.interrupted(), asked for before listening so that a signal during
 * start-up also ends us cleanly), then closes the server: requests under way may finish, idle
 * keep-alive connections go at once, and one that lingers (a stalled upload) is cut after 5 s.
 */
export async function serveUntil(server: Server, interrupted: Promise<void>): Promise<number> {
  await interrupted;
  server.closeIdleConnections();
  const force = setTimeout(() => server.closeAllConnections(), 5000);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  clearTimeout(force);
  return 0;
}


/** The PEM certificate and key named by --tls-cert and --tls-key (both or neither). */
export async function tlsFiles(cert: string | undefined, key: string | undefined): Promise<{ cert: Buffer; key: Buffer } | undefined> {
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) throw new UsageError('--tls-cert and --tls-key go together');
  return readCertificatePair(cert, key);
}

/** A PEM certificate (chain) and its key, read and checked to be a pair; Failures name the file at fault. */
export async function readCertificatePair(certFile: string, keyFile: string): Promise<{ cert: Buffer; key: Buffer }> {
  const read = async (file: string, what: string) => {
    try {
      return await readFile(file);
    } catch (e) {
      throw new Failure(`cannot read the TLS ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  const pair = { cert: await read(certFile, 'certificate'), key: await read(keyFile, 'key') };
  try {
    nodeDevices().network.serverTls(pair);
  } catch (e) {
    throw new Failure(`${certFile} and ${keyFile} are not a PEM certificate and its key: ${((e as Error).cause as Error | undefined ?? e as Error).message}`);
  }
  return pair;
}
