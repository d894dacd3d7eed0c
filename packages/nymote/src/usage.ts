/**
 * A mistake in how a command was called (unknown command or option, missing or extra argument, a value
 * of the wrong shape). Exit status 2; the message says what was wrong and the usage line shows the
 * right form. Commands throw it without a usage line; the command wrapper that caught it adds its own.
 */
export class UsageError extends Error {
  constructor(message: string, readonly usage?: string) {
    super(message);
    this.name = 'UsageError';
  }

  /** The same error, naming the usage of the command where it happened (kept if already set). */
  withUsage(usage: string): UsageError {
    return this.usage === undefined ? new UsageError(this.message, usage) : this;
  }
}
