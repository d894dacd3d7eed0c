// First run: a self-signed certificate for the domain, so every service can offer TLS from the start.
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { readCertificatePair } from '../serving.js';

export interface TlsFiles { cert: Buffer; key: Buffer; certFile: string; generated: boolean }

/** The configured certificate, or the one in DATA/tls/, made now if missing (valid 10 years). */
export async function ensureCertificate(dataDir: string, domain: string, configured?: { cert: string; key: string }): Promise<TlsFiles> {
  const certFile = configured?.cert ?? join(dataDir, 'tls', 'cert.pem');
  const keyFile = configured?.key ?? join(dataDir, 'tls', 'key.pem');
  // Made on first run, when neither the configuration names one nor DATA/tls/ has one yet.
  const generated = !configured && !(existsSync(certFile) && existsSync(keyFile));
  if (generated) {
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
  }
  const pair = await readCertificatePair(certFile, keyFile);
  return { ...pair, certFile, generated };
}
