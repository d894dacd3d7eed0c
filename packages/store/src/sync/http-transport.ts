// Git's smart HTTP protocol, client side (gitprotocol-http, gitprotocol-v2, gitprotocol-pack), over
// the global fetch so it runs in browsers too. Fetching speaks protocol v2 when the server offers it
// (it answers the Git-Protocol request header with "version 2"), else v0 with stateless want/have.
// Pushing is receive-pack v0, the only version git has for it.
import { StoreError } from '../errors.js';
import { concat, fromUtf8 } from '../git/bytes.js';
import { isObjectId, ZERO_ID, type ObjectId } from '../git/id.js';
import { DELIM_PKT, FLUSH_PKT, PktReader, demuxSideband, pktLine, pktText } from './pkt-line.js';
import type { FetchPackRequest, PushCommand, PushReport, RemoteRefs, SyncProgress, Transport } from './transport.js';

export interface HttpTransportOptions {
  /** The fetch to use (default: the global one). */
  fetch?: typeof globalThis.fetch;
  /** Extra request headers (an Authorization header, say). */
  headers?: Record<string, string>;
  /** Ask for protocol v2 when fetching (default true); false forces v0. */
  protocolV2?: boolean;
  /** Sent as agent= (default "nymote/0.1"). */
  agent?: string;
}

type Service = 'git-upload-pack' | 'git-receive-pack';

interface Discovery {
  version: 0 | 2;
  /** v2: capability lines ("fetch=shallow", "ls-refs", "object-format=sha1") by key; v0: the caps. */
  capabilities: Map<string, string>;
  /** v0 only: the advertised refs. */
  refs: RemoteRefs | undefined;
}

/** Progress lines git sends end in \r while they update and \n when done; pass each once. */
function progressLines(onProgress: ((p: SyncProgress) => void) | undefined): ((message: string) => void) | undefined {
  if (!onProgress) return undefined;
  return (message) => {
    for (const line of message.split(/[\r\n]+/)) if (line.trim() !== '') onProgress({ phase: 'remote', message: line.trim() });
  };
}

/** The chunks of a response body, through the stream reader API (async iteration of streams is not everywhere). */
async function* bodyChunks(res: Response): AsyncGenerator<Uint8Array> {
  if (!res.body) return;
  const reader = res.body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      if (value && value.length > 0) yield value;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
  }
}

class HttpTransport implements Transport {
  readonly url: string;
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly doFetch: typeof globalThis.fetch;
  private readonly agent: string;
  private readonly v2: boolean;
  private upload: Discovery | undefined;

