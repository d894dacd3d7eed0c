// SELECT, EXAMINE, CLOSE, UNSELECT, EXPUNGE, FETCH, STORE, SEARCH, COPY, MOVE, APPEND.
import type { MessageEntry } from '../../mailstore/mailbox-view.js';
import { canonicalName } from '../../mailstore/names.js';
import { fetchValues, needsMessage, setsSeen, UnknownCte } from '../fetch.js';
import {
  codes, dateTimeToDate, esearchResponse, fetchResponse, flagList, resolveSequenceSet, searchResponse, untaggedStatus,
  vanishedResponse, type Command, type FetchItem,
} from '../protocol/index.js';
import { search } from '../search.js';
import { CommandError, type Session } from '../session.js';

type Of<N extends Command['name']> = Command & { name: N };

export async function select(s: Session, c: Of<'SELECT' | 'EXAMINE'>): Promise<void> {
  const readOnly = c.name === 'EXAMINE';
  if (c.condstore) s.condstore = true;
  if (c.qresync && !s.qresync) throw new CommandError('BAD', 'QRESYNC must be ENABLEd before SELECT (QRESYNC)');
  const view = await s.select(c.mailbox, readOnly);
  s.selectResponses(view, readOnly);
  const q = c.qresync;
  if (q && q.uidValidity === view.meta.uidValidity) {
    // RFC 7162 3.2.5.2: what vanished since (we keep no expunge history, so every UID the client
    // may know of that is gone: allowed by the RFC), then what changed since its MODSEQ.
    const known = q.knownUids ? resolveSequenceSet(q.knownUids, view.meta.uidNext - 1) : [[1, view.meta.uidNext - 1] as [number, number]];
    const vanished: number[] = [];
    for (const [a, b] of known) {
      const hi = Math.min(b, view.meta.uidNext - 1);
      if (hi - a > 1_000_000) continue; // a client naming billions of UIDs gets no VANISHED for them
      for (let u = a; u <= hi; u++) if (!view.get(u)) vanished.push(u);
    }
    s.send(vanishedResponse(vanished, true));
    for (let seq = 1; seq <= view.exists; seq++) {
      const m = view.at(seq)!;
      if (BigInt(m.modseq) > q.modseq) s.send(fetchResponse(seq, [['UID', m.uid], ['FLAGS', flagList(s.selected!.flagsOf(m))], ['MODSEQ', [BigInt(m.modseq)]]]));
    }
  }
  s.ok(c, `${c.name} done`, readOnly ? 'READ-ONLY' : 'READ-WRITE');
}

export async function close(s: Session, c: Command): Promise<void> {
  const sel = s.selected!;
  // CLOSE expunges silently (RFC 3501 6.4.2); UNSELECT leaves the mailbox as it is.
  if (c.name === 'CLOSE' && !sel.readOnly) await s.store.expunge(sel.name);
  s.deselect();
  s.ok(c, `${c.name} done`);
}

export async function expunge(s: Session, c: Of<'EXPUNGE'>): Promise<void> {
  const sel = s.selected!;
  if (sel.readOnly) throw new CommandError('NO', 'the mailbox is read-only (EXAMINE)', 'READ-ONLY');
  const uids = c.uid ? sel.resolve(c.set, true).messages.map((m) => m.uid) : undefined;
  await s.store.expunge(sel.name, uids);
  await s.refresh({ expunges: true });
  s.ok(c, 'EXPUNGE done', s.condstore || s.qresync ? codes.highestModseq(sel.view.meta.highestModseq) : undefined);
}

