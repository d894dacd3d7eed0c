import type { Accounts } from '@nymote/accounts';
import { isMailError, MailError } from '../mailstore/errors.js';
import { MailboxView } from '../mailstore/mailbox-view.js';
import type { Mailstore } from '../mailstore/mailstore.js';
import type { Mailstores } from '../mailstore/mailstores.js';
import { PERMANENT_FLAGS } from '../mailstore/flags.js';
import type { BranchWatch } from './branch-watch.js';
import { capabilities } from './capabilities.js';
import { mailboxChanges } from './mailbox-changes.js';
import { MessageCache } from './message-cache.js';
import {
  codes, flagList, flagsFetchResponse, tagged, untagged, untaggedStatus, vanishedResponse, type Command,
} from './protocol/index.js';
import { Selected } from './selected.js';

/** What a session needs from the server it belongs to. */
export interface SessionServices {
  accounts: Accounts;
  mailstores: Mailstores;
  watch: BranchWatch;
  /** Mail for NAME@domain belongs to NAME: logins may use either form. */
  domain: string;
  appendLimit: number;
  tlsAvailable: boolean;
  /** Messages read and parsed, shared by the server's sessions (default: one per session). */
  messages?: MessageCache;
  log?: (line: string) => void;
  clock: () => number;
}

/** The connection a session talks through. */
export interface SessionIo {
  write(bytes: Buffer): void;
  readonly secure: boolean;
  readonly loopback: boolean;
  readonly remoteAddress: string | undefined;
}

export type State = 'not-authenticated' | 'authenticated' | 'selected' | 'logout';

/** An IMAP command gone wrong in a way the client should be told with a tagged NO or BAD. */
export class CommandError extends Error {
  constructor(readonly status: 'NO' | 'BAD', message: string, readonly code?: string) {
    super(message);
  }
}

const MAIL_ERROR_CODES: Record<string, string> = { NONEXISTENT: 'NONEXISTENT', ALREADYEXISTS: 'ALREADYEXISTS', CANNOT: 'CANNOT', TRYCREATE: 'TRYCREATE', LIMIT: 'LIMIT' };

/**
 * The last FETCH FLAGS line made for each flag list of a message record (views share the record, and
 * its list, between sessions): every session on a mailbox reports each change with the same bytes.
 */
const flagLines = new WeakMap<readonly string[], { seq: number; uid: number; modseq: number | undefined; line: Buffer }>();

function sharedFlagsLine(seq: number, uid: number, flags: readonly string[], modseq: number | undefined): Buffer {
  const last = flagLines.get(flags);
  if (last !== undefined && last.seq === seq && last.uid === uid && last.modseq === modseq) return last.line;
  const line = flagsFetchResponse(seq, uid, flags, modseq);
  flagLines.set(flags, { seq, uid, modseq, line });
  return line;
}

/**
 * One client's IMAP session: its state (RFC 3501 3), who logged in, the mailbox selected and the
 * snapshot of it the client knows, and the extensions it enabled. Commands are carried out by the
 * handlers in ./commands; this class holds what they share.
 */
export class Session {
  state: State = 'not-authenticated';
  user: string | undefined;
  mailstore: Mailstore | undefined;
  selected: Selected | undefined;
  /** ENABLEd extensions (RFC 5161), upper case: CONDSTORE, QRESYNC, UTF8=ACCEPT, IMAP4REV2. */
  readonly enabled = new Set<string>();
  /** The client used a CONDSTORE feature, which enables it (RFC 7162 3.1). */
  condstore = false;
  readonly messages: MessageCache;
  private unwatch: (() => void) | undefined;
  /** Set while IDLE: the tag to complete, and whether a refresh is under way. */
  idle: { tag: string } | undefined;
  private refreshing: Promise<void> | undefined;
  /** While the connection runs a command, its tagged OK waits here (see holdCompletion). */
  private holding = false;
  private completion: Buffer | undefined;
  private dirty = false;
  /** The commit of the user's branch the selected mailbox was last shown at (see changed()). */
  private seenHead: string | undefined;

  constructor(readonly services: SessionServices, readonly io: SessionIo) {
    this.messages = services.messages ?? new MessageCache();
  }

  get utf8(): boolean {
    return this.enabled.has('UTF8=ACCEPT') || this.enabled.has('IMAP4REV2');
  }

