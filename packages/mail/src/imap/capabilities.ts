/** What the server offers (RFC 3501 7.2.1), by state: advertise exactly what works. */
export function capabilities(options: { authenticated: boolean; tlsAvailable: boolean; secure: boolean; loginAllowed: boolean; appendLimit: number }): string[] {
  const caps = ['IMAP4rev1', 'IMAP4rev2'];
  if (!options.authenticated) {
    if (options.tlsAvailable && !options.secure) caps.push('STARTTLS');
    if (options.loginAllowed) caps.push('AUTH=PLAIN');
    else caps.push('LOGINDISABLED');
    caps.push('SASL-IR');
  }
  caps.push(
    'LITERAL+', 'ENABLE', 'ID', 'IDLE', 'NAMESPACE', 'UNSELECT', 'UIDPLUS', 'MOVE', 'CONDSTORE', 'QRESYNC',
    'SPECIAL-USE', 'CREATE-SPECIAL-USE', 'LIST-EXTENDED', 'LIST-STATUS', 'ESEARCH', 'SEARCHRES', 'BINARY', 'CHILDREN',
    'STATUS=SIZE', `APPENDLIMIT=${options.appendLimit}`, 'UTF8=ACCEPT', 'MULTIAPPEND', 'WITHIN',
  );
  return caps;
}
