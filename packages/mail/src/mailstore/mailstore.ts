import { dataBranch } from '@nymote/accounts';
import { Tree, type Author, type Store, type UpdateResult, type WriteOptions } from '@nymote/store';
import { MailError } from './errors.js';
import { applyFlags, normalizeFlags, sameFlags, type FlagOp } from './flags.js';
import {
  BOXES, DELIMITER, LAYOUT, MAILBOX_FILE, STATE_KEY, boxKey, boxName, decodeJson, recordText, layoutOf, metaKey, rawPath, recordPath,
  type MailboxMeta, type MessageMeta,
} from './layout.js';
import { MailboxView } from './mailbox-view.js';
import { canonicalName, mailboxNameProblem } from './names.js';
import { toCrlf } from '../mime/crlf.js';
import { headerLine } from './subject.js';
import { planUndo } from './undo-plan.js';
import { RecentMarks } from './recent.js';

export interface MailstoreOptions {
  /** Who the commits are by (default: NAME <NAME@nymote.invalid>). */
  author?: Author;
  /** Milliseconds since the epoch (default Date.now): INTERNALDATE of deliveries, UIDVALIDITY. */
  clock?: () => number;
}

/** The mailboxes every user starts with (RFC 6154 special uses, as the issue asks). */
export const DEFAULT_MAILBOXES: { name: string; specialUse?: string }[] = [
  { name: 'INBOX' },
  { name: 'Sent', specialUse: '\\Sent' },
  { name: 'Drafts', specialUse: '\\Drafts' },
  { name: 'Trash', specialUse: '\\Trash' },
  { name: 'Junk', specialUse: '\\Junk' },
  { name: 'Archive', specialUse: '\\Archive' },
];

export const SPECIAL_USES = ['\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash'];

export interface AppendOptions {
  flags?: readonly string[];
  /** INTERNALDATE as ISO 8601 with its offset; default now, UTC. */
  internalDate?: string;
  /** The commit message's verb: a client's APPEND, or a delivery by SMTP. */
  delivery?: { from?: string };
}

export interface AppendResult {
  uidValidity: number;
  uid: number;
  modseq: number;
  commit: string | undefined;
}

export interface FlagsResult {
  /** The mailbox's HIGHESTMODSEQ afterwards. */
  modseq: number;
  /** UIDs whose flags changed, with their new flags. */
  changed: { uid: number; flags: string[]; modseq: number }[];
  /** UIDs left alone because they changed after UNCHANGEDSINCE (RFC 7162 3.1.3: the MODIFIED code). */
  modified: number[];
  /**
   * The branch's head once the change landed (UpdateResult.head): a session shows the mailbox at this
   * commit after its STORE, without reading the branch again.
   */
  head: string | undefined;
}

export interface CopyResult {
  uidValidity: number;
  /** Source UIDs and the UIDs of their copies, in the same order (COPYUID, RFC 4315). */
  from: number[];
  to: number[];
}

/** Messages an edit reads from the tree one by one (see records); above this, through the mailbox's view. */
const DIRECT_READS = 32;

