export { createInboundServer, type InboundOptions } from './inbound.js';
export { createSubmissionServer, type SubmissionOptions, type OutboundHandoff } from './submission.js';
export { LocalDelivery, type DeliveryOptions } from './delivery.js';
export { localPart, addressOf } from './addresses.js';
