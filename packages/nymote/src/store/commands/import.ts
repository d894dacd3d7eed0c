import { isStoreError, type StoreErrorCode } from '@nymote/store';
import { defineCommand } from '../../command.js';
import { splitLines } from '../../io.js';
import { UsageError } from '../../usage.js';
import type { StoreContext } from '../context.js';
import { importRecords, type LinePosition } from '../import-lines.js';
import { requireBranch } from '../options.js';

/** Store errors that mean the record itself was wrong (not the repository): reported as its line's fault. */
const RECORD_FAULTS = new Set<StoreErrorCode>(['invalid-key', 'type-mismatch', 'invalid-object']);

export const importCommand = defineCommand({
  name: 'import',
  summary: 'bulk-load JSON lines from stdin, one commit per line',
  usage: '[--branch B] [--progress]',
  help: `Reads JSON lines from stdin and makes one commit per line on the branch, all
written as one packfile, the branch moving once at the end; prints how many
commits and the new head. Each line is an object:

  {"key": "contacts/alice.json",          required
   "value": "text" | {"base64": "..."} | null,   null removes the key
   "message": "...",                      optional (default "Set KEY")
   "author": "Name <mail>",               optional
   "time": "2024-05-01T09:30:00Z" | ms}   optional author date

A malformed line stops the import with exit status 2, naming the line; nothing
is written. If another writer moves the branch meanwhile, nothing is written
and the exit status is 1.

options:
  --branch B     the branch to write (default: the default branch)
  --progress     report progress on stderr every 1,000 commits (the default
                 when stderr is a terminal)

example:
  nymote store import < export.jsonl`,
  options: { branch: { type: 'string' }, progress: { type: 'boolean' } },
  args: [],
  async run(_args, options, context: StoreContext) {
    const { io } = context;
    const { store } = await context.open();
    await requireBranch(store, options.branch);
    const branch = options.branch ?? store.defaultBranch;
    const tty = io.stderr.isTTY;
    const progress = options.progress === true || tty;
    const position: LinePosition = { line: 0 };
    let shown = false;
    let result: { commits: number; head: string | undefined };
    try {
      result = await store.import(importRecords(splitLines(io.stdin), position), {
        branch,
        onProgress: (n) => {
          if (!progress || n % 1000 !== 0) return;
          // On a terminal the count rewrites itself; in a log file each report is a line.
          io.stderr.write(`nymote: imported ${n} commits so far${tty ? '\r' : '\n'}`);
          shown = true;
        },
      });
    } catch (e) {
      if (isStoreError(e) && RECORD_FAULTS.has(e.code)) throw new UsageError(`stdin line ${position.line}: ${e.message}`);
      throw e;
    } finally {
      if (shown && tty) io.stderr.write('\n');
    }
    const { commits, head } = result;
    io.stdout.write(`imported ${commits} commits${head === undefined ? '' : ` to ${branch}: ${head}`}\n`);
    return 0;
  },
});