// Below 1,000 there is no separator to add, and toLocaleString (ICU) is a visible part of a STORE's cost.
const plural = (n: number, word: string) => `${n < 1000 ? String(n) : n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/**
 * One user's mail on the store: mailboxes, messages, flags. Every change is one commit on the branch
 * users/NAME, with a message that says what happened; reads go through MailboxView snapshots that are
 * cached by tree id and refreshed by reading only what changed.
 */
export class Mailstore {
  readonly branch: string;
  private readonly author: Author;
  private readonly clock: () => number;
  private readonly views = new Map<string, MailboxView>();
  /** The view of each mailbox being loaded, and of which tree. */
  private readonly loading = new Map<string, { treeId: string; view: Promise<MailboxView> }>();
  /** The view viewAt() last gave of each mailbox, with the commit it was read at. */
  private readonly viewsAt = new Map<string, { head: string; view: MailboxView }>();
  /** Writes asked for and not yet landed, for settled(). */
  private readonly writing = new Set<Promise<void>>();
  /** Which messages no IMAP session has taken as \Recent yet (this process only). */
  readonly recent = new RecentMarks();

  constructor(readonly store: Store, readonly user: string, options: MailstoreOptions = {}) {
    this.branch = dataBranch(user);
    this.author = options.author ?? { name: user, email: `${user}@nymote.invalid` };
    this.clock = options.clock ?? Date.now;
  }

  /** Resolves when the writes queued so far have landed. */
  async settled(): Promise<void> {
    while (this.writing.size > 0) await Promise.all(this.writing);
  }

  /** The head commit of the user's branch; undefined before the branch exists. */
  head(): Promise<string | undefined> {
    return this.store.head(this.branch);
  }

  /** The tree of `head`, a commit of the user's branch (empty for undefined). */
  async treeAt(head: string | undefined): Promise<Tree> {
    return head === undefined ? Tree.at(this.store.objects, undefined) : this.store.tree({ commit: head });
  }

  /** The head of the user's branch as a tree (empty before the branch exists). */
  async tree(): Promise<Tree> {
    return this.treeAt(await this.head());
  }

  /** The mailboxes on `tree` (default: the head), by name. */
  async mailboxes(tree?: Tree): Promise<MailboxMeta[]> {
    const t = tree ?? (await this.tree());
    if ((await t.kind(BOXES)) !== 'tree') return [];
    const out: MailboxMeta[] = [];
    for (const e of await t.list(BOXES)) {
      if (e.kind !== 'tree') continue;
      const bytes = await t.get(`${BOXES}/${e.name}/${MAILBOX_FILE}`);
      if (!bytes) continue;
      const meta = decodeJson<MailboxMeta>(bytes, `${BOXES}/${e.name}/${MAILBOX_FILE}`);
      out.push({ ...meta, name: boxName(e.name) });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The snapshot of a mailbox on `tree` (default: the head); throws NONEXISTENT. */
  async view(name: string, tree?: Tree): Promise<MailboxView> {
    const box = canonicalName(name);
    const t = tree ?? (await this.tree());
    const id = (await t.kind(boxKey(box))) === 'tree' ? await t.idOf(boxKey(box)) : undefined;
    if (!id || (await t.kind(metaKey(box))) !== 'value') throw new MailError('NONEXISTENT', `no mailbox ${box}`);
    const cached = this.views.get(box);
    if (cached?.treeId === id) return cached;
    // Sessions refreshing after the same commit share one load, and loads of one mailbox follow each
    // other (each from the one before), so every view descends from the last one (changedSince).
    const pending = this.loading.get(box);
    if (pending?.treeId === id) return pending.view;
    const view = (async () => {
      const previous = pending ? await pending.view.catch(() => this.views.get(box)) : cached;
      const v = await MailboxView.load(this.store, id, previous);
      this.views.set(box, v);
      return v;
    })();
    this.loading.set(box, { treeId: id, view });
    try {
      return await view;
    } finally {
      if (this.loading.get(box)?.view === view) this.loading.delete(box);
    }
  }

  /**
   * The snapshot of a mailbox at commit `head` of the user's branch (view() on its tree). Every session
   * on a mailbox asks for it after each commit, and a commit's mailbox never changes: the answer to the
   * first is the answer to the others, without walking the tree again.
   */
  async viewAt(name: string, head: string | undefined): Promise<MailboxView> {
    const box = canonicalName(name);
    const last = head === undefined ? undefined : this.viewsAt.get(box);
    if (last !== undefined && last.head === head) return last.view;
    const view = await this.view(box, await this.treeAt(head));
    if (head !== undefined) this.viewsAt.set(box, { head, view });
    return view;
  }

  /** The bytes of a message, by the blob id its entry names. */
  async message(blob: string): Promise<Uint8Array> {
    return this.store.objects.blob(blob);
  }

  /** Creates the default mailboxes the user does not have yet (INBOX, Sent, Drafts, …); one commit, or none. */
  async ensureDefaults(): Promise<void> {
    const have = new Set((await this.mailboxes()).map((m) => m.name));
    if (DEFAULT_MAILBOXES.every((m) => have.has(m.name))) return;
    await this.commit('Create the default mailboxes', async (tree) => {
      for (const m of DEFAULT_MAILBOXES) {
        if ((await tree.kind(metaKey(m.name))) === undefined) await this.writeNewBox(tree, m.name, m.specialUse);
      }
    });
  }

  async create(name: string, options: { specialUse?: string } = {}): Promise<MailboxMeta> {
    const box = this.checkName(name);
    if (options.specialUse !== undefined && !SPECIAL_USES.includes(options.specialUse)) {
      throw new MailError('CANNOT', `${options.specialUse} is not a special use this server knows (RFC 6154)`);
    }
    return this.commit(`Create mailbox ${box}`, async (tree) => {
      if ((await tree.kind(metaKey(box))) !== undefined) throw new MailError('ALREADYEXISTS', `mailbox ${box} already exists`);
      // The levels above are created too (RFC 3501 6.3.3 SHOULD): a client can then select, rename
      // or delete "a" after CREATE "a/b", as it could on a server with folders on disk.
      const levels = box.split(DELIMITER);
      for (let i = 1; i < levels.length; i++) {
        const parent = levels.slice(0, i).join(DELIMITER);
        if ((await tree.kind(metaKey(parent))) === undefined) await this.writeNewBox(tree, parent, undefined);
      }
      return this.writeNewBox(tree, box, options.specialUse);
    });
  }

  async delete(name: string): Promise<void> {
    const box = canonicalName(name);
    if (box === 'INBOX') throw new MailError('CANNOT', 'INBOX cannot be deleted');
    await this.commit(`Delete mailbox ${box}`, async (tree) => {
      if ((await tree.kind(metaKey(box))) === undefined) throw new MailError('NONEXISTENT', `no mailbox ${box}`);
      await tree.remove(boxKey(box));
    });
  }

  /**
   * RENAME (RFC 3501 6.3.5): the mailbox and every mailbox below it get the new name and a new
   * UIDVALIDITY; renaming INBOX moves its messages into the new mailbox and leaves INBOX empty.
   */
  async rename(from: string, to: string): Promise<void> {
    const src = canonicalName(from);
    const dst = this.checkName(to);
    if (src === dst) throw new MailError('ALREADYEXISTS', `mailbox ${dst} already exists`);
    await this.commit(`Rename mailbox ${src} to ${dst}`, async (tree) => {
      if ((await tree.kind(metaKey(src))) === undefined) throw new MailError('NONEXISTENT', `no mailbox ${src}`);
      const moves = src === 'INBOX' ? [src] : (await this.mailboxes(tree)).map((m) => m.name).filter((n) => n === src || n.startsWith(src + DELIMITER));
      for (const name of moves) {
        const target = dst + name.slice(src.length);
        if ((await tree.kind(metaKey(target))) !== undefined) throw new MailError('ALREADYEXISTS', `mailbox ${target} already exists`);
        const id = (await tree.idOf(boxKey(name)))!;
        const meta = decodeJson<MailboxMeta>((await tree.get(metaKey(name)))!, metaKey(name));
        await tree.setObject(boxKey(target), '40000', id);
        await tree.set(metaKey(target), recordText({ ...meta, name: target, uidValidity: await this.nextUidValidity(tree), specialUse: name === 'INBOX' ? undefined : meta.specialUse }));
        if (name === 'INBOX') {
          // INBOX stays, empty, with its UIDVALIDITY and UIDNEXT: its UIDs are not reused. Empty, it
          // can take the current layout whatever it had.
          await tree.remove(boxKey(name));
          await tree.set(metaKey(name), recordText({ ...meta, highestModseq: meta.highestModseq + 1, layout: LAYOUT }));
        } else {
          await tree.remove(boxKey(name));
        }
      }
    });
  }

  async setSubscribed(name: string, subscribed: boolean): Promise<void> {
    const box = canonicalName(name);
    await this.commit(`${subscribed ? 'Subscribe to' : 'Unsubscribe from'} mailbox ${box}`, async (tree) => {
      const meta = await this.readMeta(tree, box);
      if (meta.subscribed !== subscribed) await tree.set(metaKey(box), recordText({ ...meta, subscribed }));
    });
  }

  /** APPEND (or a delivery): the message gets the next UID; one commit. */
  async append(name: string, bytes: Uint8Array, options: AppendOptions = {}): Promise<AppendResult> {
    const box = canonicalName(name);
    // Sizes, line counts and sections are computed on the stored bytes: they must be RFC 5322's CRLF.
    const raw = toCrlf(bytes);
    const flags = normalizeFlags(options.flags ?? []);
    const internalDate = options.internalDate ?? new Date(this.clock()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const subject = headerLine(raw, 'Subject') ?? '(no subject)';
    const message = options.delivery
      ? `Deliver “${subject}”${options.delivery.from ? ` from ${options.delivery.from}` : ''} to ${box}`
      : `Append “${subject}” to ${box}`;
    let done: Omit<AppendResult, 'commit'> | undefined;
    const commit = await this.commit(message, async (tree) => {
      const meta = await this.readMeta(tree, box, 'TRYCREATE');
      const uid = meta.uidNext;
      const modseq = meta.highestModseq + 1;
      this.recent.adding(meta.uidValidity, uid);
      const at = placeIn(box, meta);
      await putBytes(tree, at, uid, raw);
      await putRecord(tree, at, uid, { flags, modseq, internalDate, size: raw.length });
      await tree.set(metaKey(box), recordText({ ...meta, uidNext: uid + 1, highestModseq: modseq }));
      done = { uidValidity: meta.uidValidity, uid, modseq };
    }, true);
    return { ...done!, commit };
  }

  /**
   * Many messages into one mailbox, as few commits as memory allows: one per `batchBytes` of mail
   * (default 64 MiB), so an import of a whole mbox file is one change in the history when it can be.
   * Returns how many were added and the first and last UID.
   */
  async appendMany(name: string, messages: AsyncIterable<{ raw: Uint8Array; flags?: readonly string[]; internalDate?: string | undefined }>,
    options: { onProgress?: (count: number) => void; batchBytes?: number; message?: (count: number) => string } = {}): Promise<{ count: number; first?: number; last?: number }> {
    const box = canonicalName(name);
    const limit = options.batchBytes ?? 64 * 1024 * 1024;
    let count = 0;
    let first: number | undefined;
    let last: number | undefined;
    let batch: { raw: Uint8Array; flags: string[]; internalDate: string }[] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const items = batch;
      batch = [];
      bytes = 0;
      const uids = await this.commit(options.message?.(items.length) ?? `Import ${plural(items.length, 'message')} into ${box}`, async (tree) => {
        const meta = await this.readMeta(tree, box, 'TRYCREATE');
        const modseq = meta.highestModseq + 1;
        let uid = meta.uidNext;
        this.recent.adding(meta.uidValidity, uid);
        const at = placeIn(box, meta);
        for (const m of items) {
          await putBytes(tree, at, uid, m.raw);
          await putRecord(tree, at, uid, { flags: m.flags, modseq, internalDate: m.internalDate, size: m.raw.length });
          uid++;
        }
        await tree.set(metaKey(box), recordText({ ...meta, uidNext: uid, highestModseq: modseq }));
        return { first: meta.uidNext, last: uid - 1 };
      });
      first ??= uids.first;
      last = uids.last;
      count += items.length;
      options.onProgress?.(count);
    };
    await this.readMeta(await this.tree(), box, 'TRYCREATE');
    for await (const m of messages) {
      batch.push({ raw: toCrlf(m.raw), flags: normalizeFlags(m.flags ?? []), internalDate: m.internalDate ?? new Date(this.clock()).toISOString().replace(/\.\d{3}Z$/, 'Z') });
      bytes += m.raw.length;
      if (bytes >= limit) await flush();
    }
    await flush();
    return { count, ...(first !== undefined ? { first, last } : {}) };
  }

  /**
   * STORE (RFC 3501 6.4.6, RFC 7162 3.1.3): changes the flags of the given UIDs; UIDs not in the
   * mailbox are skipped, and with `unchangedSince` those changed later are left alone and reported.
   */
  async setFlags(name: string, uids: readonly number[], op: FlagOp, flags: readonly string[], options: { unchangedSince?: number } = {}): Promise<FlagsResult> {
    const box = canonicalName(name);
    const wanted = normalizeFlags(flags);
    const verb = op === 'add' ? 'Mark' : op === 'remove' ? 'Unmark' : 'Set the flags of';
    let result: FlagsResult = { modseq: 0, changed: [], modified: [], head: undefined };
    const landed = await this.update((n: number) => `${verb} ${plural(n, 'message')} in ${box}${op === 'set' ? ` to ${wanted.join(' ') || '(none)'}` : ` as ${wanted.join(' ')}`}`, async (tree) => {
      const view = await this.records(tree, box, uids);
      const meta = view.meta;
      const at = placeIn(box, meta);
      const modseq = meta.highestModseq + 1;
      result = { modseq: meta.highestModseq, changed: [], modified: [], head: undefined };
      for (const uid of uids) {
        const e = view.get(uid);
        if (!e) continue;
        if (options.unchangedSince !== undefined && e.modseq > options.unchangedSince) {
          result.modified.push(uid);
          continue;
        }
        const next = applyFlags(e.flags, op, wanted);
        if (sameFlags(next, e.flags)) continue;
        await putRecord(tree, at, uid, { flags: next, modseq, internalDate: e.internalDate, size: e.size });
        result.changed.push({ uid, flags: next, modseq });
      }
      if (result.changed.length > 0) {
        await tree.set(metaKey(box), recordText({ ...meta, highestModseq: modseq }));
        result.modseq = modseq;
      }
      return result.changed.length;
    });
    result.head = landed.head;
    return result;
  }

  /** EXPUNGE / UID EXPUNGE: removes the messages flagged \Deleted (among `uids`, if given); the UIDs removed. */
  async expunge(name: string, uids?: readonly number[]): Promise<number[]> {
    const box = canonicalName(name);
    let gone: number[] = [];
    await this.commit((n: number) => `Expunge ${plural(n, 'message')} from ${box}`, async (tree) => {
      const view = await this.view(box, tree);
      const candidates = uids ?? view.uids;
      gone = candidates.filter((uid) => view.get(uid)?.flags.includes('\\Deleted')).sort((a, b) => a - b);
      const at = placeIn(box, view.meta);
      for (const uid of gone) {
        await removeMessage(tree, at, uid);
      }
      if (gone.length > 0) await tree.set(metaKey(box), recordText({ ...view.meta, highestModseq: view.meta.highestModseq + 1 }));
      return gone.length;
    });
    return gone;
  }

  /**
   * COPY and MOVE (RFC 3501 6.4.7, RFC 6851): the messages get new UIDs in `to`, keeping their flags
   * and INTERNALDATE; their bytes are not copied (the new entries name the same blobs). A MOVE
   * removes them from the source in the same commit.
   */
  async copy(from: string, uids: readonly number[], to: string, options: { move?: boolean } = {}): Promise<CopyResult> {
    const src = canonicalName(from);
    const dst = canonicalName(to);
    let result: CopyResult = { uidValidity: 0, from: [], to: [] };
    await this.commit((n: number) => `${options.move ? 'Move' : 'Copy'} ${plural(n, 'message')} from ${src} to ${dst}`, async (tree) => {
      const view = await this.view(src, tree);
      const target = await this.readMeta(tree, dst, 'TRYCREATE');
      if (src === dst && options.move) throw new MailError('CANNOT', `cannot move messages from ${src} into itself`);
      let uidNext = target.uidNext;
      const modseq = target.highestModseq + 1;
      result = { uidValidity: target.uidValidity, from: [], to: [] };
      const into = placeIn(dst, target);
      for (const uid of [...uids].sort((a, b) => a - b)) {
        const e = view.get(uid);
        if (!e?.blob) continue;
        const copyUid = uidNext++;
        await putBytes(tree, into, copyUid, { blob: e.blob });
        await putRecord(tree, into, copyUid, { flags: e.flags, modseq, internalDate: e.internalDate, size: e.size });
        result.from.push(uid);
        result.to.push(copyUid);
      }
      if (result.from.length === 0) return 0;
      this.recent.adding(target.uidValidity, target.uidNext);
      await tree.set(metaKey(dst), recordText({ ...(src === dst ? await this.readMeta(tree, dst) : target), uidNext, highestModseq: modseq }));
      if (options.move) {
        const from = placeIn(src, view.meta);
        for (const uid of result.from) {
          await removeMessage(tree, from, uid);
        }
        await tree.set(metaKey(src), recordText({ ...view.meta, highestModseq: view.meta.highestModseq + 1 }));
      }
      return result.from.length;
    });
    return result;
  }

  /**
   * Undoes the mail changes of one commit of this user's, as a new commit: expunged or moved-out
   * messages come back (new UIDs, their flags and dates), delivered or copied-in ones go, flag changes
   * are reversed on top of what happened since, deleted mailboxes return (new UIDVALIDITY), created
   * ones go if they are as the commit left them or empty. Sessions see it as any other change.
   */
  async undo(commit: string): Promise<{ commit: string | undefined; subject: string }> {
    const info = await this.store.objects.commit(commit);
    const subject = info.message.split('\n')[0]!;
    const plan = await planUndo(this.store, commit);
    if (plan.length === 0) throw new MailError('CANNOT', `${commit.slice(0, 12)} ("${subject}") changed no mail`);
    const id = await this.commit(`Undo “${subject}”`, async (tree) => {
      for (const b of plan) {
        if (b.created) {
          const current = await tree.idOf(boxKey(b.name));
          if (current !== undefined && current !== b.created.treeId && (await this.view(b.name, tree)).exists > 0) {
            throw new MailError('CANNOT', `mailbox ${b.name} has changed since: move its messages out, then undo again`);
          }
          if (current !== undefined) await tree.remove(boxKey(b.name));
        }
        if (b.deleted) {
          if ((await tree.kind(metaKey(b.name))) !== undefined) throw new MailError('CANNOT', `a mailbox ${b.name} exists again: rename it, then undo again`);
          await tree.setObject(boxKey(b.name), '40000', b.deleted.treeId);
          await tree.set(metaKey(b.name), recordText({ ...b.deleted.meta, name: b.name, uidValidity: await this.nextUidValidity(tree), highestModseq: b.deleted.meta.highestModseq + 1 }));
        }
        if (b.subscribed) {
          const meta = await this.readMeta(tree, b.name);
          await tree.set(metaKey(b.name), recordText({ ...meta, subscribed: b.subscribed.before }));
        }
        if (b.added.length + b.removed.length + b.flags.length === 0) continue;
        const view = await this.view(b.name, tree).catch((e: unknown) => {
          throw e instanceof MailError ? new MailError('CANNOT', `mailbox ${b.name} is gone: undo its deletion first`) : e;
        });
        const modseq = view.meta.highestModseq + 1;
        const at = placeIn(b.name, view.meta);
        let uidNext = view.meta.uidNext;
        if (b.removed.length > 0) this.recent.adding(view.meta.uidValidity, uidNext);
        for (const uid of b.added) {
          if (!view.get(uid)) continue;
          await removeMessage(tree, at, uid);
        }
        for (const m of b.removed) {
          const uid = uidNext++;
          await putBytes(tree, at, uid, { blob: m.blob });
          await putRecord(tree, at, uid, { flags: m.meta.flags, modseq, internalDate: m.meta.internalDate, size: m.meta.size });
        }
        for (const f of b.flags) {
          const e = view.get(f.uid);
          if (!e) continue;
          const lower = (xs: string[]) => new Set(xs.map((x) => x.toLowerCase()));
          const before = lower(f.before);
          const after = lower(f.after);
          const next = normalizeFlags([...e.flags.filter((x) => before.has(x.toLowerCase()) || !after.has(x.toLowerCase())), ...f.before.filter((x) => !after.has(x.toLowerCase()))]);
          if (sameFlags(next, e.flags)) continue;
          await putRecord(tree, at, f.uid, { flags: next, modseq, internalDate: e.internalDate, size: e.size });
        }
        await tree.set(metaKey(b.name), recordText({ ...(await this.readMeta(tree, b.name)), uidNext, highestModseq: modseq }));
      }
    }, true);
    return { commit: id, subject };
  }

  /**
   * The mailbox's record and the records of `uids` on `tree`, for an edit. A few are read from the
   * tree itself: bringing the mailbox's view up to the tree would diff every commit of a group of
   * writes against the one before, when the sessions that need the view diff the group once.
   */
  private async records(tree: Tree, box: string, uids: readonly number[]): Promise<{ meta: MailboxMeta; get(uid: number): (MessageMeta & { size: number }) | undefined }> {
    if (uids.length > DIRECT_READS) return this.view(box, tree);
    const meta = await this.readMeta(tree, box);
    const at = placeIn(box, meta);
    const found = new Map<number, MessageMeta & { size: number }>();
    for (const uid of uids) {
      const key = at.record(uid);
      const bytes = await tree.get(key);
      // As in a view: a record without its message's bytes is not a message.
      if (bytes && (await tree.kind(at.raw(uid))) === 'value') found.set(uid, decodeJson(bytes, `message record ${key}`));
    }
    return { meta, get: (uid) => found.get(uid) };
  }

  private checkName(name: string): string {
    const box = canonicalName(name);
    const problem = mailboxNameProblem(box);
    if (problem) throw new MailError('CANNOT', problem);
    return box;
  }

  private async readMeta(tree: Tree, box: string, missing: 'NONEXISTENT' | 'TRYCREATE' = 'NONEXISTENT'): Promise<MailboxMeta> {
    const bytes = await tree.get(metaKey(box));
    if (!bytes) throw new MailError(missing, `no mailbox ${box}`);
    return decodeJson<MailboxMeta>(bytes, metaKey(box));
  }

  /** A UIDVALIDITY never used before by this user: the time in seconds, or one more than the last. */
  private async nextUidValidity(tree: Tree): Promise<number> {
    const state = (await tree.get(STATE_KEY)) ? decodeJson<{ lastUidValidity?: number }>((await tree.get(STATE_KEY))!, STATE_KEY) : {};
    const v = Math.max(Math.floor(this.clock() / 1000) % 0xffffffff, (state.lastUidValidity ?? 0) + 1);
    await tree.set(STATE_KEY, recordText({ ...state, lastUidValidity: v }));
    return v;
  }

  private async writeNewBox(tree: Tree, name: string, specialUse: string | undefined): Promise<MailboxMeta> {
    const meta: MailboxMeta = { name, uidValidity: await this.nextUidValidity(tree), uidNext: 1, highestModseq: 1, subscribed: true, ...(specialUse ? { specialUse } : {}), layout: LAYOUT };
    await tree.set(metaKey(name), recordText(meta));
    return meta;
  }

  /**
   * One commit on the user's branch. The store makes this process's writes to a branch one after
   * another, in the order asked, and stores those asked for together in one go (its group commit):
   * several sessions flagging messages at once cost about one write to disk. Other processes are
   * handled by the store's compare-and-swap. `message` may depend on what the edit returned (a
   * count); an edit that changes nothing makes no commit.
   */
  private async commit<R>(message: string | ((result: R) => string), edit: (tree: Tree) => Promise<R>, returnCommit?: false): Promise<R>;
  private async commit<R>(message: string | ((result: R) => string), edit: (tree: Tree) => Promise<R>, returnCommit: true): Promise<string | undefined>;
  private async commit<R>(message: string | ((result: R) => string), edit: (tree: Tree) => Promise<R>, returnCommit = false): Promise<R | string | undefined> {
    const r = await this.update(message, edit);
    return returnCommit ? r.commit : r.result;
  }

  /** commit(), answering with all the store says of the write (its commit, the head it landed at). */
  private update<R>(message: string | ((result: R) => string), edit: (tree: Tree) => Promise<R>): Promise<UpdateResult<R>> {
    let text = typeof message === 'string' ? message : '';
    // store.update reads the message when it writes the commit, after the edit has run.
    const options: WriteOptions = { branch: this.branch, author: this.author, get message() { return text; } };
    const run = this.store.update(async (tree) => {
      const result = await edit(tree);
      if (typeof message === 'function') text = message(result);
      return result;
    }, options);
    const done = run.then(() => undefined, () => undefined);
    this.writing.add(done);
    void done.then(() => this.writing.delete(done));
    return run;
  }
}

// A message is two keys: its bytes (`<uid>.eml`) and its record (`<uid>.json`), see layout.ts.

/** Where the messages of one mailbox go: full keys by UID, in the mailbox's layout. */
interface Placement {
  raw(uid: number): string;
  record(uid: number): string;
}

function placeIn(box: string, meta: MailboxMeta): Placement {
  const base = boxKey(box);
  const layout = layoutOf(meta);
  return { raw: (uid) => `${base}/${rawPath(uid, layout)}`, record: (uid) => `${base}/${recordPath(uid, layout)}` };
}

/** The bytes of message `uid`: new ones, or a blob already stored (a copy, a message brought back). */
async function putBytes(tree: Tree, at: Placement, uid: number, bytes: Uint8Array | { blob: string }): Promise<void> {
  if (bytes instanceof Uint8Array) await tree.set(at.raw(uid), bytes);
  else await tree.setObject(at.raw(uid), '100644', bytes.blob);
}

async function putRecord(tree: Tree, at: Placement, uid: number, meta: MessageMeta & { size: number }): Promise<void> {
  const { flags, modseq, internalDate, size } = meta;
  await tree.set(at.record(uid), recordText({ flags, modseq, internalDate, size }));
}

async function removeMessage(tree: Tree, at: Placement, uid: number): Promise<void> {
  await tree.remove(at.raw(uid));
  await tree.remove(at.record(uid));
}
