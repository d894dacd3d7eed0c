import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Schema } from '../merge-trees.js';
import type { Store } from '../store.js';

/**
 * A handler mounted under a path prefix (the git smart HTTP endpoint under /git). `path` is what
 * follows the prefix, without the query string ("/info/refs"; "" for the prefix itself); the query is
 * still in req.url. Authentication has already been checked when it is called.
 */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;

export interface StoreServerOptions {
  store: Store;
  /** When set, every request must carry it (Authorization: Bearer, or Basic with it as the password). */
  token?: string;
  /** Git smart HTTP, served at /git and /git/...; absent: those paths answer 404. */
  git?: HttpHandler;
  /** The largest request body accepted, in bytes (default 16 MiB); larger ones get 413. */
  maxBodyBytes?: number;
  /** One line per request and per server-side failure; nothing is logged when absent. */
  log?: (line: string) => void;
  /**
   * The store's schema, so that values are served with the media type their content type implies
   * (json: application/json; text, lines: text/plain). Without it, keys ending in ".json" are JSON
   * and everything else is application/octet-stream.
   */
  schema?: Schema;
  /** Milliseconds between the comments that keep idle watch streams open (default 15000). */
  heartbeatMs?: number;
  /**
   * Asked before every API request runs, with the route it matched (`{ method, path }`, e.g. GET
   * "/api/branches/{branch}/log") and its parameters (`branch`, `commit`, `key`, decoded); throws an
   * HttpError to refuse it (401, 403). Lets an embedding server give each person their branch only.
   */
  authorize?: ApiAuthorizer;
}

export type ApiAuthorizer = (req: IncomingMessage, route: { method: string; path: string }, params: Readonly<Record<string, string>>) => Promise<void> | void;
