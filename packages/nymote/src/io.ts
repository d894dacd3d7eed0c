/** What a command may touch of the outside world; main.ts wires it to the process. */
export interface Output {
  write(chunk: string | Uint8Array): void;
}

export interface Io {
  readonly stdin: AsyncIterable<Uint8Array>;
  readonly stdout: Output;
  readonly stderr: Output & { readonly isTTY: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Resolves on SIGINT or SIGTERM. The handlers are installed only when a command asks (watch), so
   * every other command keeps the default of stopping at once when interrupted.
   */
  interrupted(): Promise<void>;
}

/** Reads all of stdin as bytes, unchanged (values may be binary). */
export async function readAll(input: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of input) chunks.push(c);
  return Buffer.concat(chunks);
}

/**
 * Splits input into lines (without "\n" or "\r\n") as it arrives, so a big import streams. Lines stay
 * bytes: the caller decodes each, and so can name the line that is not valid UTF-8.
 */
export async function* splitLines(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array = new Uint8Array(0);
  const strip = (l: Uint8Array) => (l[l.length - 1] === 0x0d ? l.subarray(0, l.length - 1) : l);
  for await (const chunk of input) {
    let buf: Uint8Array = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let nl: number;
    while ((nl = buf.indexOf(0x0a)) >= 0) {
      yield strip(buf.subarray(0, nl));
      buf = buf.subarray(nl + 1);
    }
    pending = buf;
  }
  if (pending.length) yield strip(pending);
}
