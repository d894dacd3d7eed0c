export { Mailstore, DEFAULT_MAILBOXES, SPECIAL_USES, type MailstoreOptions, type AppendOptions, type AppendResult, type FlagsResult, type CopyResult } from './mailstore.js';
export { Mailstores } from './mailstores.js';
export { MailboxView, type MessageEntry } from './mailbox-view.js';
export { MailError, isMailError, type MailErrorCode } from './errors.js';
export { PERMANENT_FLAGS, canonicalFlag, normalizeFlags, applyFlags, type FlagOp } from './flags.js';
export { canonicalName, mailboxNameProblem } from './names.js';
export { DELIMITER, MAIL_ROOT, boxKey as mailboxKey, type MailboxMeta, type MessageMeta } from './layout.js';
