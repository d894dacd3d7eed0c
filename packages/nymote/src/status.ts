// `nymote status`: is the daemon running, on which ports, for whom, and how big is the store.
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Accounts } from '@nymote/accounts';
import { nodeDevices } from '@nymote/composition';
import { defineCommand, type Command } from './command.js';
import type { Context } from './cli.js';
import { defaultDataDir, storeRepository } from './data-dir.js';
import { alive, readRunInfo } from './serve/run-file.js';
import { StoreSession } from './store/session.js';

async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? await bytesUnder(p) : (await stat(p).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

/** Whether something accepts connections at a service's URL. */
function answers(url: string): Promise<boolean> {
  const u = new URL(url);
  // URL leaves out a scheme's default port ("http://h:80" has port ""): those are the ports then.
  const port = Number(u.port || { 'http:': 80, 'https:': 443 }[u.protocol]);
  return nodeDevices().network.connect(port, u.hostname.replace(/^\[|\]$/g, ''), { timeoutMs: 1000 })
    .then((connection) => { connection.destroy(); return true; }, () => false);
}

const human = (n: number) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : n < 1 << 30 ? `${(n / 1048576).toFixed(1)} MiB` : `${(n / (1 << 30)).toFixed(2)} GiB`);

export const statusCommand: Command<Context> = defineCommand({
  name: 'status',
  summary: 'show whether nymote serve runs, its services, users, store size and last change',
  usage: '[--data DIR]',
  help: `Shows whether "nymote serve" runs for the data directory (its process and each
service's address, checked by connecting), the users, the size of the store
and the last change on any branch.

Exit status: 0 running; 3 not running (as systemctl status); 1 failure.`,
  options: { data: { type: 'string' } },
  args: [],
  async run(_args, options, { io }) {
    const dataDir = typeof options.data === 'string' ? resolve(options.data) : defaultDataDir(io.env);
    const info = await readRunInfo(dataDir);
    const running = info !== undefined && alive(info.pid);
    let out = `data      ${dataDir}\n`;
    if (running) {
      out += `running   pid ${info.pid}, since ${info.started}, domain ${info.domain}\n`;
      for (const s of info.services) out += `  ${s.service.padEnd(12)} ${s.url}${(await answers(s.url)) ? '' : '  (not answering)'}\n`;
    } else {
      out += 'running   no\n';
    }
    const session = new StoreSession(io, storeRepository(dataDir));
    try {
      const { store } = await session.open().catch(() => ({ store: undefined }));
      if (store) {
        const users = await new Accounts(store).list();
        out += `users     ${users.length ? users.map((u) => u.name).join(', ') : '(none: nymote user add NAME)'}\n`;
        out += `store     ${human(await bytesUnder(storeRepository(dataDir)))} in ${storeRepository(dataDir)}\n`;
        let last: { time: number; branch: string; message: string; id: string } | undefined;
        for (const branch of await store.branches()) {
          const id = (await store.head(branch))!;
          const c = await store.objects.commit(id);
          if (!last || c.committer.time > last.time) last = { time: c.committer.time, branch, message: c.message.split('\n')[0]!, id };
        }
        if (last) out += `last      ${new Date(last.time * 1000).toISOString().replace(/\.000Z$/, 'Z')}  ${last.branch}  ${last.id.slice(0, 12)}  ${last.message}\n`;
      } else {
        out += 'store     none yet (nymote serve or nymote user add makes it)\n';
      }
    } finally {
      await session.close();
    }
    io.stdout.write(out);
    return running ? 0 : 3;
  },
});
