/** Raw bytes: the fallback content type for values with no known structure. */
import { type ContentType } from './types.js';
import { atomic } from './option.js';
import { equalBytes } from '../git/bytes.js';

/**
 * Raw bytes, copied on encode and decode so neither the caller nor the store can change the other's
 * buffer (decode input may be a view into a larger pack buffer). Merges atomically: one-sided changes
 * win, different concurrent changes conflict. Commutative, idempotent, merge(b, b, x) = x.
 */
export const bytesType: ContentType<Uint8Array> = {
  name: 'bytes',
  encode: (value) => value.slice(),
  decode: (bytes) => bytes.slice(),
  merge: atomic<Uint8Array>(equalBytes, 'both sides changed the bytes differently'),
};
