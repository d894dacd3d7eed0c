// IMAP hands out messages with CRLF line ends (RFC 3501 section 2.3.1 counts sizes that way), but
// mail arrives with bare LFs too. The store should keep CRLF bytes so that sizes, line counts and
// sections computed here from the stored bytes are the ones clients expect: this is the converter.
import { Buffer } from 'node:buffer';
import { CR, LF, view } from './bytes.js';

/** `raw` with every bare LF made CRLF; `raw` itself when there is none. */
export function toCrlf(raw: Uint8Array): Uint8Array {
  const buf = view(raw);
  let bare = 0;
  for (let i = buf.indexOf(LF); i >= 0; i = buf.indexOf(LF, i + 1)) if (i === 0 || raw[i - 1] !== CR) bare++;
  if (bare === 0) return raw;
  const out = Buffer.allocUnsafe(raw.length + bare);
  let o = 0;
  let from = 0;
  for (let i = buf.indexOf(LF); i >= 0; i = buf.indexOf(LF, i + 1)) {
    if (i > 0 && raw[i - 1] === CR) continue;
    o += buf.copy(out, o, from, i);
    out[o++] = CR;
    from = i;
  }
  buf.copy(out, o, from);
  return out;
}
