export { OutboundQueue, type OutboundOptions, type NextHop } from './queue.js';
export { QUEUE_BRANCH, type QueueState, type QueuedRecipient, type RecipientStatus } from './queue-layout.js';
export { bounceMessage } from './dsn.js';
