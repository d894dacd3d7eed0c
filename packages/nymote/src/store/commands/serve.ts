import { createGitHttpHandler, createStoreServer } from '@nymote/store/server';
import { defineCommand } from '../../command.js';
import { UsageError } from '../../usage.js';
import { listen, portArg, serveUntil } from '../../serving.js';
import type { StoreContext } from '../context.js';
import { cliSchema } from '../schema.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export const serve = defineCommand({
  name: 'serve',
  summary: 'serve the store over HTTP: a JSON API and git, until interrupted',
  usage: '[--host HOST] [--port PORT] [--token TOKEN] [--no-push]',
  help: `Serves the store over HTTP on one port until interrupted (Ctrl-C or SIGTERM;
exit status 0):

  /api   the JSON API: branches, keys, writes with test-and-set, log, merge,
         and a stream of changes (Server-Sent Events); see the store package's
         README and openapi.json
  /git   git smart HTTP: git clone, fetch and push (http://HOST:PORT/git);
         a push must be a fast-forward, as in a shared repository

Prints the address it listens on, and one line per request on stderr.

options:
  --host HOST     the address to listen on (default 127.0.0.1: this machine only)
  --port PORT     the port (default 8080; 0 picks a free one, printed at start)
  --token TOKEN   every request must carry it: "Authorization: Bearer TOKEN",
                  or HTTP Basic with TOKEN as the password (what git sends).
                  Default: $NYMOTE_TOKEN; no token means no authentication
  --no-push       refuse git push (403); clone and fetch still work

examples:
  nymote store --repo ./r.git serve --port 8080
  curl http://127.0.0.1:8080/api/branches/main/keys/contacts/alice.json
  git clone http://127.0.0.1:8080/git my-store`,
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    token: { type: 'string' },
    'no-push': { type: 'boolean' },
  },
  args: [],
  async run(_args, options, context: StoreContext) {
    const { io, repo } = context;
    const host = options.host ?? '127.0.0.1';
    const port = portArg(options.port ?? '8080');
    const token = options.token ?? (io.env['NYMOTE_TOKEN'] || undefined);
    if (token === '') throw new UsageError('--token must not be empty');
    const { store } = await context.open();
    // Asked for before listening, so that a signal during start-up also ends us cleanly.
    const interrupted = io.interrupted();
    const server = createStoreServer({
      store,
      schema: cliSchema,
      log: (line) => io.stderr.write(`nymote: ${line}\n`),
      // The server logs every request already, git's included.
      git: createGitHttpHandler({ store, allowPush: options['no-push'] !== true }),
      ...(token !== undefined ? { token } : {}),
    });
    const origin = await listen(server, host, port);
    if (token === undefined && !LOOPBACK.has(host)) {
      io.stderr.write(`nymote: warning: serving on ${host} without --token: anyone who can reach it can read and write the store\n`);
    }
    io.stdout.write(`nymote: serving ${repo} at ${origin} (API /api, git /git)\n`);
    return serveUntil(server, interrupted);
  },
});

