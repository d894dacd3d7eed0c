// Ref-name checks and order for refs on disk; the rules themselves are the core's (refname.ts).
import { StoreError } from '../../errors.js';
import { isValidRefName } from '../../refname.js';

export { isValidRefName };

export function checkRefName(name: string): void {
  if (!isValidRefName(name)) {
    throw new StoreError('invalid-ref', `"${name}" is not a valid ref name (git check-ref-format refuses it)`, { ref: name });
  }
}

/** Git's order for ref names: by UTF-8 bytes (what "sorted" in packed-refs means), not UTF-16 units. */
export function compareRefNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
