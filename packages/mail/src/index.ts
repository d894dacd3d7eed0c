// @nymote/mail: IMAP and SMTP on the versioned store.
export type { ImapValue } from './imap/value.js';
export * as mime from './mime/index.js';
