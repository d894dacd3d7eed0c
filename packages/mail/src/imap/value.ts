/**
 * A value in an IMAP response (RFC 3501 section 4, RFC 9051 section 4), as the message parser builds
 * ENVELOPE and BODYSTRUCTURE and the response writer writes them: null is NIL, a string is written
 * quoted when it can be and as a literal otherwise, `{ atom }` as it is, bytes always as a literal,
 * an array as a parenthesised list.
 */
export type ImapValue = null | number | bigint | string | { atom: string } | Uint8Array | ImapValue[];
