import type { KeyConflict } from '@nymote/store';
import type { Io } from '../io.js';
import { EXIT_FAILURE } from '../report.js';

/**
 * Prints one line per conflicting key on stdout, "KEY: reason" (the store's message starts with the
 * key, and with the field for JSON values), then what happened on stderr; status 1.
 */
export function reportConflicts(io: Io, conflicts: readonly KeyConflict[], what: string): number {
  for (const c of conflicts) {
    const line = c.message.startsWith(c.key) ? c.message : `${c.key}: ${c.message}`;
    io.stdout.write(`conflict ${line.replace(/\n/g, ' ')}\n`);
  }
  const n = conflicts.length;
  io.stderr.write(`nymote: ${what}: ${n} conflicting ${n === 1 ? 'key' : 'keys'}; nothing was changed\n`);
  return EXIT_FAILURE;
}
