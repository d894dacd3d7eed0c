// CAPABILITY, NOOP, ID, ENABLE, LOGIN, and AUTHENTICATE PLAIN's credentials check.
import { LoginThrottled } from '@nymote/accounts';
import { localPart } from '../../smtp/addresses.js';
import { codes, quote, untagged, type Command } from '../protocol/index.js';
import { CommandError, type Session } from '../session.js';

type Of<N extends Command['name']> = Command & { name: N };

export function capability(s: Session, c: Command): void {
  s.send(untagged(`CAPABILITY ${s.capabilities().join(' ')}`));
  s.ok(c, 'CAPABILITY done');
}

export function id(s: Session, c: Of<'ID'>): void {
  s.send(untagged(`ID (${quote('name')} ${quote('Nymote')} ${quote('vendor')} ${quote('Nymote')})`));
  s.ok(c, 'ID done');
}

const ENABLEABLE = new Set(['CONDSTORE', 'QRESYNC', 'UTF8=ACCEPT', 'IMAP4REV2']);

export function enable(s: Session, c: Of<'ENABLE'>): void {
  const now: string[] = [];
  for (const cap of c.capabilities) {
    if (!ENABLEABLE.has(cap) || s.enabled.has(cap)) continue;
    s.enabled.add(cap);
    now.push(cap === 'IMAP4REV2' ? 'IMAP4rev2' : cap);
    // QRESYNC implies CONDSTORE (RFC 7162 3.2.3).
    if (cap === 'QRESYNC' || cap === 'CONDSTORE') s.condstore = true;
    // IMAP4rev2 has no \Recent (RFC 9051): a mailbox selected before it shows none from now on.
    if (cap === 'IMAP4REV2') s.selected?.recent.clear();
  }
  s.send(untagged(`ENABLED${now.map((x) => ` ${x}`).join('')}`));
  s.ok(c, 'ENABLE done');
}

/** Checks a name and password; logs in or throws the answer (RFC 5530 codes). */
export async function login(s: Session, name: string, password: string): Promise<void> {
  if (!s.loginAllowed) throw new CommandError('NO', 'plain-text logins need TLS: use STARTTLS first', 'PRIVACYREQUIRED');
  const user = localPart(name, s.services.domain) ?? name;
  let account;
  try {
    account = await s.services.accounts.login(user, password, s.io.remoteAddress);
  } catch (e) {
    if (e instanceof LoginThrottled) throw new CommandError('NO', e.message, 'UNAVAILABLE');
    throw e;
  }
  if (!account) throw new CommandError('NO', 'wrong user name or password', 'AUTHENTICATIONFAILED');
  await s.loggedIn(account.name);
  s.services.log?.(`imap login ${account.name} from ${s.io.remoteAddress ?? '-'}`);
}

export async function loginCommand(s: Session, c: Of<'LOGIN'>): Promise<void> {
  await login(s, c.userid, c.password);
  s.ok(c, 'Logged in', codes.capability(s.capabilities()));
}

/** SASL PLAIN (RFC 4616): authzid NUL authcid NUL password; an authzid other than the user is refused. */
export async function plain(s: Session, tag: string, response: Uint8Array): Promise<void> {
  const parts = Buffer.from(response).toString('utf8').split('\0');
  if (parts.length !== 3) throw new CommandError('BAD', 'a PLAIN response is authzid NUL user NUL password');
  const [authz, user, password] = parts as [string, string, string];
  if (authz !== '' && authz !== user) throw new CommandError('NO', 'logging in as someone else is not allowed', 'AUTHORIZATIONFAILED');
  await login(s, user, password);
  s.ok({ tag, name: 'NOOP' }, 'Logged in', codes.capability(s.capabilities()));
}