  constructor(url: string, options: HttpTransportOptions) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new StoreError('remote', `not a URL: ${url}`, { url });
    }
    this.headers = { ...options.headers };
    // fetch() refuses URLs with credentials in them; send them as git does, with Basic authentication.
    if (parsed.username || parsed.password) {
      const user = decodeURIComponent(parsed.username);
      const pass = decodeURIComponent(parsed.password);
      this.headers['Authorization'] ??= `Basic ${btoa(unescape(encodeURIComponent(`${user}:${pass}`)))}`;
      parsed.username = '';
      parsed.password = '';
    }
    this.base = parsed.toString().replace(/\/+$/, '');
    this.url = this.base;
    this.doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.agent = options.agent ?? 'nymote/0.1';
    this.v2 = options.protocolV2 ?? true;
  }

  private async request(path: string, init: RequestInit, expectType: string): Promise<Response> {
    const url = `${this.base}/${path}`;
    let res: Response;
    try {
      res = await this.doFetch(url, { ...init, headers: { ...this.headers, ...(init.headers as Record<string, string>) } });
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message;
      throw new StoreError('remote', `${this.url}: cannot reach the server: ${cause ?? (e as Error).message}`, { url: this.url }, { cause: e });
    }
    if (res.status !== 200) {
      let detail = '';
      try {
        detail = (await res.text()).trim().slice(0, 200);
      } catch { /* the status says enough */ }
      const what = res.status === 401 || res.status === 403 ? ' (authentication required or refused)' : res.status === 404 ? ' (no repository there?)' : '';
      throw new StoreError('remote', `${this.url}: HTTP ${res.status} ${res.statusText}${what} for ${path}${detail ? `: ${detail}` : ''}`, { url: this.url, status: res.status });
    }
    const type = res.headers.get('content-type') ?? '';
    if (!type.startsWith(expectType)) {
      await res.body?.cancel().catch(() => {});
      throw new StoreError('protocol', `${this.url}: expected ${expectType} from ${path}, got "${type}" (not a smart Git HTTP server? dumb HTTP is not supported)`, { url: this.url });
    }
    return res;
  }

  private reader(res: Response): PktReader {
    return new PktReader(bodyChunks(res), this.url);
  }

  private async discover(service: Service, v2: boolean): Promise<Discovery> {
    const res = await this.request(`info/refs?service=${service}`, {
      method: 'GET',
      headers: { ...(v2 ? { 'Git-Protocol': 'version=2' } : {}), 'Cache-Control': 'no-cache', Pragma: 'no-cache' },
    }, `application/x-${service}-advertisement`);
    const r = this.reader(res);
    let p = await r.next();
    if (p?.type === 'data' && pktText(p.data).startsWith('# service=')) {
      if (pktText(p.data) !== `# service=${service}`) throw r.error(`advertisement is for "${pktText(p.data)}", not ${service}`);
      const f = await r.next();
      if (f?.type !== 'flush') throw r.error('no flush after the service line');
      p = await r.next();
    }
    if (p?.type === 'data' && pktText(p.data) === 'version 2') {
      const capabilities = new Map<string, string>();
      for (;;) {
        const q = await r.next();
        if (q === undefined || q.type === 'flush') break;
        if (q.type !== 'data') throw r.error(`unexpected ${q.type} in the capability advertisement`);
        const line = pktText(q.data);
        const eq = line.indexOf('=');
        capabilities.set(eq < 0 ? line : line.slice(0, eq), eq < 0 ? '' : line.slice(eq + 1));
      }
      return { version: 2, capabilities, refs: undefined };
    }
    if (p?.type === 'data' && pktText(p.data) === 'version 1') p = await r.next();
    return { version: 0, ...(await readV0Advertisement(r, p)) };
  }

  private async uploadDiscovery(): Promise<Discovery> {
    this.upload ??= await this.discover('git-upload-pack', this.v2);
    return this.upload;
  }

  /** The first lines of a v2 command request: the command and the capabilities both sides know. */
  private v2Command(command: string, caps: Map<string, string>): Uint8Array[] {
    const out = [pktLine(`command=${command}\n`)];
    if (caps.has('agent')) out.push(pktLine(`agent=${this.agent}\n`));
    if (caps.has('object-format')) out.push(pktLine('object-format=sha1\n'));
    out.push(DELIM_PKT);
    return out;
  }

  private async postUpload(body: Uint8Array, v2: boolean): Promise<PktReader> {
    const res = await this.request('git-upload-pack', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-git-upload-pack-request',
        Accept: 'application/x-git-upload-pack-result',
        ...(v2 ? { 'Git-Protocol': 'version=2' } : {}),
      },
      body,
    }, 'application/x-git-upload-pack-result');
    return this.reader(res);
  }

  async listRefs(): Promise<RemoteRefs> {
    const d = await this.uploadDiscovery();
    if (d.version === 0) return d.refs!;
    if (!d.capabilities.has('ls-refs')) throw new StoreError('protocol', `${this.url}: protocol v2 server without ls-refs`, { url: this.url });
    const body = concat([
      ...this.v2Command('ls-refs', d.capabilities),
      pktLine('peel\n'), pktLine('symrefs\n'),
      pktLine('ref-prefix HEAD\n'), pktLine('ref-prefix refs/heads/\n'), pktLine('ref-prefix refs/tags/\n'),
      FLUSH_PKT,
    ]);
    const r = await this.postUpload(body, true);
    const refs = new Map<string, ObjectId>();
    let head: string | undefined;
    for (;;) {
      const p = await r.next();
      if (p === undefined) throw r.error('ls-refs reply ended without a flush');
      if (p.type === 'flush') break;
      if (p.type !== 'data') throw r.error(`unexpected ${p.type} in the ls-refs reply`);
      const line = pktText(p.data);
      if (line.startsWith('ERR ')) throw new StoreError('remote', `${this.url}: ${line.slice(4)}`, { url: this.url });
      const [id, name, ...attrs] = line.split(' ');
      // "unborn HEAD symref-target:..." (an empty repository) has no id.
      if (id === 'unborn') {
        if (name === 'HEAD') head = attrs.find((a) => a.startsWith('symref-target:'))?.slice('symref-target:'.length);
        continue;
      }
      if (!id || !isObjectId(id) || !name) throw r.error(`bad ls-refs line "${line}"`);
      if (name === 'HEAD') {
        head = attrs.find((a) => a.startsWith('symref-target:'))?.slice('symref-target:'.length);
        continue;
      }
      refs.set(name, id);
    }
    return { refs, head, capabilities: new Set(d.capabilities.keys()) };
  }

  async fetchPack(request: FetchPackRequest): Promise<AsyncIterable<Uint8Array>> {
    const d = await this.uploadDiscovery();
    const onRemote = progressLines(request.onProgress);
    if (d.version === 2) {
      // Every v2 server takes thin-pack, ofs-delta and done; what "fetch=" lists are extras we do not use.
      const body = concat([
        ...this.v2Command('fetch', d.capabilities),
        pktLine('thin-pack\n'), pktLine('ofs-delta\n'),
        ...request.wants.map((id) => pktLine(`want ${id}\n`)),
        ...request.haves.map((id) => pktLine(`have ${id}\n`)),
        pktLine('done\n'),
        FLUSH_PKT,
      ]);
      const r = await this.postUpload(body, true);
      // Sections before the pack (shallow-info, wanted-refs...) are skipped: we ask for none of them.
      for (;;) {
        const header = await r.next();
        if (header === undefined) throw r.error('fetch reply ended before the packfile section');
        if (header.type !== 'data') throw r.error(`unexpected ${header.type} where a section header belongs`);
        const name = pktText(header.data);
        if (name.startsWith('ERR ')) throw new StoreError('remote', `${this.url}: ${name.slice(4)}`, { url: this.url });
        if (name === 'packfile') return demuxSideband(r, onRemote);
        for (;;) {
          const p = await r.next();
          if (p === undefined || p.type === 'flush') throw r.error(`fetch reply ended in the "${name}" section, before the pack`);
          if (p.type === 'delim') break;
        }
      }
    }
    const caps = d.capabilities;
    // No "no-progress": the remote's progress lines are passed on.
    const want = ['multi_ack_detailed', 'side-band-64k', 'thin-pack', 'ofs-delta'].filter((c) => caps.has(c));
    const sideband = caps.has('side-band-64k') || caps.has('side-band');
    if (!caps.has('side-band-64k') && caps.has('side-band')) want.push('side-band');
    if (caps.has('agent')) want.push(`agent=${this.agent}`);
    const lines: Uint8Array[] = request.wants.map((id, i) => pktLine(i === 0 ? `want ${id} ${want.join(' ')}\n` : `want ${id}\n`));
    lines.push(FLUSH_PKT);
    for (const id of request.haves) lines.push(pktLine(`have ${id}\n`));
    lines.push(pktLine('done\n'));
    const r = await this.postUpload(concat(lines), false);
    // ACK/NAK lines come first, unmultiplexed: "ACK <id> common|ready" per common commit, then the
    // final "ACK <id>" or "NAK"; the pack follows.
    for (;;) {
      const line = await r.text('ACK or NAK');
      if (line.startsWith('ERR ')) throw new StoreError('remote', `${this.url}: ${line.slice(4)}`, { url: this.url });
      if (line === 'NAK') break;
      const parts = line.split(' ');
      if (parts[0] !== 'ACK' || parts.length < 2) throw r.error(`expected ACK or NAK, got "${line}"`);
      if (parts.length === 2) break;
    }
    return sideband ? demuxSideband(r, onRemote) : r.rest();
  }

  async listPushRefs(): Promise<RemoteRefs> {
    const d = await this.discover('git-receive-pack', false);
    if (d.version !== 0) throw new StoreError('protocol', `${this.url}: receive-pack answered with protocol v2`, { url: this.url });
    return d.refs!;
  }

  async push(commands: PushCommand[], pack: Uint8Array | undefined, options: { onProgress?: (p: SyncProgress) => void }): Promise<PushReport> {
    const adv = await this.listPushRefs();
    const caps = adv.capabilities;
    const ask: string[] = [];
    for (const c of ['report-status', 'side-band-64k', 'quiet']) {
      if (c === 'quiet' && options.onProgress) continue;
      if (caps.has(c)) ask.push(c);
    }
    if (caps.has('agent')) ask.push(`agent=${this.agent}`);
    const lines = commands.map((c, i) =>
      pktLine(`${c.old ?? ZERO_ID} ${c.next ?? ZERO_ID} ${c.ref}${i === 0 ? `\0${ask.join(' ')}` : ''}\n`));
    lines.push(FLUSH_PKT);
    if (pack) lines.push(pack);
    const res = await this.request('git-receive-pack', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-git-receive-pack-request', Accept: 'application/x-git-receive-pack-result' },
      body: concat(lines),
    }, 'application/x-git-receive-pack-result');
    const results = new Map<string, string | undefined>();
    if (!caps.has('report-status')) {
      for (const c of commands) results.set(c.ref, undefined);
      return { results };
    }
    let r = this.reader(res);
    if (caps.has('side-band-64k')) r = new PktReader(demuxSideband(r, progressLines(options.onProgress)), this.url);
    const unpack = await r.text('the unpack status');
    if (unpack !== 'unpack ok') {
      throw new StoreError('remote', `${this.url}: the remote could not store the pushed objects: ${unpack.replace(/^unpack /, '')}`, { url: this.url });
    }
    for (;;) {
      const p = await r.next();
      if (p === undefined || p.type === 'flush') break;
      if (p.type !== 'data') throw r.error(`unexpected ${p.type} in the push report`);
      const line = pktText(p.data);
      if (line.startsWith('ok ')) results.set(line.slice(3), undefined);
      else if (line.startsWith('ng ')) {
        const rest = line.slice(3);
        const sp = rest.indexOf(' ');
        results.set(sp < 0 ? rest : rest.slice(0, sp), sp < 0 ? 'refused' : rest.slice(sp + 1));
      } else throw r.error(`bad push report line "${line}"`);
    }
    for (const c of commands) if (!results.has(c.ref)) results.set(c.ref, 'not reported by the remote');
    return { results };
  }

  async close(): Promise<void> {}
}

