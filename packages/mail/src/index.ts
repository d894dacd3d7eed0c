// @nymote/mail: IMAP and SMTP on the versioned store.
export type { ImapValue } from './imap/value.js';
export * as imap from './imap/protocol/index.js';
