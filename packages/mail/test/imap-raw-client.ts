// A minimal IMAP client over any duplex stream, for tests that must see the exact exchange: it
// sends what it is given byte for byte and collects response lines (literals joined to their line).
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';

export interface Completion {
  /** Untagged and continuation lines before the tagged one, literals inline as `{n}\r\n<bytes>`. */
  untagged: string[];
  /** The tagged completion, e.g. `a1 OK LOGIN done`. */
  tagged: string;
}

export class RawClient {
  private buffer = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  closed = false;

  constructor(public stream: Duplex) {
    this.listen(stream);
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawClient(socket);
  }

  private listen(stream: Duplex): void {
    stream.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiting?.();
    });
    stream.on('close', () => { this.closed = true; this.waiting?.(); });
    stream.on('end', () => { this.closed = true; this.waiting?.(); });
    stream.on('error', () => { this.closed = true; this.waiting?.(); });
  }

  write(data: string | Buffer): void {
    this.stream.write(data);
  }

  /** One response line, with the data of any literals it announces; rejects after `ms`. */
  async line(ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    let text = '';
    for (;;) {
      const end = this.buffer.indexOf('\r\n');
      if (end >= 0) {
        const line = this.buffer.subarray(0, end).toString('utf8');
        this.buffer = this.buffer.subarray(end + 2);
        text += line;
        const literal = /\{(\d+)\+?\}$/.exec(line);
        if (!literal) return text;
        const n = Number(literal[1]);
        while (this.buffer.length < n) await this.more(deadline, text);
        text += `\r\n${this.buffer.subarray(0, n).toString('utf8')}`;
        this.buffer = this.buffer.subarray(n);
        continue;
      }
      await this.more(deadline, text);
    }
  }

  private async more(deadline: number, sofar: string): Promise<void> {
    if (this.closed) throw new Error(`the server closed the connection (buffered: ${JSON.stringify(this.buffer.toString() + sofar)})`);
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no complete response line in time (buffered: ${JSON.stringify(sofar + this.buffer.toString())})`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      this.waiting = () => { clearTimeout(timer); this.waiting = undefined; resolve(); };
    });
  }

  /** Whether nothing more arrives within `ms`. */
  async quiet(ms = 200): Promise<string | undefined> {
    await new Promise((r) => setTimeout(r, ms));
    return this.buffer.length ? this.buffer.toString() : undefined;
  }

  /** Sends `tag text` and collects the lines up to its tagged completion. */
  async command(tag: string, text: string): Promise<Completion> {
    this.write(`${tag} ${text}\r\n`);
    return this.until(tag);
  }

  async until(tag: string): Promise<Completion> {
    const untagged: string[] = [];
    for (;;) {
      const line = await this.line();
      if (line.startsWith(`${tag} `)) return { untagged, tagged: line };
      untagged.push(line);
    }
  }

  /** STARTTLS's second half: TLS on the same stream, trusting any certificate (tests' own). */
  async startTls(): Promise<void> {
    const plain = this.stream;
    plain.removeAllListeners('data');
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false });
    // Writes wait for the handshake; over a stream that is not a net.Socket, Node 20 never emits
    // secureConnect, so only a TCP socket is waited for.
    if ('remotePort' in plain) await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    this.buffer = Buffer.alloc(0);
    this.stream = secure;
    this.listen(secure);
  }

  close(): void {
    this.stream.destroy();
  }
}
