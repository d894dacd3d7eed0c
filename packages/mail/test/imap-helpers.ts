// A mail server for tests: IMAP and the SMTP MX on 127.0.0.1 over a store in a temporary directory.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Accounts } from '@nymote/accounts';
import { nodeDevices } from '@nymote/composition';
import type { Store } from '@nymote/store';
import { openStore } from '@nymote/store/node';
import type { SMTPServer } from 'smtp-server';
import { Mailstores, createImapServer, createInboundServer } from '../src/index.js';

export const PASSWORD = 'correct horse battery';

export interface MailServer {
  dir: string;
  repo: string;
  store: Store;
  accounts: Accounts;
  mailstores: Mailstores;
  imapPort: number;
  smtpPort: number;
  close(): Promise<void>;
}

/**
 * `dir`: the directory of an earlier server (started with `keep`) to serve again, as after a
 * restart; `keep`: leave the directory when closing.
 */
export async function startMailServer(users = ['alice', 'bob'], options: { tls?: { cert: string; key: string }; dir?: string; keep?: boolean } = {}): Promise<MailServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'nymote-imap-'));
  const repo = join(dir, 'store.git');
  const store = await openStore(repo, { create: true, author: { name: 'Admin', email: 'admin@example.org' } });
  const accounts = new Accounts(store, { cost: { ln: 4, r: 8, p: 1 } });
  for (const u of users) if (!(await accounts.get(u))) await accounts.add(u, PASSWORD);
  const mailstores = new Mailstores(store);
  const { network } = nodeDevices();
  const imap = createImapServer({ accounts, mailstores, domain: 'example.org', ...(options.tls ? { tls: network.serverTls(options.tls) } : {}) });
  const imapListener = await network.listen(0, '127.0.0.1', imap.accept);
  const smtp: SMTPServer = createInboundServer({ accounts, mailstores, domain: 'example.org', authentication: false });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  return {
    dir, repo, store, accounts, mailstores,
    imapPort: imapListener.port,
    smtpPort: (smtp.server.address() as AddressInfo).port,
    async close() {
      imap.close();
      await imapListener.close();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      await store.close();
      if (!options.keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const message = (subject: string, body = 'Hello.', from = 'ann@example.net', to = 'alice@example.org') =>
  `From: Ann <${from}>\r\nTo: ${to}\r\nSubject: ${subject}\r\nDate: Thu, 26 Nov 2026 10:00:00 +0100\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`;
