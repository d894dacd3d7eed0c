// LIST, LSUB, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS, NAMESPACE.
import { DELIMITER, type MailboxMeta } from '../../mailstore/layout.js';
import { canonicalName } from '../../mailstore/names.js';
import { atom, listResponse, statusResponse, untagged, type Command, type StatusItem, type WireValue } from '../protocol/index.js';
import { CommandError, type Session } from '../session.js';

type Of<N extends Command['name']> = Command & { name: N };

/** A LIST pattern as a regular expression: `*` matches anything, `%` anything but the delimiter. */
function patternRegex(pattern: string): RegExp {
  const body = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/%/g, `[^${DELIMITER}]*`);
  // INBOX is case-insensitive, also as the first level of a pattern.
  return new RegExp(`^${body.replace(/^INBOX(?=$|\/)/i, '[Ii][Nn][Bb][Oo][Xx]')}$`);
}

interface Entry { name: string; meta?: MailboxMeta; attributes: string[] }

/** Mailboxes, and the levels above them that are not mailboxes themselves (\NonExistent / \Noselect). */
function entries(boxes: MailboxMeta[], rev2: boolean): Entry[] {
  const byName = new Map<string, Entry>();
  for (const meta of boxes) byName.set(meta.name, { name: meta.name, meta, attributes: [] });
  for (const meta of boxes) {
    const levels = meta.name.split(DELIMITER);
    for (let i = 1; i < levels.length; i++) {
      const parent = levels.slice(0, i).join(DELIMITER);
      if (!byName.has(parent)) byName.set(parent, { name: parent, attributes: rev2 ? ['\\NonExistent'] : ['\\Noselect'] });
    }
  }
  const names = [...byName.keys()];
  for (const e of byName.values()) {
    const children = names.some((n) => n.startsWith(e.name + DELIMITER));
    e.attributes.push(children ? '\\HasChildren' : '\\HasNoChildren');
    if (e.meta?.specialUse) e.attributes.push(e.meta.specialUse);
  }
  return [...byName.values()].sort((a, b) => (a.name === 'INBOX' ? -1 : b.name === 'INBOX' ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function list(s: Session, c: Of<'LIST'>): Promise<void> {
  // An empty pattern asks for the delimiter and the root (RFC 3501 6.3.8).
  if (c.patterns.length === 1 && c.patterns[0] === '' && !c.extended) {
    s.send(untagged('LIST', [atom('\\Noselect')], DELIMITER, ''));
    return s.ok(c, 'LIST done');
  }
  const boxes = await s.store.mailboxes();
  const all = entries(boxes, s.rev2);
  const regexes = c.patterns.map((p) => patternRegex(canonicalPattern(c.reference + p)));
  const sel = c.selection;
  const ret = c.returns;
  for (const e of all) {
    let matched = regexes.some((r) => r.test(e.name));
    let childInfo: WireValue[] | undefined;
    if (sel.subscribed) {
      const subscribed = e.meta?.subscribed === true;
      if (!subscribed) {
        // RECURSIVEMATCH: a parent of a subscribed mailbox is listed, saying so (RFC 5258 3.5).
        if (matched && sel.recursiveMatch && boxes.some((b) => b.subscribed && b.name.startsWith(e.name + DELIMITER))) {
          childInfo = [atom('CHILDINFO'), ['SUBSCRIBED']];
        } else matched = false;
      }
    }
    if (sel.specialUse && !e.meta?.specialUse) matched = false;
    if (!matched) continue;
    const attributes = [...e.attributes];
    if (!ret.specialUse && !sel.specialUse && c.extended && e.meta?.specialUse) attributes.splice(attributes.indexOf(e.meta.specialUse), 1);
    if ((sel.subscribed || ret.subscribed) && e.meta?.subscribed) attributes.push('\\Subscribed');
    s.send(listResponse({ name: e.name, delimiter: DELIMITER, attributes, ...(childInfo ? { extended: childInfo } : {}) }, { utf8: s.utf8 }));
    if (ret.status && e.meta) s.send(statusLine(s, e.name, ret.status, await s.store.view(e.name)));
  }
  s.ok(c, 'LIST done');
}

/** "inbox/x" and "INBOX/x" name the same mailbox: patterns starting with INBOX follow suit. */
function canonicalPattern(p: string): string {
  return /^inbox(?=$|\/)/i.test(p) ? 'INBOX' + p.slice(5) : p;
}

export async function lsub(s: Session, c: Of<'LSUB'>): Promise<void> {
  const boxes = await s.store.mailboxes();
  const r = patternRegex(canonicalPattern(c.reference + c.pattern));
  for (const b of boxes) {
    if (b.subscribed && r.test(b.name)) s.send(listResponse({ name: b.name, delimiter: DELIMITER, attributes: [] }, { utf8: s.utf8, command: 'LSUB' }));
  }
  s.ok(c, 'LSUB done');
}

export async function create(s: Session, c: Of<'CREATE'>): Promise<void> {
  // A trailing delimiter only says a hierarchy is intended (RFC 3501 6.3.3).
  const name = c.mailbox.endsWith(DELIMITER) ? c.mailbox.slice(0, -1) : c.mailbox;
  if (canonicalName(name) === 'INBOX') throw new CommandError('NO', 'INBOX exists already', 'ALREADYEXISTS');
  if (c.specialUse.length > 1) throw new CommandError('NO', 'one special use per mailbox here', 'USEATTR');
  await s.store.create(name, c.specialUse[0] ? { specialUse: c.specialUse[0] } : {});
  s.ok(c, 'CREATE done');
}

export async function remove(s: Session, c: Command & { mailbox: string }): Promise<void> {
  const name = canonicalName(c.mailbox);
  await s.store.delete(name);
  if (s.selected?.name === name) s.deselect();
  s.ok(c, 'DELETE done');
}

export async function rename(s: Session, c: Of<'RENAME'>): Promise<void> {
  await s.store.rename(c.mailbox, c.newName);
  s.ok(c, 'RENAME done');
}

export async function subscribe(s: Session, c: Command & { mailbox: string }): Promise<void> {
  await s.store.setSubscribed(c.mailbox, c.name === 'SUBSCRIBE');
  s.ok(c, `${c.name} done`);
}

function statusLine(s: Session, name: string, items: StatusItem[], view: Awaited<ReturnType<Session['store']['view']>>): Buffer {
  const out: Array<[string, number | bigint]> = [];
  for (const item of items) {
    switch (item) {
      case 'MESSAGES': out.push([item, view.exists]); break;
      // Messages no session has taken yet (none for IMAP4rev2 clients, where RECENT is no more).
      case 'RECENT': out.push([item, s.rev2 ? 0 : s.store.recent.untaken(view).length]); break;
      case 'UIDNEXT': out.push([item, view.meta.uidNext]); break;
      case 'UIDVALIDITY': out.push([item, view.meta.uidValidity]); break;
      case 'UNSEEN': out.push([item, [...view.messages()].filter((m) => !m.flags.includes('\\Seen')).length]); break;
      case 'DELETED': out.push([item, [...view.messages()].filter((m) => m.flags.includes('\\Deleted')).length]); break;
      case 'SIZE': out.push([item, [...view.messages()].reduce((n, m) => n + m.size, 0)]); break;
      case 'HIGHESTMODSEQ': out.push([item, BigInt(view.meta.highestModseq)]); break;
      case 'APPENDLIMIT': out.push([item, s.services.appendLimit]); break;
    }
  }
  return statusResponse(name, out, { utf8: s.utf8 });
}

export async function status(s: Session, c: Of<'STATUS'>): Promise<void> {
  const view = await s.store.view(c.mailbox);
  if (c.items.includes('HIGHESTMODSEQ')) s.condstore = true;
  s.send(statusLine(s, view.meta.name, c.items, view));
  s.ok(c, 'STATUS done');
}

export function namespace(s: Session, c: Command): void {
  s.send(untagged('NAMESPACE', [['', DELIMITER]], null, null));
  s.ok(c, 'NAMESPACE done');
}