/**
 * The refs and capabilities of a v0/v1 advertisement, whose first packet (`first`) is already read:
 * "<id> <ref>\0<caps>", more "<id> <ref>", then a flush. Peeled tags ("^{}") are left out.
 */
async function readV0Advertisement(r: PktReader, first: Awaited<ReturnType<PktReader['next']>>): Promise<{ capabilities: Map<string, string>; refs: RemoteRefs }> {
  const refs = new Map<string, ObjectId>();
  const capabilities = new Map<string, string>();
  let head: string | undefined;
  let p = first;
  let firstLine = true;
  while (p !== undefined && p.type !== 'flush') {
    if (p.type !== 'data') throw r.error(`unexpected ${p.type} in the ref advertisement`);
    let line = fromUtf8(p.data);
    if (line.endsWith('\n')) line = line.slice(0, -1);
    if (line.startsWith('ERR ')) throw new StoreError('remote', `${r.where}: ${line.slice(4)}`, { where: r.where });
    if (firstLine) {
      firstLine = false;
      const nul = line.indexOf('\0');
      if (nul >= 0) {
        for (const c of line.slice(nul + 1).split(' ')) {
          if (c === '') continue;
          const eq = c.indexOf('=');
          const key = eq < 0 ? c : c.slice(0, eq);
          const value = eq < 0 ? '' : c.slice(eq + 1);
          if (key === 'symref' && value.startsWith('HEAD:')) head = value.slice(5);
          capabilities.set(key, value);
        }
        line = line.slice(0, nul);
      }
    }
    const sp = line.indexOf(' ');
    const id = line.slice(0, sp);
    const name = line.slice(sp + 1);
    if (sp < 0 || !isObjectId(id)) throw r.error(`bad ref advertisement line "${line}"`);
    if (name !== 'capabilities^{}' && !name.endsWith('^{}') && name !== 'HEAD') refs.set(name, id);
    p = await r.next();
  }
  return { capabilities, refs: { refs, head, capabilities: new Set(capabilities.keys()) } };
}

/** A transport for http:// and https:// URLs. */
export function httpTransport(url: string, options: HttpTransportOptions = {}): Transport {
  return new HttpTransport(url, options);
}
