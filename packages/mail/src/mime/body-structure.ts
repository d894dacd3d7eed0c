// BODY and BODYSTRUCTURE (RFC 3501 section 7.4.2, RFC 9051 section 7.5.2) as ImapValues.
import type { ImapValue } from '../imap/value.js';
import { imapText } from './bytes.js';
import { envelope } from './envelope.js';
import type { MimeParam } from './params.js';
import { type MimePart, mediaType } from './structure.js';

const str = (s: string | null): ImapValue => (s === null ? null : imapText(s));

function paramList(params: MimeParam[]): ImapValue {
  if (params.length === 0) return null;
  const out: ImapValue[] = [];
  for (const p of params) out.push(imapText(p.name), imapText(p.value));
  return out;
}

function disposition(p: MimePart): ImapValue {
  return p.disposition ? [imapText(p.disposition.type), paramList(p.disposition.params)] : null;
}

function language(p: MimePart): ImapValue {
  return p.language ? p.language.map(imapText) : null;
}

/**
 * BODYSTRUCTURE (`extended`, the default) or BODY of a part. Sizes and line counts are of the
 * bytes as stored: store messages with CRLF line ends (see toCrlf) and they are what IMAP expects.
 */
export function bodyStructure(raw: Uint8Array, part: MimePart, extended = true): ImapValue {
  if (part.parts.length > 0) {
    const out: ImapValue[] = part.parts.map((c) => bodyStructure(raw, c, extended));
    out.push(imapText(part.subtype));
    if (extended) out.push(paramList(part.params), disposition(part), language(part), str(part.location));
    return out;
  }
  const out: ImapValue[] = [
    imapText(part.type),
    imapText(part.subtype),
    paramList(part.params),
    str(part.id),
    str(part.description),
    imapText(part.encoding ?? '7bit'),
    part.end - part.bodyStart,
  ];
  const kind = mediaType(part);
  if (part.message && (kind === 'message/rfc822' || kind === 'message/global')) {
    out.push(envelope(raw, part.message.headers), bodyStructure(raw, part.message, extended), part.lines);
  } else if (part.type.toLowerCase() === 'text') {
    out.push(part.lines);
  }
  if (extended) out.push(str(part.md5), disposition(part), language(part), str(part.location));
  return out;
}
