// Git's smart HTTP protocol (gitprotocol-http) over node:http: the ref advertisement at
// GET /info/refs?service=..., and one POST per upload-pack or receive-pack round. The protocol work is
// in sync/server/; this file maps it onto HTTP (content types, gzip bodies, status codes, streaming).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import { isStoreError } from '../errors.js';
import { HttpError } from './errors.js';
import type { Sha1 } from '../git/object.js';
import type { Zlib } from '../git/pack/types.js';
import type { Store } from '../store.js';
import { nodeSha1 } from '../backend/fs/hash.js';
import { nodeZlib } from '../backend/fs/zlib.js';
import { FLUSH_PKT, pktLine } from '../sync/pkt-line.js';
import { advertiseV0, advertiseV2 } from '../sync/server/advertise.js';
import { receivePack } from '../sync/server/receive-pack.js';
import { errorText, PackCache, uploadPackV0, uploadPackV2 } from '../sync/server/upload-pack.js';

export interface GitHttpOptions {
  store: Store;
  /** Serve git-receive-pack (push); default false: pushes get 403. */
  allowPush?: boolean;
  /** Accept pushes that are not fast-forwards (git push --force); default false. */
  allowNonFastForward?: boolean;
  /** Deltify packs sent to clients (default true): smaller responses for more CPU. */
  deltas?: boolean;
  /** Bytes of recently sent packs kept to answer identical requests (default 128 MiB; 0 turns it off). */
  packCacheBytes?: number;
  /** Largest pushed pack accepted, in bytes (default 1 GiB). */
  maxPushBytes?: number;
  zlib?: Zlib;
  sha1?: Sha1;
  /** One line per request handled, for the server's log. */
  log?: (line: string) => void;
}

type Service = 'git-upload-pack' | 'git-receive-pack';

const NO_CACHE = {
  'Cache-Control': 'no-cache, max-age=0, must-revalidate',
  Pragma: 'no-cache',
  Expires: 'Fri, 01 Jan 1980 00:00:00 GMT',
};

/** Whether the client asked for protocol v2 (Git-Protocol: version=2, possibly among other keys). */
function wantsV2(req: IncomingMessage): boolean {
  const h = req.headers['git-protocol'];
  const value = Array.isArray(h) ? h.join(':') : h ?? '';
  return value.split(':').some((kv) => kv.trim() === 'version=2');
}

/** The request body, un-gzipped when git compressed it (it does for large negotiation requests). */
function requestBody(req: IncomingMessage): AsyncIterable<Uint8Array> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding === 'identity' || encoding === '') return req;
  if (encoding === 'gzip' || encoding === 'x-gzip' || encoding === 'deflate') {
    const decoder = encoding === 'deflate' ? createInflate() : createGunzip();
    // pipeline carries errors of either side to the decoder, which the reader then sees as a throw.
    pipeline(req, decoder, () => {});
    return decodeErrors(decoder);
  }
  throw new HttpError(415, 'unsupported-media-type', `unsupported Content-Encoding "${encoding}"`);
}

