import { randomBytes } from 'node:crypto';
import { promises as dns } from 'node:dns';
import type { Network } from '@nymote/composition';
import type { Store } from '@nymote/store';
import { headerLine } from '../mailstore/subject.js';
import type { LocalDelivery } from '../smtp/delivery.js';
import { bounceMessage } from './dsn.js';
import { QUEUE_BRANCH, rawKey, stateKey, type QueueState, type QueuedRecipient } from './queue-layout.js';

/** Where outgoing mail is handed over: one server for everything (a smarthost, or a test's server). */
export interface NextHop {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure?: boolean;
  tls?: { ca?: string | Buffer; servername?: string; rejectUnauthorized?: boolean };
}

export interface OutboundOptions {
  store: Store;
  /** The network device: the connection to the next hop is its `connect`. */
  network: Pick<Network, 'connect'>;
  /** Delivers bounces to the sender's INBOX. */
  delivery: LocalDelivery;
  /** Our name in HELO and in bounces. */
  hostname: string;
  /** Every message goes there; without it, to the MX hosts of each recipient's domain. */
  nextHop?: NextHop;
  /** Signs every message with DKIM (RFC 6376) for the delivery's domain. */
  dkim?: { selector: string; privateKey: string | Buffer };
  /** Waits between attempts (the last one repeats). Default 1 min, 5 min, 15 min, 1 h, 2 h, 4 h. */
  retryDelaysMs?: number[];
  /** After this long a message still undelivered bounces. Default 5 days. */
  maxAgeMs?: number;
  clock?: () => number;
  /** Random bytes for queue ids (default: the OS's). */
  random?: (n: number) => Uint8Array;
  log?: (line: string) => void;
  /** MX lookup (default: the system resolver); only used without `nextHop`. */
  resolveMx?: (domain: string) => Promise<{ exchange: string; priority: number }[]>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const json = (v: unknown) => encoder.encode(`${JSON.stringify(v, null, 2)}\n`);

interface Attempt { recipient: string; ok: boolean; permanent: boolean; answer: string }

/**
 * Outgoing mail: queued in the store (branch mail-queue), sent to the next hop, retried on temporary
 * failures with growing waits, and bounced to the sender (a delivery status notification in their
 * INBOX) on a permanent failure or when too old. Run the queue in one process only (the daemon).
 */
export class OutboundQueue {
  private readonly clock: () => number;
  private readonly delays: number[];
  private readonly maxAge: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(private readonly options: OutboundOptions) {
    this.clock = options.clock ?? Date.now;
    this.delays = options.retryDelaysMs ?? [60_000, 300_000, 900_000, 3_600_000, 7_200_000, 14_400_000];
    this.maxAge = options.maxAgeMs ?? 5 * 24 * 3_600_000;
  }

  /** Queues a message (DKIM-signed now, so retries send the same bytes) and tries it at once. */
  async enqueue(message: { raw: Uint8Array; from: string; to: string[]; user: string }): Promise<string> {
    const id = `${this.clock().toString(36)}-${Buffer.from(this.options.random?.(4) ?? randomBytes(4)).toString('hex')}`;
    let raw = Buffer.from(message.raw);
    if (this.options.dkim) {
      const domain = message.from.slice(message.from.lastIndexOf('@') + 1);
      // mailauth is loaded on first use (it holds about 35 MB). Version 4 signs with `signatureData`;
      // its types still ask for the top-level fields it replaced.
      const { dkimSign } = await import('mailauth');
      const signed = await dkimSign(raw, {
        canonicalization: 'relaxed/relaxed',
        signTime: new Date(this.clock()),
        signatureData: [{ signingDomain: domain, selector: this.options.dkim.selector, privateKey: this.options.dkim.privateKey }],
      } as unknown as Parameters<typeof import('mailauth').dkimSign>[1]);
      if (signed.errors.length > 0) throw new Error(`DKIM signing for ${domain} failed: ${signed.errors.map((e) => e.message).join('; ')}`);
      raw = Buffer.concat([Buffer.from(signed.signatures.replace(/\r?\n/g, '\r\n'), 'utf8'), raw]);
    }
    const now = this.clock();
    const state: QueueState = { id, user: message.user, from: message.from, to: message.to.map((address) => ({ address, status: 'pending' })), queued: now, next: now, attempts: 0 };
    await this.options.store.update(async (tree) => {
      await tree.set(rawKey(id), raw);
      await tree.set(stateKey(id), json(state));
    }, { branch: QUEUE_BRANCH, message: `Queue “${headerLine(raw, 'Subject') ?? '(no subject)'}” from ${message.from} to ${message.to.join(', ')}` });
    this.options.log?.(`queued ${id} from <${message.from}> to ${message.to.join(', ')}`);
    void this.runDue().catch((e: Error) => this.options.log?.(`outbound queue: ${e.message}`));
    return id;
  }

