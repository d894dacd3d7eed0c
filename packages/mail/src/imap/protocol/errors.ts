/**
 * The one error the IMAP protocol module raises for bad client input. It carries what the session
 * needs to answer without understanding the failure: the tag (when one could be read), the status
 * (`BAD` for syntax and protocol violations, `NO` for refusals such as a literal over a limit), an
 * optional response code, and whether the connection must be closed after answering (the reader
 * could not find where the offending command ends, so the byte stream cannot be trusted).
 */
export class ParseError extends Error {
  override readonly name = 'ParseError';
  /** The command's tag; undefined when none could be read (answer untagged, `* BAD ...`). */
  readonly tag: string | undefined;
  /** The command name when it could be read (upper case, `UID ` prefix included), for logs. */
  readonly command: string | undefined;
  readonly status: 'BAD' | 'NO';
  /** A response code without brackets, e.g. `TOOBIG`, `BADCHARSET (UTF-8 US-ASCII)`, `CLIENTBUG`. */
  readonly code: string | undefined;
  /** The session must close the connection after sending the response (e.g. `* BYE`). */
  readonly close: boolean;

  constructor(message: string, options: { tag?: string; command?: string; status?: 'BAD' | 'NO'; code?: string; close?: boolean } = {}) {
    super(message);
    this.tag = options.tag;
    this.command = options.command;
    this.status = options.status ?? 'BAD';
    this.code = options.code;
    this.close = options.close ?? false;
  }
}

/**
 * Client bytes shown inside an error message: printable ASCII as is, anything else escaped, cut to
 * a few dozen characters, so a response line never carries CR, LF or 8-bit bytes from the client.
 */
export function snippet(bytes: Uint8Array, max = 24): string {
  if (bytes.length === 0) return 'end of command';
  let s = '';
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    s += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return `"${s}${bytes.length > max ? '...' : ''}"`;
}