export async function fetch(s: Session, c: Of<'FETCH'>): Promise<void> {
  const sel = s.selected!;
  if (c.changedSince !== undefined) s.condstore = true;
  if (c.vanished && (!c.uid || c.changedSince === undefined || !s.qresync)) {
    throw new CommandError('BAD', 'VANISHED needs UID FETCH, CHANGEDSINCE, and QRESYNC enabled (RFC 7162 3.2.6)');
  }
  const { messages, outOfRange } = sel.resolve(c.set, c.uid);
  if (outOfRange && messages.length === 0 && !c.uid) throw new CommandError('BAD', 'no message has that sequence number');
  let items: FetchItem[] = [...c.items];
  const has = (name: string) => items.some((i) => i.type === 'attribute' && i.name === name);
  // UID FETCH always says the UID (RFC 3501 6.4.8); CONDSTORE clients get MODSEQ with CHANGEDSINCE.
  if (c.uid && !has('UID')) items = [{ type: 'attribute', name: 'UID' }, ...items];
  if ((c.changedSince !== undefined) && !has('MODSEQ')) items.push({ type: 'attribute', name: 'MODSEQ' });
  if (has('MODSEQ')) s.condstore = true;
  let chosen = c.changedSince !== undefined ? messages.filter((m) => BigInt(m.modseq) > c.changedSince!) : messages;
  if (c.vanished) {
    // UIDs of the set that are gone: with no expunge history, all of them (RFC 7162 3.2.6 allows it).
    const gone: number[] = [];
    if (c.set !== '$') {
      for (const [a, b] of resolveSequenceSet(c.set, sel.view.meta.uidNext - 1)) {
        for (let u = a; u <= Math.min(b, sel.view.meta.uidNext - 1) && b - a <= 1_000_000; u++) if (!sel.view.get(u)) gone.push(u);
      }
    }
    s.send(vanishedResponse(gone, true));
  }
  // Reading a body without PEEK sets \Seen: do it first, so the FETCH shows the flags it leads to.
  if (setsSeen(items) && !sel.readOnly) {
    const unseen = chosen.filter((m) => !m.flags.includes('\\Seen')).map((m) => m.uid);
    if (unseen.length > 0) {
      await s.store.setFlags(sel.name, unseen, 'add', ['\\Seen']);
      const seenNow = new Set(unseen);
      await s.refresh({ expunges: false, exceptFlagsOf: seenNow });
      chosen = chosen.map((m) => sel.view.get(m.uid) ?? m);
      if (!has('FLAGS')) {
        const withFlags = (m: MessageEntry): FetchItem[] => (seenNow.has(m.uid) ? [...items, { type: 'attribute', name: 'FLAGS' }] : items);
        return send(s, c, chosen, withFlags);
      }
    }
  }
  return send(s, c, chosen, () => items);
}

async function send(s: Session, c: Of<'FETCH'>, messages: MessageEntry[], itemsOf: (m: MessageEntry) => FetchItem[]): Promise<void> {
  const sel = s.selected!;
  let failed: string | undefined;
  for (const m of messages) {
    const items = itemsOf(m);
    const seq = sel.view.seqOf(m.uid);
    if (seq === 0) continue;
    const msg = needsMessage(items) && m.blob ? await s.messages.load(s.store, m.blob) : undefined;
    try {
      s.send(fetchResponse(seq, fetchValues(items, m, msg, sel.flagsOf(m)), { utf8: s.utf8 }));
    } catch (e) {
      if (!(e instanceof UnknownCte)) throw e;
      failed = e.message;
    }
  }
  if (failed) throw new CommandError('NO', failed, 'UNKNOWN-CTE');
  s.ok(c, `${c.uid ? 'UID ' : ''}FETCH done`);
}

export async function store(s: Session, c: Of<'STORE'>): Promise<void> {
  const sel = s.selected!;
  if (sel.readOnly) throw new CommandError('NO', 'the mailbox is read-only (EXAMINE)', 'READ-ONLY');
  if (c.unchangedSince !== undefined) s.condstore = true;
  const { messages } = sel.resolve(c.set, c.uid);
  const uids = messages.map((m) => m.uid);
  let result;
  try {
    result = await s.store.setFlags(sel.name, uids, c.action, c.flags, c.unchangedSince !== undefined ? { unchangedSince: Number(c.unchangedSince) } : {});
  } catch (e) {
    if (e instanceof Error && /not a (flag|valid keyword)/.test(e.message)) throw new CommandError('BAD', e.message);
    throw e;
  }
  const changed = new Set(result.changed.map((x) => x.uid));
  // The refresh reports every change, ours included; .SILENT leaves ours out (RFC 3501 6.4.6).
  await s.refresh({ expunges: false, ...(c.silent ? { exceptFlagsOf: changed } : {}), ...(result.head !== undefined ? { at: result.head } : {}) });
  if (!c.silent) {
    // Messages in the set whose flags were already as asked still get their FLAGS.
    for (const m of messages) {
      if (changed.has(m.uid) || result.modified.includes(m.uid)) continue;
      const now = sel.view.get(m.uid);
      const seq = sel.view.seqOf(m.uid);
      if (!now || seq === 0) continue;
      const items: Array<[string, ReturnType<typeof flagList> | number | bigint[]]> = [['FLAGS', flagList(sel.flagsOf(now))]];
      if (c.uid) items.unshift(['UID', m.uid]);
      if (s.condstore || s.qresync) items.push(['MODSEQ', [BigInt(now.modseq)]]);
      s.send(fetchResponse(seq, items));
    }
  }
  const modified = result.modified.map((uid) => (c.uid ? uid : sel.view.seqOf(uid))).filter((n) => n > 0);
  s.ok(c, `${c.uid ? 'UID ' : ''}STORE done`, modified.length ? codes.modified(modified) : undefined);
}