  /** The queued messages and their state. */
  async list(): Promise<QueueState[]> {
    if ((await this.options.store.head(QUEUE_BRANCH)) === undefined) return [];
    const tree = await this.options.store.tree(QUEUE_BRANCH);
    if ((await tree.kind('queue')) !== 'tree') return [];
    const out: QueueState[] = [];
    for (const e of await tree.list('queue')) {
      if (!e.name.endsWith('.json')) continue;
      out.push(JSON.parse(decoder.decode((await tree.get(`queue/${e.name}`))!)) as QueueState);
    }
    return out.sort((a, b) => a.queued - b.queued);
  }

  /** Attempts every message that is due; the number attempted. One run at a time. */
  runDue(): Promise<number> {
    this.running ??= this.attemptDue().finally(() => { this.running = undefined; });
    return this.running;
  }

  /** Checks the queue every `intervalMs` until stop(). */
  start(intervalMs = 30_000): void {
    this.timer ??= setInterval(() => void this.runDue().catch((e: Error) => this.options.log?.(`outbound queue: ${e.message}`)), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private async attemptDue(): Promise<number> {
    let n = 0;
    for (const state of await this.list()) {
      if (state.next > this.clock()) continue;
      n++;
      await this.attempt(state);
    }
    return n;
  }

  private async attempt(state: QueueState): Promise<void> {
    const { store } = this.options;
    const raw = await store.get(rawKey(state.id), QUEUE_BRANCH);
    if (!raw) return;
    const subject = headerLine(raw, 'Subject') ?? '(no subject)';
    const pending = state.to.filter((r) => r.status === 'pending');
    const results = await this.send(raw, state.from, pending.map((r) => r.address));
    const now = this.clock();
    const attempts = state.attempts + 1;
    const to: QueuedRecipient[] = state.to.map((r) => {
      const a = results.find((x) => x.recipient === r.address);
      if (r.status !== 'pending' || !a) return r;
      if (a.ok) return { address: r.address, status: 'delivered', last: a.answer };
      if (a.permanent || now - state.queued >= this.maxAge) return { address: r.address, status: 'bounced', last: a.answer };
      return { address: r.address, status: 'pending', last: a.answer };
    });
    const newlyBounced = to.filter((r, i) => r.status === 'bounced' && state.to[i]!.status !== 'bounced');
    const delivered = to.filter((r, i) => r.status === 'delivered' && state.to[i]!.status !== 'delivered');
    const stillPending = to.filter((r) => r.status === 'pending');
    const next = now + this.delays[Math.min(attempts - 1, this.delays.length - 1)]!;
    const parts = [
      delivered.length ? `delivered to ${delivered.map((r) => r.address).join(', ')}` : '',
      newlyBounced.length ? `bounced for ${newlyBounced.map((r) => r.address).join(', ')}` : '',
      stillPending.length ? `retry for ${stillPending.map((r) => r.address).join(', ')} at ${new Date(next).toISOString()}` : '',
    ].filter(Boolean);
    await store.update(async (tree) => {
      if (stillPending.length === 0) {
        await tree.remove(rawKey(state.id));
        await tree.remove(stateKey(state.id));
      } else {
        await tree.set(stateKey(state.id), json({ ...state, to, attempts, next }));
      }
    }, { branch: QUEUE_BRANCH, message: `“${subject}” (attempt ${attempts}): ${parts.join('; ')}` });
    for (const p of parts) this.options.log?.(`${state.id}: ${p}`);
    if (newlyBounced.length > 0) {
      const dsn = bounceMessage({ hostname: this.options.hostname, domain: this.options.delivery.domain, to: state.from, failed: newlyBounced, original: raw, now });
      await this.options.delivery.deliver(dsn, '', [state.user]);
    }
  }

  /** One SMTP transaction per next hop; an answer for every recipient. */
  private async send(raw: Uint8Array, from: string, recipients: string[]): Promise<Attempt[]> {
    const groups = new Map<string, string[]>();
    for (const r of recipients) {
      const key = this.options.nextHop ? '' : r.slice(r.lastIndexOf('@') + 1).toLowerCase();
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    const out: Attempt[] = [];
    for (const [domain, rcpts] of groups) {
      const hops = this.options.nextHop ? [this.options.nextHop] : await this.mxHops(domain);
      if (hops.length === 0) {
        out.push(...rcpts.map((recipient) => ({ recipient, ok: false, permanent: true, answer: `550 5.1.2 no mail server for ${domain}` })));
        continue;
      }
      let last: Attempt[] = [];
      for (const hop of hops) {
        last = await this.transaction(hop, raw, from, rcpts);
        // Another MX host is worth trying only when this one could not be reached or answered 4xx for all.
        if (last.some((a) => a.ok || a.permanent)) break;
      }
      out.push(...last);
    }
    return out;
  }

  private async mxHops(domain: string): Promise<NextHop[]> {
    try {
      const mx = await (this.options.resolveMx ?? dns.resolveMx)(domain);
      // RFC 5321 5.1: no MX record means the domain itself is the mail server.
      if (mx.length === 0) return [{ host: domain, port: 25, tls: { rejectUnauthorized: false } }];
      return mx.sort((a, b) => a.priority - b.priority).filter((m) => m.exchange !== '').map((m) => ({ host: m.exchange, port: 25, tls: { rejectUnauthorized: false } }));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENODATA') return [{ host: domain, port: 25, tls: { rejectUnauthorized: false } }];
      if (code === 'ENOTFOUND') return [];
      throw e;
    }
  }

  private async transaction(hop: NextHop, raw: Uint8Array, from: string, rcpts: string[]): Promise<Attempt[]> {
    // nodemailer is loaded when there is mail to send, not by every daemon at start.
    const { default: nodemailer } = await import('nodemailer');
    const secure = hop.secure === true;
    const transport = nodemailer.createTransport({
      host: hop.host, port: hop.port, secure, name: this.options.hostname,
      connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 120_000,
      ...(hop.tls ? { tls: hop.tls } : {}),
      // The connection is the network device's; with `secured` nodemailer leaves its TLS alone. A
      // STARTTLS upgrade is nodemailer's own (it has no hook for one done elsewhere), on that connection.
      // Its types ask for a net.Socket; it uses what any stream has, and the addresses when there.
      getSocket: (_options, done) => {
        this.options.network.connect(hop.port, hop.host, { timeoutMs: 30_000, ...(secure ? { tls: hop.tls ?? {} } : {}) })
          .then((connection) => done(null, { connection: connection as never, secured: secure }), (e: Error) => done(e, undefined));
      },
    });
    try {
      const info = await transport.sendMail({ envelope: { from, to: rcpts }, raw: Buffer.from(raw) });
      const rejected = new Map<string, string>();
      for (const e of (info as { rejectedErrors?: (Error & { recipient?: string; response?: string })[] }).rejectedErrors ?? []) {
        if (e.recipient) rejected.set(e.recipient, e.response ?? e.message);
      }
      return rcpts.map((recipient) => {
        const answer = rejected.get(recipient);
        if (answer === undefined) return { recipient, ok: true, permanent: false, answer: String(info.response ?? '250') };
        return { recipient, ok: false, permanent: /^5/.test(answer), answer };
      });
    } catch (e) {
      const err = e as Error & { responseCode?: number; response?: string; rejectedErrors?: (Error & { recipient?: string; response?: string })[] };
      const byRecipient = new Map((err.rejectedErrors ?? []).map((x) => [x.recipient, x.response ?? x.message]));
      return rcpts.map((recipient) => {
        const answer = byRecipient.get(recipient) ?? err.response ?? `${err.message} (${hop.host}:${hop.port})`;
        return { recipient, ok: false, permanent: /^5/.test(answer) || (err.responseCode !== undefined && err.responseCode >= 500), answer };
      });
    } finally {
      transport.close();
    }
  }
}
