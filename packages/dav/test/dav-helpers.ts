// Test helpers: a DAV server on 127.0.0.1 over a store on disk, and raw requests to it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Accounts } from '@nymote/accounts';
import type { Store } from '@nymote/store';
import { openStore } from '@nymote/store/node';
import { createDavServer } from '../src/index.js';

export const PASSWORD = 'correct horse battery';

export interface TestServer {
  url: string;
  store: Store;
  repo: string;
  /** `git log --format=%s` of a branch, newest first. */
  log(branch: string): string[];
  request(method: string, path: string, options?: { user?: string; password?: string | null; body?: string; headers?: Record<string, string> }): Promise<{ status: number; text: string; headers: Headers }>;
  close(): Promise<void>;
}

export async function startServer(users: string[] = ['alice', 'bob'], options: { maxBodyBytes?: number } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'nymote-dav-'));
  const repo = join(dir, 'store.git');
  const store = await openStore(repo, { create: true, author: { name: 'Admin', email: 'admin@example.org' } });
  const accounts = new Accounts(store, { cost: { ln: 4, r: 8, p: 1 } });
  for (const u of users) await accounts.add(u, PASSWORD);
  const server = createDavServer({ store, accounts, ...options });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    store,
    repo,
    log: (branch) => execFileSync('git', ['--git-dir', repo, 'log', '--format=%s', branch], { encoding: 'utf8' }).trim().split('\n'),
    async request(method, path, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (o.password !== null) headers['Authorization'] = `Basic ${Buffer.from(`${o.user ?? 'alice'}:${o.password ?? PASSWORD}`).toString('base64')}`;
      const r = await fetch(url + path, { method, headers, redirect: 'manual', ...(o.body !== undefined ? { body: o.body } : {}) });
      return { status: r.status, text: await r.text(), headers: r.headers };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function fsck(repo: string): string {
  return execFileSync('git', ['--git-dir', repo, 'fsck', '--strict'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function event(uid: string, summary: string, start = '20261201T100000Z', end = '20261201T110000Z'): string {
  return [
    'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Nymote//Test//EN', 'BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20261126T100000Z',
    `DTSTART:${start}`, `DTEND:${end}`, `SUMMARY:${summary}`, 'END:VEVENT', 'END:VCALENDAR', '',
  ].join('\r\n');
}

export function vcard(uid: string, name: string, version = '4.0', email = `${name.toLowerCase()}@example.org`): string {
  return ['BEGIN:VCARD', `VERSION:${version}`, `UID:${uid}`, `FN:${name}`, `EMAIL;TYPE=work:${email}`, 'END:VCARD', ''].join('\r\n');
}
