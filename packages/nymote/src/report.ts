import { isStoreError } from '@nymote/store';
import type { Io } from './io.js';
import { UsageError } from './usage.js';

/** Exit statuses: 0 ok; 1 not found, conflict, fsck problems, or any failure; 2 usage errors. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** An expected failure found by the command line itself (exit 1); its message is shown as is. */
export class Failure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Failure';
  }
}

/** Prints "nymote: <message>" on stderr and returns status 1: the ending of every plain failure. */
export function fail(io: Io, message: string): number {
  io.stderr.write(`nymote: ${message}\n`);
  return EXIT_FAILURE;
}

/**
 * The one place a thrown error becomes a message and an exit status. Store errors already name the
 * key, branch or file at fault, so their message is shown as is. $NYMOTE_DEBUG adds the stack of
 * unexpected errors.
 */
export function report(e: unknown, io: Io): number {
  if (e instanceof UsageError) {
    io.stderr.write(`nymote: ${e.message}\n${e.usage ? `usage: ${e.usage}\n` : ''}`);
    return EXIT_USAGE;
  }
  if (isStoreError(e, 'not-a-repository')) {
    return fail(io, `${e.message} (create it with "nymote store init", or choose another with --repo or --data)`);
  }
  if (isStoreError(e) || e instanceof Failure) return fail(io, e.message);
  const message = e instanceof Error ? e.message : String(e);
  if (io.env['NYMOTE_DEBUG'] && e instanceof Error && e.stack) io.stderr.write(`${e.stack}\n`);
  return fail(io, message);
}
