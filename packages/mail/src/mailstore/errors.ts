/**
 * What can go wrong with a mailbox operation, by the IMAP response code it maps to (RFC 5530):
 * NONEXISTENT, ALREADYEXISTS, CANNOT (e.g. deleting INBOX), TRYCREATE (COPY/APPEND to a missing box).
 */
export type MailErrorCode = 'NONEXISTENT' | 'ALREADYEXISTS' | 'CANNOT' | 'TRYCREATE' | 'LIMIT';

export class MailError extends Error {
  constructor(readonly code: MailErrorCode, message: string) {
    super(message);
    this.name = 'MailError';
  }
}

export const isMailError = (e: unknown, code?: MailErrorCode): e is MailError => e instanceof MailError && (code === undefined || e.code === code);
