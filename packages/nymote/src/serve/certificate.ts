// First run: a self-signed certificate for the domain, so every service can offer TLS from the start.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { Failure } from '../report.js';

export interface TlsFiles { cert: Buffer; key: Buffer; certFile: string; generated: boolean }

/** The configured certificate, or the one in DATA/tls/, made now if missing (valid 10 years). */
export async function ensureCertificate(dataDir: string, domain: string, configured?: { cert: string; key: string }): Promise<TlsFiles> {
  const certFile = configured?.cert ?? join(dataDir, 'tls', 'cert.pem');
  const keyFile = configured?.key ?? join(dataDir, 'tls', 'key.pem');
  let generated = false;
  const read = async () => ({ cert: await readFile(certFile), key: await readFile(keyFile) });
  let pair: { cert: Buffer; key: Buffer };
  try {
    pair = await read();
  } catch (e) {
    if (configured || (e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Failure(`cannot read the TLS certificate ${certFile} or key ${keyFile}: ${(e as Error).message}`);
    const names = [...new Set([domain, 'localhost'])];
    const now = new Date();
    const notAfter = new Date(now);
    notAfter.setFullYear(now.getFullYear() + 10);
    const { default: selfsigned } = await import('selfsigned');
    const pems = await selfsigned.generate([{ name: 'commonName', value: domain }], {
      keyType: 'ec', algorithm: 'sha256', notBeforeDate: now, notAfterDate: notAfter,
      extensions: [{
        name: 'subjectAltName',
        altNames: [...names.map((n) => (isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })), { type: 7 as const, ip: '127.0.0.1' }, { type: 7 as const, ip: '::1' }],
      }],
    });
    await mkdir(join(dataDir, 'tls'), { recursive: true, mode: 0o700 });
    await writeFile(keyFile, pems.private, { mode: 0o600 });
    await chmod(keyFile, 0o600);
    await writeFile(certFile, pems.cert);
    pair = await read();
    generated = true;
  }
  try {
    createSecureContext(pair);
  } catch (e) {
    throw new Failure(`${certFile} and ${keyFile} are not a PEM certificate and its key: ${(e as Error).message}`);
  }
  return { ...pair, certFile, generated };
}
