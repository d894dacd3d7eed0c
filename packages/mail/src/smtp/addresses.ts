/**
 * The user a mail address delivers to when its domain is ours: the local part, lower-cased, without a
 * "+tag" (alice+lists@example.org is alice's, as most mail servers do it). undefined for other domains.
 */
export function localPart(address: string, domain: string): string | undefined {
  const at = address.lastIndexOf('@');
  const local = at < 0 ? address : address.slice(0, at);
  const host = at < 0 ? domain : address.slice(at + 1);
  if (host.toLowerCase().replace(/\.$/, '') !== domain.toLowerCase()) return undefined;
  const name = local.toLowerCase().split('+')[0]!;
  return name === '' ? undefined : name;
}

/** The address of a user in our domain, as outgoing mail carries it. */
export const addressOf = (user: string, domain: string) => `${user}@${domain}`;
