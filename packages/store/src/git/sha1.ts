import { sha1 as nobleSha1 } from '@noble/hashes/legacy.js';
import { toHex } from './bytes.js';
import type { Sha1 } from './object.js';

/** Portable SHA-1 (git's object hash; not used for security). Node backends inject node:crypto's instead. */
export const portableSha1: Sha1 = (data) => toHex(nobleSha1(data));
