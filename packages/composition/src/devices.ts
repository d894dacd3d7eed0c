// The devices a service is written against, after Mirage: what it may do to the outside world.
// A service never opens a port, reads the time or draws random bytes itself; it is given these.
import type { Duplex } from 'node:stream';

/** A connection as services see it: a byte stream with the address of the other end. */
export type Connection = Duplex & { readonly remoteAddress?: string | undefined };

/**
 * What a service needs from the network: to be handed the connections made to a port. A service
 * gives its connection handler; the target decides whether that is a real socket or a pipe in memory.
 * Node's own servers (net, tls, http, smtp-server) take connections through their 'connection'
 * event, so a service can hand over one of those, never listening itself.
 */
export interface Network {
  listen(port: number, host: string, accept: ConnectionAcceptor): Promise<Listener>;
}

/** Something that takes connections: a function, or a server whose 'connection' event does. */
export type ConnectionAcceptor = ((connection: Connection) => void) | { emit(event: 'connection', connection: Connection): boolean };

export interface Listener {
  /** The address clients reach it at, e.g. "127.0.0.1:1143" (a made-up one in memory). */
  readonly address: string;
  readonly port: number;
  /** Stops taking connections (those open are the service's to end). */
  close(): Promise<void>;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface Random {
  bytes(n: number): Uint8Array;
}

export type Log = (service: string, message: string, fields?: Record<string, unknown>) => void;

/** Everything a Nymote service may use; one object per target. */
export interface Devices {
  network: Network;
  clock: Clock;
  random: Random;
  log: Log;
}

/** Hands `connection` to `accept`, whichever form it has. */
export function deliver(accept: ConnectionAcceptor, connection: Connection): void {
  if (typeof accept === 'function') accept(connection);
  else accept.emit('connection', connection);
}
