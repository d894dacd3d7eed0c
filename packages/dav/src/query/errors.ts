/**
 * A malformed or unsupported filter. The server answers 400 (403 for preconditions, per RFC 4791
 * 1.3) and names `precondition` in the DAV:error body, e.g. 'valid-filter', 'supported-collation'.
 */
export class QueryError extends Error {
  precondition?: string;
  constructor(message: string, precondition?: string) {
    super(message);
    this.name = 'QueryError';
    if (precondition !== undefined) this.precondition = precondition;
  }
}
