// Git's pkt-line framing (gitprotocol-common): each packet is four hex digits giving its length,
// the length included, then the payload. "0000" is a flush, "0001" a delimiter and "0002" a
// response end (protocol v2). Side-band multiplexing (gitprotocol-pack) rides on top of it.
import { StoreError } from '../errors.js';
import { fromUtf8, utf8 } from '../git/bytes.js';

/** The largest packet git accepts, length prefix included. */
export const MAX_PKT_LEN = 65520;
/** Payload of one side-band packet: the length prefix and the band byte take five. */
export const MAX_SIDEBAND_DATA = MAX_PKT_LEN - 5;

export const FLUSH_PKT = utf8('0000');
export const DELIM_PKT = utf8('0001');
export const RESPONSE_END_PKT = utf8('0002');

export type Pkt =
  | { type: 'data'; data: Uint8Array }
  | { type: 'flush' }
  | { type: 'delim' }
  | { type: 'response-end' };

const HEX = '0123456789abcdef';

/** One packet carrying `payload` (a string is UTF-8 encoded; git's text packets end with "\n"). */
export function pktLine(payload: string | Uint8Array): Uint8Array {
  const data = typeof payload === 'string' ? utf8(payload) : payload;
  const n = data.length + 4;
  if (n > MAX_PKT_LEN) throw new RangeError(`pkt-line payload of ${data.length} bytes is over the ${MAX_PKT_LEN - 4}-byte limit`);
  const out = new Uint8Array(n);
  out[0] = HEX.charCodeAt((n >> 12) & 15);
  out[1] = HEX.charCodeAt((n >> 8) & 15);
  out[2] = HEX.charCodeAt((n >> 4) & 15);
  out[3] = HEX.charCodeAt(n & 15);
  out.set(data, 4);
  return out;
}

/** A packet's payload as text, without the trailing newline git adds to text packets. */
export function pktText(data: Uint8Array): string {
  const s = fromUtf8(data);
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}

/** Side-band packets for `data` on `band` (1 pack data, 2 progress, 3 fatal error), split to fit. */
export function sidebandPkts(band: 1 | 2 | 3, data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  do {
    const chunk = data.subarray(at, at + MAX_SIDEBAND_DATA);
    const payload = new Uint8Array(chunk.length + 1);
    payload[0] = band;
    payload.set(chunk, 1);
    out.push(pktLine(payload));
    at += chunk.length;
  } while (at < data.length);
  return out;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/**
 * Reads packets from a byte stream arriving in chunks of any size. `where` names the peer in errors.
 * After the packets of interest, rest() gives the bytes that follow unframed (a v0 push's pack).
 */
export class PktReader {
  private readonly chunks: AsyncIterator<Uint8Array>;
  private buf: Uint8Array = new Uint8Array(0);
  private at = 0;
  private done = false;

  constructor(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, readonly where = 'remote') {
    this.chunks = (Symbol.asyncIterator in source
      ? (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
      : toAsync(source as Iterable<Uint8Array>));
  }

  /** Ensures `n` unread bytes are buffered; false if the stream ends first. */
  private async fill(n: number): Promise<boolean> {
    while (this.buf.length - this.at < n) {
      if (this.done) return false;
      const r = await this.chunks.next();
      if (r.done) {
        this.done = true;
        return false;
      }
      const rest = this.buf.subarray(this.at);
      const next = new Uint8Array(rest.length + r.value.length);
      next.set(rest, 0);
      next.set(r.value, rest.length);
      this.buf = next;
      this.at = 0;
    }
    return true;
  }

  /** The next packet, or undefined at a clean end of stream (between packets). */
  async next(): Promise<Pkt | undefined> {
    if (!(await this.fill(4))) {
      if (this.buf.length - this.at === 0) return undefined;
      throw this.error(`stream ended inside a packet length`);
    }
    let n = 0;
    for (let i = 0; i < 4; i++) {
      const v = hexValue(this.buf[this.at + i]!);
      if (v < 0) throw this.error(`bad packet length ${JSON.stringify(fromUtf8(this.buf.subarray(this.at, this.at + 4)))}`);
      n = (n << 4) | v;
    }
    if (n < 4) {
      this.at += 4;
      if (n === 0) return { type: 'flush' };
      if (n === 1) return { type: 'delim' };
      if (n === 2) return { type: 'response-end' };
      throw this.error(`reserved packet length ${n}`);
    }
    if (n > MAX_PKT_LEN) throw this.error(`packet of ${n} bytes is over the ${MAX_PKT_LEN}-byte limit`);
    if (!(await this.fill(n))) throw this.error(`stream ended inside a ${n}-byte packet`);
    const data = this.buf.slice(this.at + 4, this.at + n);
    this.at += n;
    return { type: 'data', data };
  }

  /** The next packet, which must be a data packet; its text. Errors name `what` was expected. */
  async text(what: string): Promise<string> {
    const p = await this.next();
    if (p?.type !== 'data') throw this.error(`expected ${what}, got ${p ? p.type : 'end of stream'}`);
    return pktText(p.data);
  }

  /** Whatever bytes follow the packets read so far, unframed. */
  async *rest(): AsyncGenerator<Uint8Array> {
    if (this.at < this.buf.length) yield this.buf.subarray(this.at);
    this.buf = new Uint8Array(0);
    this.at = 0;
    if (this.done) return;
    for (;;) {
      const r = await this.chunks.next();
      if (r.done) return;
      yield r.value;
    }
  }

  error(why: string): StoreError {
    return new StoreError('protocol', `${this.where}: ${why}`, { where: this.where });
  }
}

async function* toAsync<T>(it: Iterable<T>): AsyncGenerator<T> {
  yield* it;
}

/**
 * The pack data of a side-band stream, until its flush: band 1 is yielded, band 2 goes to
 * `onProgress` (git's "Counting objects..." lines), band 3 is the remote's fatal error.
 */
export async function* demuxSideband(reader: PktReader, onProgress?: (message: string) => void): AsyncGenerator<Uint8Array> {
  for (;;) {
    const p = await reader.next();
    if (p === undefined) throw reader.error('side-band stream ended without a flush');
    if (p.type === 'flush' || p.type === 'response-end') return;
    if (p.type !== 'data' || p.data.length === 0) throw reader.error(`unexpected ${p.type} packet in side-band stream`);
    const band = p.data[0];
    if (band === 1) yield p.data.subarray(1);
    else if (band === 2) onProgress?.(fromUtf8(p.data.subarray(1)));
    else if (band === 3) {
      throw new StoreError('remote', `${reader.where}: ${fromUtf8(p.data.subarray(1)).trim()}`, { where: reader.where });
    } else throw reader.error(`unknown side-band ${band}`);
  }
}
