import type { Duplex } from 'node:stream';
import { isLoopback } from '@nymote/accounts';
import { isSecure, type ServerTls } from '@nymote/composition';
import * as general from './commands/general.js';
import * as mailboxes from './commands/mailboxes.js';
import * as messages from './commands/messages.js';
import { asciiText } from './protocol/mutf7.js';
import {
  CommandReader, codes, continuation, decodeSaslResponse, formatError, tagged, untaggedStatus, type Command, type ReaderLimits,
} from './protocol/index.js';
import { CommandError, Session, type SessionServices } from './session.js';

/** In which states a command may be given (RFC 3501 6). */
const ANY = new Set(['CAPABILITY', 'NOOP', 'LOGOUT', 'ID']);
const NOT_AUTHENTICATED = new Set(['STARTTLS', 'LOGIN', 'AUTHENTICATE']);
const SELECTED = new Set(['CHECK', 'CLOSE', 'UNSELECT', 'EXPUNGE', 'SEARCH', 'FETCH', 'STORE', 'COPY', 'MOVE']);
/** Held responses past this many bytes are sent before the command is done. */
const FLUSH_BYTES = 256 * 1024;
/** Commands on the selected mailbox's messages: they see what others did before they run. */
const MESSAGE_COMMANDS = new Set(['FETCH', 'STORE', 'SEARCH', 'COPY', 'MOVE', 'EXPUNGE']);
/** Commands with message sequence numbers: EXPUNGE responses must wait (RFC 3501 7.4.1). */
const SEQUENCE_COMMANDS = new Set(['FETCH', 'STORE', 'SEARCH']);

export interface ConnectionOptions {
  services: SessionServices;
  /** The network device's TLS, for STARTTLS; without it STARTTLS is not offered. */
  tls?: ServerTls;
  limits?: Partial<ReaderLimits>;
  /** Autologout after this long without a command (RFC 3501 5.4: at least 30 minutes). */
  idleTimeoutMs?: number;
}

/**
 * What a connection reads from and writes to: a TCP socket, or any duplex stream (tests use a
 * stream pair with a made-up remote address); the socket-only calls are used when present.
 */
export type ClientStream = Duplex & {
  remoteAddress?: string | undefined;
  setTimeout?(ms: number, callback: () => void): unknown;
  setNoDelay?(noDelay: boolean): unknown;
  destroySoon?(): void;
};

/** One client connection: bytes in through the command reader, commands run one at a time, answers out. */
export class Connection {
  private socket: ClientStream;
  private readonly reader: CommandReader;
  private readonly session: Session;
  private busy = false;
  /** The tag of an AUTHENTICATE waiting for the client's response line. */
  private authenticating: string | undefined;
  private ended = false;
  /**
   * Responses held while a command runs, sent as one write when it is done (or when they grow past
   * FLUSH_BYTES): a STORE's answer is its FETCH and tagged lines plus the FETCH of what other sessions
   * changed, and a write to the socket for each line cost more than the line.
   */
  private held: Buffer[] | undefined;
  private heldBytes = 0;

  constructor(socket: ClientStream, private readonly options: ConnectionOptions) {
    this.socket = socket;
    this.reader = new CommandReader({ limits: options.limits ?? {} });
    const self = this;
    this.session = new Session(options.services, {
      write: (bytes) => self.write(bytes),
      get secure() { return isSecure(self.socket); },
      loopback: isLoopback(socket.remoteAddress),
      remoteAddress: socket.remoteAddress,
    });
    this.attach(socket);
    this.write(untaggedStatus('OK', 'Nymote IMAP ready', codes.capability(this.session.capabilities())));
  }

