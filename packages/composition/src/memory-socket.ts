import { Duplex } from 'node:stream';
import type { Clock } from './devices.js';

/**
 * One end of a connection held in memory: what one end writes, the other reads. It answers the
 * calls servers make on a net.Socket (addresses, timeouts, keep-alive), so Node's http, tls-less
 * smtp-server and our IMAP server take it as they take a TCP connection. The idle timeout runs on
 * the target's clock, so a test can advance time past it.
 */
export class MemorySocket extends Duplex {
  peer!: MemorySocket;
  readonly remotePort: number;
  readonly localPort: number;
  private timeoutMs = 0;
  private timer: unknown;

  constructor(private readonly clock: Clock, readonly remoteAddress: string, readonly localAddress: string, ports: [number, number]) {
    super({ allowHalfOpen: false });
    [this.localPort, this.remotePort] = ports;
  }

  /** Two connected ends: [client, server]. */
  static pair(clock: Clock, clientAddress: string, serverAddress: string, serverPort: number, clientPort: number): [MemorySocket, MemorySocket] {
    const client = new MemorySocket(clock, serverAddress, clientAddress, [clientPort, serverPort]);
    const server = new MemorySocket(clock, clientAddress, serverAddress, [serverPort, clientPort]);
    client.peer = server;
    server.peer = client;
    return [client, server];
  }

  override _read(): void {}

  /**
   * Bytes written after this end has closed are dropped, as a TCP handle drops them: node's TLS
   * writes its goodbye (close_notify) as it ends, often after the pipe ended with its peer, and a
   * stream would call that an error nobody listens for.
   */
  override write(chunk: unknown, encoding?: BufferEncoding | ((e?: Error | null) => void), done?: (e?: Error | null) => void): boolean {
    if (!this.writableEnded && !this.destroyed) return super.write(chunk, encoding as BufferEncoding, done);
    const callback = typeof encoding === 'function' ? encoding : done;
    if (callback) queueMicrotask(() => callback());
    return false;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (e?: Error | null) => void): void {
    this.touch();
    this.peer.touch();
    // Delivered on a later turn, as bytes from a real socket are: no re-entrant reads.
    queueMicrotask(() => {
      if (!this.peer.destroyed) this.peer.push(chunk);
      done();
    });
  }

  override _final(done: (e?: Error | null) => void): void {
    queueMicrotask(() => {
      if (!this.peer.destroyed) this.peer.push(null);
      done();
    });
  }

  override _destroy(error: Error | null, done: (e?: Error | null) => void): void {
    this.disarm();
    if (!this.peer.destroyed) this.peer.push(null);
    done(error);
  }

  setTimeout(ms: number, onTimeout?: () => void): this {
    this.timeoutMs = ms;
    if (onTimeout) this.once('timeout', onTimeout);
    this.touch();
    return this;
  }

  setNoDelay(): this {
    return this; // nothing is delayed in memory
  }

  setKeepAlive(): this {
    return this; // a connection in memory never goes stale
  }

  destroySoon(): void {
    this.end();
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  /** As net.Socket says it: servers check it before writing (smtp-server does). */
  get readyState(): 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.destroyed) return 'closed';
    if (this.readable && this.writable) return 'open';
    return this.readable ? 'readOnly' : this.writable ? 'writeOnly' : 'closed';
  }

  address(): { address: string; family: string; port: number } {
    return { address: this.localAddress, family: 'IPv4', port: this.localPort };
  }

  private touch(): void {
    this.disarm();
    if (this.timeoutMs > 0) this.timer = this.clock.setTimeout(() => this.emit('timeout'), this.timeoutMs);
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