  get rev2(): boolean {
    return this.enabled.has('IMAP4REV2');
  }

  get qresync(): boolean {
    return this.enabled.has('QRESYNC');
  }

  /** Plain-text passwords are taken over TLS or from this machine only (as Dovecot does). */
  get loginAllowed(): boolean {
    return this.io.secure || this.io.loopback;
  }

  capabilities(): string[] {
    return capabilities({
      authenticated: this.state !== 'not-authenticated', tlsAvailable: this.services.tlsAvailable, secure: this.io.secure,
      loginAllowed: this.loginAllowed, appendLimit: this.services.appendLimit,
    });
  }

  send(bytes: Buffer): void {
    if (bytes.length > 0) this.io.write(bytes);
  }

  /** The logged-in user's mailstore (the caller checked the state). */
  get store(): Mailstore {
    return this.mailstore!;
  }

  async loggedIn(user: string): Promise<void> {
    this.user = user;
    this.mailstore = this.services.mailstores.of(user);
    await this.mailstore.ensureDefaults();
    this.state = 'authenticated';
    this.unwatch = this.services.watch.on(this.mailstore.branch, (head) => this.changed(head));
  }

  /**
   * The branch moved: an IDLE client hears about it now, others at their next command. A refresh
   * already under way may have read the mailbox before this move: once it is done, the session
   * refreshes again if it is still behind, or an IDLE client would not hear of the move until the next.
   */
  private changed(head: string | undefined): void {
    // The move of this session's own write, already shown by the refresh that followed it.
    if (head !== undefined && head === this.seenHead) return;
    this.dirty = true;
    if (!this.idle || !this.selected) return;
    const tell = (): void => {
      if (this.dirty && this.idle && this.selected) void this.refresh({ expunges: true }).catch((e: Error) => this.services.log?.(`imap ${this.user}: ${e.message}`));
    };
    if (this.refreshing) void this.refreshing.then(tell, tell);
    else tell();
  }

  async select(name: string, readOnly: boolean): Promise<MailboxView> {
    this.selected = undefined;
    if (this.state === 'selected') this.state = 'authenticated';
    const head = await this.store.head();
    const view = await this.store.viewAt(name, head);
    this.seenHead = head;
    const sel = new Selected(view.meta.name, readOnly, view);
    // RFC 3501 6.3.1/6.3.2: SELECT takes the messages no session has taken, EXAMINE only shows them.
    if (!this.rev2) for (const uid of readOnly ? this.store.recent.untaken(view) : this.store.recent.take(view)) sel.recent.add(uid);
    this.selected = sel;
    this.state = 'selected';
    return view;
  }

  deselect(): void {
    this.selected = undefined;
    this.state = 'authenticated';
  }

  /**
   * Brings the selected mailbox up to date and tells the client what changed: EXPUNGE (or VANISHED
   * with QRESYNC), EXISTS, and FETCH FLAGS of changed messages. Expunges are held back while a
   * command that uses sequence numbers runs (RFC 3501 7.4.1): `expunges` says whether they may go now.
   * `at` is the commit to show (the head a write of this session landed at), else the branch's head.
   */
  async refresh(options: { expunges: boolean; exceptFlagsOf?: Set<number>; at?: string }): Promise<void> {
    if (this.refreshing) return this.refreshing;
    this.refreshing = (async () => {
      const sel = this.selected;
      if (!sel) return;
      this.dirty = false;
      let next: MailboxView;
      const head = options.at ?? (await this.store.head());
      try {
        next = await this.store.viewAt(sel.name, head);
        this.seenHead = head;
      } catch (e) {
        if (!isMailError(e, 'NONEXISTENT')) throw e;
        // Deleted or renamed under us: the client must select again.
        this.send(untaggedStatus('BYE', `mailbox ${sel.name} was deleted or renamed by another session`));
        return;
      }
      const c = mailboxChanges(sel.view, next);
      if (c.expungedUids.length > 0 && !options.expunges) {
        // Report what we can without renumbering: new messages cannot be announced before the
        // expunges either, since EXISTS counts them; wait for a command that allows both. The
        // session works on the old numbering with the new flags meanwhile, so that a FETCH shows
        // the flags just reported and they are not reported again.
        this.dirty = true;
        this.reportFlags(c.flagChanges, options.exceptFlagsOf, sel.view);
        sel.view = MailboxView.overlay(sel.view, next);
        return;
      }
      if (this.qresync) this.send(vanishedResponse(c.expungedUids, false));
      else for (const seq of c.expungedSeqs) this.send(untagged(`${seq} EXPUNGE`));
      sel.view = next;
      for (const uid of c.expungedUids) sel.recent.delete(uid);
      if (c.exists !== undefined) {
        this.send(untagged(`${c.exists} EXISTS`));
        if (!this.rev2) {
          // Told of new messages: a read-write session takes those no session has taken yet.
          for (const uid of sel.readOnly ? this.store.recent.untaken(next) : this.store.recent.take(next)) sel.recent.add(uid);
          this.send(untagged(`${sel.recentCount} RECENT`));
        }
      }
      this.reportFlags(c.flagChanges, options.exceptFlagsOf, next);
    })().finally(() => { this.refreshing = undefined; });
    return this.refreshing;
  }

