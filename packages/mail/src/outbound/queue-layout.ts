// The outbound queue lives in the store too, on its own branch: each queued message is
//   queue/<id>.eml    the message as it will be sent (DKIM-signed)
//   queue/<id>.json   envelope and state: who still waits for it, attempts, the next attempt, errors
// so that a restart loses nothing and `git log mail-queue` is the delivery log.

export const QUEUE_BRANCH = 'mail-queue';
export const rawKey = (id: string) => `queue/${id}.eml`;
export const stateKey = (id: string) => `queue/${id}.json`;

export type RecipientStatus = 'pending' | 'delivered' | 'bounced';

export interface QueuedRecipient {
  address: string;
  status: RecipientStatus;
  /** The last answer or error for this recipient ("550 5.1.1 no such user"). */
  last?: string;
}

export interface QueueState {
  id: string;
  /** The local user who sent it (gets the bounce). */
  user: string;
  from: string;
  to: QueuedRecipient[];
  /** When it was queued and when to try next (ms since the epoch). */
  queued: number;
  next: number;
  attempts: number;
}
