import { randomBytes } from 'node:crypto';
import { rfc5322Date } from '../smtp/trace.js';
import type { QueuedRecipient } from './queue-layout.js';

/** The header block of a message (up to the blank line), for the text/rfc822-headers part of a bounce. */
function headersOf(raw: Uint8Array): string {
  const text = Buffer.from(raw.subarray(0, Math.min(raw.length, 64 * 1024))).toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  return (end < 0 ? text : text.slice(0, end)).replace(/\r?\n/g, '\r\n');
}

/** The enhanced status code in an SMTP answer ("550 5.1.1 …" → "5.1.1"), or a general one for its class. */
function statusOf(r: QueuedRecipient): string {
  const m = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(r.last ?? '');
  if (m) return m[1]!;
  return /^4/.test(r.last ?? '') ? '4.0.0' : '5.0.0';
}

/**
 * A delivery status notification (RFC 3464, in a multipart/report of RFC 6522) telling the sender
 * which recipients will never get their message, and why.
 */
export function bounceMessage(options: { hostname: string; domain: string; to: string; failed: QueuedRecipient[]; original: Uint8Array; now: number }): Buffer {
  const boundary = `nymote-dsn-${randomBytes(8).toString('hex')}`;
  const date = rfc5322Date(options.now);
  const human = options.failed.map((r) => `  <${r.address}>: ${r.last ?? 'could not be delivered'}`).join('\r\n');
  const perRecipient = options.failed.map((r) => [
    `Final-Recipient: rfc822; ${r.address}`,
    'Action: failed',
    `Status: ${statusOf(r)}`,
    ...(r.last ? [`Diagnostic-Code: smtp; ${r.last.replace(/\r?\n/g, ' ')}`] : []),
  ].join('\r\n')).join('\r\n\r\n');
  return Buffer.from([
    `From: Mail Delivery System <MAILER-DAEMON@${options.domain}>`,
    `To: <${options.to}>`,
    'Subject: Undelivered Mail Returned to Sender',
    `Date: ${date}`,
    `Message-ID: <${randomBytes(12).toString('hex')}@${options.hostname}>`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Your message could not be delivered to ${options.failed.length === 1 ? 'this recipient' : 'these recipients'}:`,
    '',
    human,
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    `Reporting-MTA: dns; ${options.hostname}`,
    `Arrival-Date: ${date}`,
    '',
    perRecipient,
    '',
    `--${boundary}`,
    'Content-Type: text/rfc822-headers',
    '',
    headersOf(options.original),
    '',
    `--${boundary}--`,
    '',
  ].join('\r\n'), 'utf8');
}
