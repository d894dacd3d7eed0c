import { Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { handleApi, type ApiServer } from './api.js';
import { tokenChecker } from './auth.js';
import { DEFAULT_MAX_BODY_BYTES, discardRest } from './body.js';
import { HttpError, badRequest, sendError, toHttpError } from './errors.js';
import type { SseStream } from './sse.js';
import type { StoreServerOptions } from './types.js';

const DEFAULT_HEARTBEAT_MS = 15_000;

/**
 * An http.Server whose close() also ends the open watch streams, which would otherwise keep it
 * from ever finishing closing.
 */
export class StoreServer extends Server {
  readonly streams = new Set<SseStream>();

  override close(callback?: (err?: Error) => void): this {
    super.close(callback);
    for (const s of [...this.streams]) s.end();
    return this;
  }
}

/**
 * The store over HTTP on one server: the JSON API under /api and git smart HTTP under /git (when
 * `git` is given). Call listen() on the result; close() ends everything, including watch streams.
 */
export function createStoreServer(options: StoreServerOptions): StoreServer {
  const server = new StoreServer();
  const handle = createStoreHandler(options, server.streams);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => void handle(req, res));
  // Answering "Expect: 100-continue" is left to the handler that reads the body, so that a request
  // refused by its headers (no token, too large, bad key) is refused before its body is sent.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => void handle(req, res));
  return server;
}

/**
 * The same as a request handler, to mount in another node:http server (the daemon serves it beside
 * CalDAV). Watch streams are kept in `streams`: end them when the server closes.
 */
export function createStoreHandler(options: StoreServerOptions, streams: Set<SseStream> = new Set()): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const log = options.log ?? (() => {});
  const checkToken = options.token !== undefined ? tokenChecker(options.token) : undefined;
  const api: ApiServer = {
    store: options.store,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    schema: options.schema,
    heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    streams,
    log,
    authorize: options.authorize,
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    res.on('close', () => log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`));
    try {
      const url = req.url ?? '';
      if (!url.startsWith('/')) throw badRequest(`the request target "${url}" must be a path`);
      // Before anything else, so that without the token nothing is learned, not even which paths exist.
      checkToken?.(req);
      const q = url.indexOf('?');
      const pathname = q < 0 ? url : url.slice(0, q);
      const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
      if (pathname === '/git' || pathname.startsWith('/git/')) {
        if (!options.git) throw new HttpError(404, 'not-found', 'git over HTTP is not served here', { path: pathname });
        await options.git(req, res, pathname.slice('/git'.length));
        return;
      }
      if (pathname === '/api' || pathname.startsWith('/api/')) {
        await handleApi(req, res, pathname, query, api);
        return;
      }
      throw new HttpError(404, 'not-found', `no such resource: ${pathname} (the API is under /api, git under /git)`, { path: pathname });
    } catch (e) {
      const err = toHttpError(e);
      if (err.status >= 500) log(`${req.method} ${req.url} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      if (!req.complete && !res.headersSent) {
        // Refused before its body was read (no token, bad path): read no more of it than a 413 would.
        res.setHeader('Connection', 'close');
        discardRest(req, api.maxBodyBytes);
      }
      sendError(res, err);
    }
  };

  return handle;
}
