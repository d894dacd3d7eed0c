// `nymote mail serve`: IMAP and SMTP alone (`nymote serve` runs them with everything else).
import { defineCommand } from '../command.js';
import type { DataContext } from '../data-context.js';
import { applyFlags, defaults, readConfigFile } from '../serve/config.js';
import { runDaemon, serviceLines } from '../serve/daemon.js';

export const serve = defineCommand({
  name: 'serve',
  summary: 'serve mail (IMAP, SMTP) until interrupted',
  usage: '[--host HOST] [--domain NAME] [--imap-port P] [--smtp-port P] [--submission-port P] [...]',
  help: `Serves the mail of the data directory's users until SIGINT or SIGTERM: IMAP
(STARTTLS), SMTP for incoming mail (mail for NAME@DOMAIN is delivered to NAME),
and submission for users' own clients. Every delivery, flag change, move and
expunge is a commit on users/NAME ("nymote mail log", "nymote mail undo").

options:
  --host HOST            the address to listen on (default 127.0.0.1)
  --domain NAME          the mail domain (default localhost)
  --imap-port P          IMAP with STARTTLS (default 1143, 143 as root)
  --imaps-port P         IMAP over TLS (default off)
  --smtp-port P          incoming mail (default 2525, 25 as root)
  --submission-port P    users' clients, STARTTLS (default 1587, 587 as root)
  --submissions-port P   users' clients over TLS (default off)
  --tls-cert F, --tls-key F   a certificate (default: DATA/tls/, made on first run)
  --relay HOST[:PORT]    the next hop for outgoing mail (default: each domain's MX)
  --log-format F         text or json
  A port of 0 turns that listener off. Settings in DATA/nymote.toml apply too;
  SIGHUP reads them again.

example:
  nymote mail serve --data ~/nymote --domain example.org --imap-port 1143`,
  options: {
    host: { type: 'string' }, domain: { type: 'string' }, 'imap-port': { type: 'string' }, 'imaps-port': { type: 'string' },
    'smtp-port': { type: 'string' }, 'submission-port': { type: 'string' }, 'submissions-port': { type: 'string' },
    'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, relay: { type: 'string' }, 'log-format': { type: 'string' },
  },
  args: [],
  async run(_args, options, context: DataContext) {
    const { io, dataDir } = context;
    io.interrupted(); // asked for before anything else, so that a signal during start-up also ends us cleanly
    const base = defaults(process.getuid?.() === 0 || io.env['NYMOTE_PORTS'] === 'standard');
    const { store, accounts } = await context.open({ service: true });
    return runDaemon({
      io, dataDir, store, accounts,
      async readConfig() {
        const fromFile = await readConfigFile(dataDir, base);
        return applyFlags({ ...fromFile, ports: { ...fromFile.ports, http: 0, https: 0, imaps: 0, submissions: 0 } }, options as Record<string, string | undefined>);
      },
      banner: async (config, running) => `nymote: serving mail for ${config.domain} (data ${dataDir})\n${serviceLines(running)}`,
    });
  },
});
