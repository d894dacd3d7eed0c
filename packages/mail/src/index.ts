// @nymote/mail: IMAP and SMTP on the versioned store.
export type { ImapValue } from './imap/value.js';
export * from './mailstore/index.js';
export * from './smtp/index.js';
export * from './outbound/index.js';
export { readMbox, fromLineDate, mboxFlags, type MboxMessage } from './mbox.js';
export * as mime from './mime/index.js';
export * as imap from './imap/protocol/index.js';
export * from './imap/index.js';
