// The DKIM key outgoing mail is signed with, made on first run; its public half goes into DNS.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface DkimKey { selector: string; privateKey: string; dnsName: string; dnsRecord: string; generated: boolean }

export async function ensureDkimKey(dataDir: string, domain: string, selector: string): Promise<DkimKey> {
  const file = join(dataDir, 'dkim', `${selector}.pem`);
  let privateKey: string;
  let generated = false;
  try {
    privateKey = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await mkdir(join(dataDir, 'dkim'), { recursive: true, mode: 0o700 });
    await writeFile(file, privateKey, { mode: 0o600 });
    generated = true;
  }
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('base64');
  return { selector, privateKey, dnsName: `${selector}._domainkey.${domain}`, dnsRecord: `v=DKIM1; k=rsa; p=${spki}`, generated };
}