export async function searchCommand(s: Session, c: Of<'SEARCH'>): Promise<void> {
  const sel = s.selected!;
  if (c.charset && !/^(utf-8|us-ascii)$/i.test(c.charset)) throw new CommandError('NO', `charset ${c.charset} is not supported`, codes.badCharset(['UTF-8', 'US-ASCII']));
  const usesModseq = JSON.stringify(c.criteria).includes('"MODSEQ"');
  if (usesModseq) s.condstore = true;
  const found = await search(c.criteria, { selected: sel, load: (m) => s.messages.load(s.store, m.blob!), now: s.services.clock() });
  const numbers = found.map((m) => (c.uid ? m.uid : sel.view.seqOf(m.uid)));
  const modseq = usesModseq && found.length ? BigInt(Math.max(...found.map((m) => m.modseq))) : undefined;
  const ret = c.return;
  if (ret?.includes('SAVE')) sel.saved = found.map((m) => m.uid);
  if (ret !== undefined || s.rev2) {
    const opts = ret === undefined || ret.length === 0 || (ret.length === 1 && ret[0] === 'SAVE' && s.rev2) ? ['ALL'] : ret;
    const only = opts.filter((o) => o !== 'SAVE');
    if (only.length > 0 || ret === undefined) {
      s.send(esearchResponse({
        tag: c.tag, uid: c.uid,
        ...(only.includes('MIN') && numbers.length ? { min: Math.min(...numbers) } : {}),
        ...(only.includes('MAX') && numbers.length ? { max: Math.max(...numbers) } : {}),
        ...(only.includes('ALL') ? { all: numbers } : {}),
        ...(only.includes('COUNT') ? { count: numbers.length } : {}),
        ...(modseq !== undefined ? { modseq } : {}),
      }));
    }
  } else {
    s.send(searchResponse(numbers, modseq));
  }
  s.ok(c, `${c.uid ? 'UID ' : ''}SEARCH done`);
}

export async function copy(s: Session, c: Of<'COPY' | 'MOVE'>): Promise<void> {
  const sel = s.selected!;
  if (c.name === 'MOVE' && sel.readOnly) throw new CommandError('NO', 'the mailbox is read-only (EXAMINE)', 'READ-ONLY');
  const { messages } = sel.resolve(c.set, c.uid);
  const target = canonicalName(c.mailbox);
  const r = await s.store.copy(sel.name, messages.map((m) => m.uid), target, { move: c.name === 'MOVE' });
  const code = r.from.length ? codes.copyUid(r.uidValidity, r.from, r.to) : undefined;
  if (c.name === 'MOVE') {
    // RFC 6851 4.3: COPYUID goes in an untagged OK before the expunges.
    if (code) s.send(untaggedStatus('OK', 'Moved', code));
    await s.refresh({ expunges: true });
    return s.ok(c, `${c.uid ? 'UID ' : ''}MOVE done`);
  }
  s.ok(c, `${c.uid ? 'UID ' : ''}COPY done`, code);
}

export async function append(s: Session, c: Of<'APPEND'>): Promise<void> {
  const uids: number[] = [];
  let validity = 0;
  for (const m of c.messages) {
    if (m.data.length === 0) throw new CommandError('NO', 'an empty message cannot be appended');
    const date = m.date ? isoWithZone(dateTimeToDate(m.date), m.date.zone) : undefined;
    const r = await s.store.append(c.mailbox, m.data, { flags: m.flags, ...(date ? { internalDate: date } : {}) });
    uids.push(r.uid);
    validity = r.uidValidity;
  }
  if (s.selected && s.selected.name === canonicalName(c.mailbox)) await s.refresh({ expunges: false });
  s.ok(c, 'APPEND done', codes.appendUid(validity, uids));
}

/** An instant as ISO 8601 in the zone the client gave (minutes east of UTC). */
function isoWithZone(d: Date, zone: number): string {
  const local = new Date(d.getTime() + zone * 60_000).toISOString().replace(/\.\d{3}Z$/, '');
  const sign = zone < 0 ? '-' : '+';
  const abs = Math.abs(zone);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