async function* decodeErrors(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* source;
  } catch (e) {
    throw new HttpError(400, 'bad-request', `bad request body: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Writes a chunk, waiting while the socket's buffer is full; false when the client went away. */
function write(res: ServerResponse, chunk: Uint8Array): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return Promise.resolve(false);
  if (res.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = (): void => done(true);
    const onClose = (): void => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/**
 * Sends a protocol response. The first chunk is computed before the status line, so a request the
 * protocol code refuses outright gets a 4xx with the reason rather than a 200 with a broken body.
 */
async function stream(res: ServerResponse, contentType: string, chunks: AsyncGenerator<Uint8Array>): Promise<void> {
  const first = await chunks.next();
  res.writeHead(200, { 'Content-Type': contentType, ...NO_CACHE });
  if (first.done) {
    res.end();
    return;
  }
  try {
    if (!(await write(res, first.value))) return;
    for (;;) {
      const r = await chunks.next();
      if (r.done) break;
      if (!(await write(res, r.value))) return; // the client is gone; stop producing
    }
    res.end();
  } catch (e) {
    // Headers are out: the only way left to signal failure is to cut the response short.
    res.destroy(e instanceof Error ? e : new Error(String(e)));
  } finally {
    await chunks.return(undefined);
  }
}

function statusOf(e: unknown): number {
  if (e instanceof HttpError) return e.status;
  if (isStoreError(e)) {
    switch (e.code) {
      case 'protocol':
      case 'invalid-ref':
      case 'corrupt-pack':
      case 'corrupt-object':
      case 'invalid-object':
        return 400;
      case 'not-found':
        return 404;
      case 'lock-timeout':
        return 503;
      default:
        return 500;
    }
  }
  return 500;
}

/**
 * A handler for Git's smart HTTP protocol, mounted wherever the caller likes: `path` is what follows
 * the mount point ("/info/refs", "/git-upload-pack", "/git-receive-pack", "/HEAD").
 */
export function createGitHttpHandler(options: GitHttpOptions): (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void> {
  const zlib = options.zlib ?? nodeZlib;
  const sha1 = options.sha1 ?? nodeSha1;
  const store = options.store;
  const cacheBytes = options.packCacheBytes ?? 128 << 20;
  const packCache = cacheBytes > 0 ? new PackCache(cacheBytes) : undefined;

  const advertise = async (req: IncomingMessage, res: ServerResponse, service: string | null): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method-not-allowed', 'use GET for /info/refs');
    if (service === null) throw new HttpError(403, 'forbidden', 'this server speaks only the smart HTTP protocol (add ?service=git-upload-pack)');
    if (service !== 'git-upload-pack' && service !== 'git-receive-pack') throw new HttpError(403, 'forbidden', `unsupported service "${service}"`);
    if (service === 'git-receive-pack' && !options.allowPush) throw new HttpError(403, 'forbidden', 'pushing to this repository is not allowed');
    let body: Uint8Array[];
    if (service === 'git-upload-pack' && wantsV2(req)) {
      // A v2 response starts straight with "version 2": the "# service=" preamble is v0's.
      body = advertiseV2();
    } else {
      body = [pktLine(`# service=${service}\n`), FLUSH_PKT, ...(await advertiseV0(store, service))];
    }
    res.writeHead(200, { 'Content-Type': `application/x-${service}-advertisement`, ...NO_CACHE });
    if (req.method === 'HEAD') res.end();
    else res.end(Buffer.concat(body));
  };

  const rpc = async (req: IncomingMessage, res: ServerResponse, service: Service): Promise<void> => {
    if (req.method !== 'POST') throw new HttpError(405, 'method-not-allowed', `use POST for /${service}`);
    if (service === 'git-receive-pack' && !options.allowPush) throw new HttpError(403, 'forbidden', 'pushing to this repository is not allowed');
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== '' && type !== `application/x-${service}-request`) {
      throw new HttpError(415, 'unsupported-media-type', `expected Content-Type application/x-${service}-request`);
    }
    const body = requestBody(req);
    const where = `client ${req.socket.remoteAddress ?? ''}`.trim();
    let chunks: AsyncGenerator<Uint8Array>;
    if (service === 'git-upload-pack') {
      const o = { zlib, sha1, deltas: options.deltas, where, packCache };
      chunks = wantsV2(req) ? uploadPackV2(store, body, o) : uploadPackV0(store, body, o);
    } else {
      chunks = receivePack(store, body, {
        zlib, sha1, where,
        allowNonFastForward: options.allowNonFastForward,
        maxPackBytes: options.maxPushBytes ?? 1 << 30,
      });
    }
    await stream(res, `application/x-${service}-result`, chunks);
  };

  return async (req, res, path) => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = path.split('?')[0]!;
    // A client that breaks off mid-request must not take the process down with an unhandled error.
    req.on('error', () => {});
    res.on('error', () => {});
    try {
      if (route === '/info/refs') await advertise(req, res, url.searchParams.get('service'));
      else if (route === '/git-upload-pack') await rpc(req, res, 'git-upload-pack');
      else if (route === '/git-receive-pack') await rpc(req, res, 'git-receive-pack');
      else if (route === '/HEAD' && (req.method === 'GET' || req.method === 'HEAD')) {
        const target = await store.backend.refs.readSymbolic('HEAD');
        const head = target ? `ref: ${target}\n` : `${(await store.backend.refs.read('HEAD')) ?? ''}\n`;
        res.writeHead(200, { 'Content-Type': 'text/plain', ...NO_CACHE });
        res.end(req.method === 'HEAD' ? undefined : head);
      } else throw new HttpError(404, 'not-found', `no such Git endpoint: ${route}`);
    } catch (e) {
      const status = statusOf(e);
      if (!res.headersSent) {
        res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...NO_CACHE });
        res.end(`${errorText(e)}\n`);
      } else if (!res.writableEnded) res.destroy();
      options.log?.(`git ${req.method} ${route} ${status} ${errorText(e)}`);
      // Drain what the client is still sending, so the connection can close cleanly.
      if (!req.readableEnded) req.resume();
      return;
    }
    options.log?.(`git ${req.method} ${route} ${res.statusCode} ${Date.now() - started}ms`);
  };
}
