// git http-backend (git's own smart HTTP server) run as a CGI program behind node:http on 127.0.0.1,
// so sync tests talk to the real thing. Each test starts one on port 0 and closes it.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';

const BACKEND = '/usr/lib/git-core/git-http-backend';

export interface HttpBackendOptions {
  /** Pass the client's Git-Protocol header on, so protocol v2 is spoken (default true). */
  protocolV2?: boolean;
  /** Rewrites a response body before it is sent (to truncate or damage a pack). */
  mangle?: (request: { method: string; path: string }, body: Buffer) => Buffer;
}

export interface HttpBackend {
  /** http://127.0.0.1:PORT (append "/repo.git"). */
  url: string;
  /** What was asked, in order: "GET /repo.git/info/refs?service=git-upload-pack v2". */
  log: string[];
  close(): Promise<void>;
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Serves every repository under `projectRoot` (push enabled). */
export async function startHttpBackend(projectRoot: string, options: HttpBackendOptions = {}): Promise<HttpBackend> {
  const log: string[] = [];
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readAll(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const protocol = options.protocolV2 === false ? undefined : req.headers['git-protocol'];
    log.push(`${req.method} ${url.pathname}${url.search}${protocol ? ` ${String(protocol).replace('version=', 'v')}` : ''}`);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'], HOME: tmpdir(), GIT_CONFIG_NOSYSTEM: '1',
      GIT_PROJECT_ROOT: projectRoot, GIT_HTTP_EXPORT_ALL: '1',
      GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.receivepack', GIT_CONFIG_VALUE_0: 'true',
      REQUEST_METHOD: req.method, PATH_INFO: decodeURIComponent(url.pathname), QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '', CONTENT_LENGTH: String(body.length),
      REMOTE_ADDR: '127.0.0.1', SERVER_PROTOCOL: 'HTTP/1.1', GATEWAY_INTERFACE: 'CGI/1.1',
      ...(protocol ? { HTTP_GIT_PROTOCOL: String(protocol) } : {}),
    };
    const child = spawn(BACKEND, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const err = readAll(child.stderr);
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // git may answer (and exit) before reading all of a refused push; its output says what happened.
    child.stdin.on('error', () => {});
    child.stdin.end(body);
    // The CGI header block, then the body: streamed as git writes it (a clone's pack can be large,
    // and a benchmark must not make git's server wait for its whole output), unless it is to be mangled.
    let head = Buffer.alloc(0);
    let sent = false;
    const sendHeaders = (raw: Buffer, sepLen: number, split: number): Buffer => {
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of raw.subarray(0, split).toString('latin1').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = parseInt(value, 10);
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      sent = true;
      return raw.subarray(split + sepLen);
    };
    const mangled: Buffer[] = [];
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      if (sent) {
        if (options.mangle) mangled.push(chunk);
        else if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
        continue;
      }
      head = Buffer.concat([head, chunk]);
      const crlf = head.indexOf('\r\n\r\n');
      const lf = head.indexOf('\n\n');
      if (crlf < 0 && lf < 0) continue;
      const rest = crlf >= 0 && (lf < 0 || crlf < lf) ? sendHeaders(head, 4, crlf) : sendHeaders(head, 2, lf);
      if (options.mangle) mangled.push(rest);
      else res.write(rest);
    }
    const code = await closed;
    if (!sent) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`git-http-backend exited ${code}: ${(await err).toString()}`);
      return;
    }
    if (options.mangle) res.end(options.mangle({ method: req.method ?? 'GET', path: url.pathname }, Buffer.concat(mangled)));
    else res.end();
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
