import type { SMTPServerSession } from 'smtp-server';

/** RFC 5322 date-time for trace headers ("Thu, 26 Nov 2026 12:00:00 +0000"). */
export function rfc5322Date(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, '+0000');
}

/**
 * The Received header (RFC 5321 4.4) this server adds: who handed the message over (their HELO name and
 * address), to whom, how (ESMTP, with S for TLS and A for an authenticated submission, RFC 3848) and when.
 */
export function receivedHeader(session: SMTPServerSession, byHost: string, forAddress: string | undefined, now: number): string {
  const proto = `ESMTP${session.secure ? 'S' : ''}${session.user ? 'A' : ''}`;
  // Without a reverse lookup smtp-server names the client "[address]": then the address alone is said.
  const rdns = session.clientHostname && !session.clientHostname.startsWith('[') ? `${session.clientHostname} ` : '';
  const from = `from ${session.hostNameAppearsAs || 'unknown'} (${rdns}[${session.remoteAddress}])`;
  return `Received: ${from}\r\n\tby ${byHost} (Nymote) with ${proto} id ${session.id}${forAddress ? `\r\n\tfor <${forAddress}>` : ''};\r\n\t${rfc5322Date(now)}\r\n`;
}
