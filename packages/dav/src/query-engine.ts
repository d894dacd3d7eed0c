import { QueryError } from './query/index.js';

/** The query engines (./query): filters, time ranges, recurrence expansion and free/busy. */
export * as query from './query/index.js';

/** A QueryError of the engine: it names the precondition the request failed. */
export function isQueryError(e: unknown): e is QueryError {
  return e instanceof QueryError;
}