  private attach(socket: ClientStream): void {
    // Responses are small writes that the client waits for: Nagle's algorithm would hold each
    // one back until the previous was acknowledged (40 ms with delayed ACKs). The pump holds them
    // instead (see held), so one command's responses leave in one segment.
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => {
      this.reader.push(chunk);
      void this.pump();
    });
    socket.on('error', () => this.end());
    socket.on('close', () => this.end());
    socket.setTimeout?.(this.options.idleTimeoutMs ?? 30 * 60_000, () => {
      this.write(untaggedStatus('BYE', 'Autologout: idle for too long'));
      this.end();
    });
  }

  private write(bytes: Buffer): void {
    if (this.ended || bytes.length === 0) return;
    if (!this.held) {
      this.socket.write(bytes);
      return;
    }
    this.held.push(bytes);
    this.heldBytes += bytes.length;
    // A long answer (FETCH of many bodies) goes out as it is made, not all at the end.
    if (this.heldBytes > FLUSH_BYTES) this.flush();
  }

  /** Sends what is held, in one write. */
  private flush(): void {
    const held = this.held;
    if (!held || held.length === 0) return;
    this.held = [];
    this.heldBytes = 0;
    if (!this.ended) this.socket.write(held.length === 1 ? held[0]! : Buffer.concat(held));
  }

  private end(): void {
    if (this.ended) return;
    // The last answers (BYE, LOGOUT's OK) leave before the end.
    if (this.socket.writable) this.flush();
    this.ended = true;
    this.session.close();
    this.socket.end();
    this.socket.destroySoon?.();
  }

  /** Runs what the reader has, one event at a time; a command finishes before the next starts. */
  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.held = [];
    try {
      while (!this.ended) {
        const event = this.reader.next();
        if (!event) break;
        if (event.type === 'continue') {
          this.write(continuation('Ready for the literal'));
        } else if (event.type === 'error') {
          this.write(formatError(event.error));
          if (event.error.close) {
            this.write(untaggedStatus('BYE', 'Too much input I cannot make sense of'));
            this.end();
          }
        } else if (event.type === 'line') {
          await this.line(event.line);
        } else {
          await this.run(event.command);
        }
      }
    } catch (e) {
      this.options.services.log?.(`imap: ${(e as Error).stack ?? e}`);
      this.write(untaggedStatus('BYE', 'Internal error'));
      this.end();
    } finally {
      this.busy = false;
      this.flush();
      this.held = undefined;
    }
  }

  /** A raw line: the client's answer in AUTHENTICATE, or DONE ending IDLE. */
  private async line(line: Uint8Array): Promise<void> {
    const s = this.session;
    this.reader.mode = 'command';
    if (this.authenticating !== undefined) {
      const tag = this.authenticating;
      this.authenticating = undefined;
      const response = decodeSaslResponse(line);
      if (response === 'cancel') return this.write(tagged(tag, 'BAD', 'AUTHENTICATE cancelled'));
      if (response === null) return this.write(tagged(tag, 'BAD', 'the response is not base64'));
      return this.guard(tag, () => general.plain(s, tag, response));
    }
    if (s.idle) {
      const { tag } = s.idle;
      s.idle = undefined;
      if (Buffer.from(line).toString('latin1').toUpperCase() !== 'DONE') return this.write(tagged(tag, 'BAD', 'expected DONE to end IDLE'));
      await this.tellChanges('NOOP');
      this.write(tagged(tag, 'OK', 'IDLE done'));
    }
  }

  private async guard(tag: string, work: () => Promise<void> | void): Promise<void> {
    try {
      await work();
    } catch (e) {
      const answer = Session.answerFor(e);
      if (!answer) throw e;
      this.write(tagged(tag, answer.status, this.session.utf8 ? answer.message : asciiText(answer.message), answer.code));
    }
  }

  private async run(c: Command): Promise<void> {
    const s = this.session;
    const allowed = ANY.has(c.name)
      || (NOT_AUTHENTICATED.has(c.name) ? s.state === 'not-authenticated'
        : SELECTED.has(c.name) ? s.state === 'selected'
          : s.state === 'authenticated' || s.state === 'selected');
    if (!allowed) {
      const why = s.state === 'not-authenticated' ? 'log in first' : NOT_AUTHENTICATED.has(c.name) ? 'already logged in' : 'select a mailbox first';
      return this.write(tagged(c.tag, 'BAD', `${c.name} is not allowed now: ${why}`));
    }
    // The command works on the mailbox as it is now: what others changed is told first, as far as
    // this command allows (as Dovecot does), so that a UID SEARCH finds a message just delivered.
    if (MESSAGE_COMMANDS.has(c.name)) await this.tellChanges(c.name, 'uid' in c && c.uid);
    // Handlers complete with s.ok; the answer waits until the changes of others have been told.
    s.holdCompletion();
    let completion: Buffer | undefined;
    try {
      await this.guard(c.tag, () => this.dispatch(c));
    } finally {
      completion = s.takeCompletion();
    }
    // After ENABLE UTF8=ACCEPT or IMAP4rev2, quoted strings and mailbox names are UTF-8 (RFC 6855).
    if (s.utf8) this.reader.parseOptions.utf8 = true;
    if (completion) {
      await this.tellChanges(c.name, 'uid' in c && c.uid);
      this.write(completion);
    }
    if (c.name === 'LOGOUT') this.end();
  }

  /** Tells the client what others changed, as far as the command just run allows. */
  private async tellChanges(name: string, uid = false): Promise<void> {
    const s = this.session;
    if (s.state !== 'selected' || !s.stale) return;
    await s.refresh({ expunges: !SEQUENCE_COMMANDS.has(name) || uid });
  }

  private async dispatch(c: Command): Promise<void> {
    const s = this.session;
    switch (c.name) {
      case 'CAPABILITY': return general.capability(s, c);
      case 'NOOP': case 'CHECK':
        if (s.state === 'selected') await s.refresh({ expunges: true });
        return s.ok(c, `${c.name} done`);
      case 'LOGOUT':
        this.write(untaggedStatus('BYE', 'Logging out'));
        return s.ok(c, 'LOGOUT done');
      case 'ID': return general.id(s, c);
      case 'STARTTLS': return this.startTls(c);
      case 'LOGIN': return general.loginCommand(s, c);
      case 'AUTHENTICATE':
        if (c.mechanism !== 'PLAIN') throw new CommandError('NO', `${c.mechanism} is not offered: use PLAIN`, 'CANNOT');
        if (!s.loginAllowed) throw new CommandError('NO', 'plain-text logins need TLS: use STARTTLS first', 'PRIVACYREQUIRED');
        if (c.initialResponse) return general.plain(s, c.tag, c.initialResponse);
        this.authenticating = c.tag;
        this.reader.mode = 'line';
        return this.write(continuation(''));
      case 'ENABLE': return general.enable(s, c);
      case 'NAMESPACE': return mailboxes.namespace(s, c);
      case 'LIST': return mailboxes.list(s, c);
      case 'LSUB': return mailboxes.lsub(s, c);
      case 'CREATE': return mailboxes.create(s, c);
      case 'DELETE': return mailboxes.remove(s, c);
      case 'RENAME': return mailboxes.rename(s, c);
      case 'SUBSCRIBE': case 'UNSUBSCRIBE': return mailboxes.subscribe(s, c);
      case 'STATUS': return mailboxes.status(s, c);
      case 'APPEND': return messages.append(s, c);
      case 'SELECT': case 'EXAMINE': return messages.select(s, c);
      case 'CLOSE': case 'UNSELECT': return messages.close(s, c);
      case 'EXPUNGE': return messages.expunge(s, c);
      case 'FETCH': return messages.fetch(s, c);
      case 'STORE': return messages.store(s, c);
      case 'SEARCH': return messages.searchCommand(s, c);
      case 'COPY': case 'MOVE': return messages.copy(s, c);
      case 'IDLE':
        this.write(continuation('idling'));
        s.idle = { tag: c.tag };
        this.reader.mode = 'line';
        if (s.state === 'selected') await s.refresh({ expunges: true });
        return;
    }
  }

  private startTls(c: Command): void {
    const tls = this.options.tls;
    if (!tls) throw new CommandError('NO', 'TLS is not configured on this server');
    if (isSecure(this.socket)) throw new CommandError('BAD', 'TLS is already on');
    this.write(tagged(c.tag, 'OK', 'Begin TLS negotiation now'));
    // The answer goes out in the clear, before the handshake; what follows is held for the TLS socket.
    this.flush();
    // Anything pipelined after STARTTLS was sent in the clear: drop it (RFC 3501 6.2.1, CVE-2011-0411).
    this.reader.discardBuffered();
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('timeout');
    const secure = tls.secure(plain);
    this.socket = secure;
    this.attach(secure);
  }
}
