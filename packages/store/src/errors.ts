/** Every failure the store reports has a stable code, so callers (CLI, HTTP, IMAP) can map it to a reply. */
export type StoreErrorCode =
  | 'not-found'          // a key, branch, commit or object that does not exist
  | 'corrupt-object'     // bytes that do not hash to their id, bad zlib, bad header
  | 'corrupt-pack'       // a pack or index whose checksum or layout is wrong
  | 'invalid-key'        // an empty key, a key with empty or '.'/'..' segments
  | 'invalid-ref'        // a branch name git would refuse
  | 'invalid-object'     // an object that does not parse (bad tree entry, bad commit header)
  | 'lock-timeout'       // a ref lock held by someone else for too long
  | 'conflict'           // a test-and-set whose expectation did not hold
  | 'exists'             // creating something that is already there
  | 'not-a-repository'   // opening a directory that is not a git repository
  | 'type-mismatch'      // a value where a tree was expected, or the reverse
  | 'protocol'           // a peer that breaks the Git protocol (bad pkt-line, unexpected reply)
  | 'remote'             // a peer that reported an error (ERR packet, band 3, HTTP failure)
  | 'non-fast-forward'   // a push or fetch that would lose commits without --force
  | 'rejected'           // a ref update the other side refused
  | 'ambiguous';         // an abbreviated id that more than one commit starts with

export class StoreError<D extends Record<string, unknown> = Record<string, unknown>> extends Error {
  readonly code: StoreErrorCode;
  readonly data: D;
  constructor(code: StoreErrorCode, message: string, data: D = {} as D, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
    this.data = data;
  }
}

export function isStoreError(e: unknown, code?: StoreErrorCode): e is StoreError {
  return e instanceof StoreError && (code === undefined || e.code === code);
}
