// `nymote serve`: the whole Nymote in one process.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Accounts } from '@nymote/accounts';
import { defineCommand, type Command } from '../command.js';
import type { Context } from '../cli.js';
import { defaultDataDir, storeRepository } from '../data-dir.js';
import { StoreSession } from '../store/session.js';
import { CONFIG_FILE, SERVICES, applyFlags, defaults, readConfigFile } from './config.js';
import { runDaemon, serviceLines } from './daemon.js';
import { isSealed, runSealed } from './sealed.js';

const portOptions = Object.fromEntries(SERVICES.map((s) => [`${s}-port`, { type: 'string' as const }]));

export const serveCommand: Command<Context> = defineCommand({
  name: 'serve',
  summary: 'run mail (IMAP, SMTP), contacts and calendars (DAV) until stopped',
  usage: '[--data DIR] [--host ADDR] [--domain NAME] [--SERVICE-port P ...] [--tls-cert F --tls-key F]',
  help: `Starts every Nymote service in this process and runs until SIGINT or SIGTERM,
which stop them cleanly (within 5 s). The first run creates the data directory,
a self-signed TLS certificate for the domain (DATA/tls/) and a DKIM key
(DATA/dkim/), and says how to add the first user.

Settings come from DATA/${CONFIG_FILE} (TOML), and flags win over it:

  host = "0.0.0.0"            # default 127.0.0.1: this machine only
  domain = "example.org"      # mail for NAME@example.org is local (default localhost)
  relay = "smtp.example.net:587"   # send outgoing mail there (default: each domain's MX)
  log_format = "json"         # or "text"
  [ports]                     # 0 turns a listener off
  imap = 143
  [tls]
  cert = "/etc/letsencrypt/live/example.org/fullchain.pem"
  key = "/etc/letsencrypt/live/example.org/privkey.pem"

options:
  --data DIR            the data directory (default: $NYMOTE_DATA, else
                        $XDG_DATA_HOME/nymote, else ~/.local/share/nymote)
  --host ADDR           the address to listen on
  --domain NAME         the mail domain
  --imap-port P, --imaps-port P, --smtp-port P, --submission-port P,
  --submissions-port P, --http-port P, --https-port P
                        ports; as root (or with NYMOTE_PORTS=standard, e.g. given
                        CAP_NET_BIND_SERVICE) 143, 993, 25, 587, 465, 80, 443,
                        otherwise 1143, 1993, 2525, 1587, 1465, 8080, 8443
  --tls-cert FILE, --tls-key FILE   a certificate instead of the self-signed one
  --relay HOST[:PORT]   the next hop for outgoing mail
  --log-format F        text (default) or json: one line per event on stderr
  --sealed              run under Node's permission model: read only the program
                        and DATA, write only DATA, no child processes

example:
  nymote serve --data /var/lib/nymote --domain example.org --host 0.0.0.0`,
  options: {
    data: { type: 'string' }, host: { type: 'string' }, domain: { type: 'string' },
    'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, relay: { type: 'string' }, 'log-format': { type: 'string' },
    sealed: { type: 'boolean' },
    ...portOptions,
  },
  args: [],
  async run(_args, options, { io }) {
    const dataDir = typeof options.data === 'string' ? resolve(options.data) : defaultDataDir(io.env);
    const firstRun = await mkdir(dataDir, { recursive: true, mode: 0o700 }).then((made) => made !== undefined);
    if (options.sealed && !isSealed()) {
      const argv = process.argv.slice(2).filter((a) => a !== '--sealed');
      if (!argv.includes('--data')) argv.push('--data', dataDir);
      return runSealed(process.argv[1]!, argv, dataDir);
    }
    io.interrupted(); // asked for before anything else, so that a signal during start-up also ends us cleanly
    const base = defaults(process.getuid?.() === 0 || io.env['NYMOTE_PORTS'] === 'standard');
    // A service: its store's caches keep what is hot and let the rest go (SERVICE_CACHE; issue target: 80 MB idle).
    const session = new StoreSession(io, storeRepository(dataDir));
    try {
      const { store } = await session.open({ create: true, service: true });
      const accounts = new Accounts(store);
      return await runDaemon({
        io, dataDir, store, accounts,
        readConfig: async () => applyFlags(await readConfigFile(dataDir, base), options as Record<string, string | undefined>),
        async banner(config, running) {
          const noUsers = (await accounts.list()).length === 0 ? `No users yet. Add the first with:\n  nymote user add NAME --data ${dataDir}\n` : '';
          return `nymote: serving ${config.domain} from ${dataDir}${firstRun ? ' (new)' : ''}\n${serviceLines(running)}${noUsers}`;
        },
      });
    } finally {
      await session.close();
    }
  },
});