  /** FETCH FLAGS (and MODSEQ) of changed messages; `view` is the mailbox as the client knows it. */
  private reportFlags(changes: { uid: number; flags: string[]; modseq: number }[], except: Set<number> | undefined, view: MailboxView): void {
    for (const f of changes) {
      if (except?.has(f.uid)) continue;
      // Numbered as the client knows the mailbox: while expunges are held back, the old numbers.
      const seq = view.seqOf(f.uid);
      if (seq === 0) continue;
      const flags = this.selected?.recent.has(f.uid) ? [...f.flags, '\\Recent'] : f.flags;
      const modseq = this.condstore || this.qresync ? f.modseq : undefined;
      this.send(flags === f.flags ? sharedFlagsLine(seq, f.uid, flags, modseq) : flagsFetchResponse(seq, f.uid, flags, modseq));
    }
  }

  /** Whether a refresh is due (the branch moved since the last one). */
  get stale(): boolean {
    return this.dirty;
  }

  /** The untagged responses of SELECT / EXAMINE (RFC 3501 6.3.1, RFC 9051 6.3.2, RFC 7162 3.1.2). */
  selectResponses(view: MailboxView, readOnly: boolean): void {
    const flags = [...PERMANENT_FLAGS];
    const keywords = view.keywords();
    this.send(untagged('FLAGS', flagList([...flags, ...keywords])));
    this.send(untaggedStatus('OK', readOnly ? 'No permanent flags in a read-only mailbox' : 'Flags that can be kept', codes.permanentFlags(readOnly ? [] : [...flags, ...keywords, '\\*'])));
    this.send(untagged(`${view.exists} EXISTS`));
    if (!this.rev2) {
      this.send(untagged(`${this.selected?.recentCount ?? 0} RECENT`));
      let firstUnseen = 0;
      for (let seq = 1; seq <= view.exists; seq++) {
        if (!view.at(seq)!.flags.includes('\\Seen')) {
          firstUnseen = seq;
          break;
        }
      }
      if (firstUnseen) this.send(untaggedStatus('OK', 'The first unseen message', codes.unseen(firstUnseen)));
    }
    this.send(untaggedStatus('OK', 'UIDs valid', codes.uidValidity(view.meta.uidValidity)));
    this.send(untaggedStatus('OK', 'Predicted next UID', codes.uidNext(view.meta.uidNext)));
    this.send(untaggedStatus('OK', 'Highest', codes.highestModseq(view.meta.highestModseq)));
  }

  /** Turns a mailstore error into the tagged answer it deserves. */
  static answerFor(e: unknown): CommandError | undefined {
    if (e instanceof CommandError) return e;
    if (e instanceof MailError) return new CommandError('NO', e.message, MAIL_ERROR_CODES[e.code]);
    return undefined;
  }

  close(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    this.state = 'logout';
  }

  /** A command's tagged completion, with a response code: sent, or held for the connection (holdCompletion). */
  ok(command: Command, text: string, code?: string): void {
    const answer = tagged(command.tag, 'OK', text, code);
    if (this.holding) this.completion = answer;
    else this.send(answer);
  }

  /** From now until takeCompletion, ok() keeps its answer instead of sending it. */
  holdCompletion(): void {
    this.holding = true;
    this.completion = undefined;
  }

  /** The answer ok() kept, if any; ok() sends again from now on. */
  takeCompletion(): Buffer | undefined {
    const answer = this.completion;
    this.holding = false;
    this.completion = undefined;
    return answer;
  }
}
