import type { ServerResponse } from 'node:http';

/** A client that lets this much output pile up unread is dropped rather than buffered without end. */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

/** A Server-Sent Events response: events, heartbeat comments, and an end that any side may call. */
export class SseStream {
  private readonly heartbeat: NodeJS.Timeout;
  private ended = false;
  private readonly onEnd: (() => void)[] = [];

  constructor(private readonly res: ServerResponse, heartbeatMs: number) {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      // A stream is never followed by another request on its connection; this lets closing the
      // server end it at once.
      'Connection': 'close',
      // Reverse proxies (nginx) would otherwise buffer the stream and hold events back.
      'X-Accel-Buffering': 'no',
    });
    // Sent at once so that the client sees the stream is open before the first change.
    res.write(': nymote watch\n\n');
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), heartbeatMs);
    res.on('close', () => this.end());
  }

  /** Runs `f` once the stream ends, whoever ends it. */
  whenEnded(f: () => void): void {
    if (this.ended) f();
    else this.onEnd.push(f);
  }

  event(event: string, data: unknown, id?: string): void {
    let s = '';
    // An id line with no value would reset the client's last event id; omit it instead.
    if (id) s += `id: ${id}\n`;
    s += `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    this.write(s);
  }

  private write(s: string): void {
    if (this.ended) return;
    if (this.res.writableLength > MAX_PENDING_BYTES) {
      this.end();
      return;
    }
    this.res.write(s);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    if (!this.res.writableEnded) this.res.end();
    for (const f of this.onEnd.splice(0)) f();
  }
}
