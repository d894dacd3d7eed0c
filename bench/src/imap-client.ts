// A small IMAP client for the IMAP benchmark, the same for both servers: one command at a time,
// responses scanned only as far as needed to find the tagged completion (literals skipped by
// their length), so that the client costs little next to the server it measures.
import { connect, type Socket } from 'node:net';

export interface Reply {
  status: 'OK' | 'NO' | 'BAD';
  /** The tagged line. */
  text: string;
  /** Untagged lines (literal data left out) when asked for with `collect`. */
  lines: string[];
}

export class ImapClient {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private literalLeft = 0;
  private line = '';
  private tagCount = 0;
  private pending: { tag: string; collect: boolean; lines: string[]; resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  private greeting: ((line: string) => void) | undefined;
  private failure: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.take(chunk));
    const fail = (e: Error) => {
      this.failure = e;
      this.pending?.reject(e);
      this.pending = undefined;
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the server closed the connection')));
  }

  /** Connects and reads the greeting. */
  static async open(port: number): Promise<ImapClient> {
    const socket = connect(port, '127.0.0.1');
    const client = new ImapClient(socket);
    const greeting = await new Promise<string>((resolve, reject) => {
      client.greeting = resolve;
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('closed before the greeting')));
    });
    if (!greeting.startsWith('* OK')) throw new Error(`unexpected greeting: ${greeting}`);
    return client;
  }

  /** Sends a command (text without tag or CRLF, or bytes for literal data after it) and waits for its completion. */
  command(text: string, literal?: Buffer, collect = false): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const tag = `t${++this.tagCount}`;
    return new Promise<Reply>((resolve, reject) => {
      this.pending = { tag, collect, lines: [], resolve, reject };
      if (literal) {
        // LITERAL+ (both servers offer it): the data follows without waiting for "+".
        this.socket.write(`${tag} ${text} {${literal.length}+}\r\n`);
        this.socket.write(literal);
        this.socket.write('\r\n');
      } else {
        this.socket.write(`${tag} ${text}\r\n`);
      }
    });
  }

  /** A command that must succeed. */
  async ok(text: string, literal?: Buffer, collect = false): Promise<Reply> {
    const r = await this.command(text, literal, collect);
    if (r.status !== 'OK') throw new Error(`${text.slice(0, 60)}: ${r.text}`);
    return r;
  }

  close(): void {
    this.socket.destroy();
  }

  private take(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.literalLeft > 0) {
        const n = Math.min(this.literalLeft, chunk.length - at);
        this.literalLeft -= n;
        at += n;
        continue;
      }
      const lf = chunk.indexOf(10, at);
      if (lf < 0) {
        this.chunks.push(chunk.subarray(at));
        this.buffered += chunk.length - at;
        return;
      }
      let part = chunk.subarray(at, lf + 1);
      if (this.buffered > 0) {
        part = Buffer.concat([...this.chunks, part]);
        this.chunks = [];
        this.buffered = 0;
      }
      at = lf + 1;
      const text = part.toString('latin1', 0, part.length - (part[part.length - 2] === 13 ? 2 : 1));
      const literal = /\{(\d+)\+?\}$/.exec(text);
      if (literal) {
        this.line += text;
        this.literalLeft = Number(literal[1]);
        continue;
      }
      this.complete(this.line + text);
      this.line = '';
    }
  }

  private complete(line: string): void {
    if (this.greeting) {
      const g = this.greeting;
      this.greeting = undefined;
      return g(line);
    }
    const p = this.pending;
    if (!p) return;
    if (line.startsWith(`${p.tag} `)) {
      this.pending = undefined;
      const status = line.slice(p.tag.length + 1, p.tag.length + 3) === 'OK' ? 'OK' : line.slice(p.tag.length + 1, p.tag.length + 3) === 'NO' ? 'NO' : 'BAD';
      p.resolve({ status, text: line, lines: p.lines });
    } else if (p.collect) {
      p.lines.push(line);
    }
  }
}
