import { createDavServer } from '@nymote/dav';
import { defineCommand } from '../command.js';
import { listen, portArg, serveUntil, tlsFiles } from '../serving.js';
import type { DavContext } from './context.js';

export const serve = defineCommand({
  name: 'serve',
  summary: 'serve contacts and calendars (CardDAV, CalDAV) until interrupted',
  usage: '[--host HOST] [--port PORT] [--tls-cert FILE --tls-key FILE]',
  help: `Serves the contacts and calendars of the data directory's users over CardDAV
and CalDAV until interrupted (Ctrl-C or SIGTERM; exit status 0). Users log in
with the names and passwords of "nymote user add"; each one's data lives on
the store's branch users/NAME, one commit per change.

Give a phone or a desktop client the address http://HOST:PORT/ with the
user's name and password: it finds the rest (/.well-known/caldav and
/.well-known/carddav lead to /dav/).

Passwords travel with every request, so over plain HTTP only clients on this
machine can log in; give a certificate to serve HTTPS to other machines.
Failed logins are limited per address and per user (429 with Retry-After).

options:
  --host HOST       the address to listen on (default 127.0.0.1: this machine only)
  --port PORT       the port (default 5232; 0 picks a free one, printed at start)
  --tls-cert FILE   a PEM certificate (chain): serve HTTPS
  --tls-key FILE    its PEM private key

example:
  nymote dav serve --data ~/nymote --port 5232`,
  options: { host: { type: 'string' }, port: { type: 'string' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' } },
  args: [],
  async run(_args, options, context: DavContext) {
    const { io, dataDir } = context;
    const host = options.host ?? '127.0.0.1';
    const port = portArg(options.port ?? '5232');
    const tls = await tlsFiles(options['tls-cert'], options['tls-key']);
    const { store, accounts } = await context.open({ service: true });
    const interrupted = io.interrupted();
    const server = createDavServer({ store, accounts, ...(tls ? { tls } : {}), log: (line) => io.stderr.write(`nymote: ${line}\n`) });
    const origin = await listen(server, host, port, tls !== undefined);
    io.stdout.write(`nymote: serving contacts and calendars at ${origin}/dav/ (data ${dataDir})\n`);
    return serveUntil(server, interrupted);
  },
});

