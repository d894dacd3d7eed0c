// `nymote calendar import` and `nymote contacts import`: a whole .ics or .vcf file into one collection
// of a user, as one commit on users/USER. Safe while `nymote dav serve` runs on the same data: the
// store's update is a compare-and-swap on the branch, and clients see the import at their next sync.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  DavError, ImportError, describeProblem, importAddressBook, importCalendar, isCollectionName, type ImportProgress, type ProgressListener,
} from '@nymote/dav';
import { defineCommand, type Command } from '../command.js';
import type { DavContext } from '../dav/context.js';
import type { Io } from '../io.js';
import { Failure } from '../report.js';
import { UsageError } from '../usage.js';
import type { KindWords } from './kinds.js';
import { openForUser } from './user.js';

/** Problems listed one per line before the import is refused; the rest are counted. */
const SHOWN_PROBLEMS = 20;

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Progress on stderr: on a terminal one line per phase, updated in place; elsewhere (with --progress)
 * each phase's last line only, so a log gets three lines, not thousands.
 */
function progressOf(io: Io, file: string, options: { progress?: boolean; quiet?: boolean }): ProgressListener | undefined {
  if (options.quiet === true || (options.progress !== true && !io.stderr.isTTY)) return undefined;
  const tty = io.stderr.isTTY;
  const started = performance.now();
  return (p: ImportProgress) => {
    const finished = p.total !== undefined && p.done >= p.total;
    if (!tty && !finished) return;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const what = p.phase === 'parse' ? `read ${count(p.done)} entries`
      : `${p.phase === 'validate' ? 'checked' : 'placed'} ${count(p.done)}${p.total !== undefined ? ` of ${count(p.total)}` : ''}`;
    const line = `nymote: ${file}: ${what} (${seconds} s)`;
    io.stderr.write(tty ? `\r${line}${finished ? '\n' : ''}` : `${line}\n`);
  };
}

export function importVerb(words: KindWords): Command<DavContext> {
  const { COLL, coll, ext, objects } = words;
  return defineCommand({
    name: 'import',
    summary: `import a ${ext} file into a user's ${coll}, as one commit`,
    usage: `USER ${COLL} FILE${ext} [--skip-invalid] [--progress | -q]`,
    help: `${words.kind === 'calendars' ? `Imports the events, tasks and journal entries of FILE.ics ("-": stdin) into
the calendar CALENDAR of USER (created if missing, named as the file's
X-WR-CALNAME says), as one commit on the branch users/USER. Components that
share a UID (a recurring event and its moved occurrences) become one calendar
object, with the time zones it uses.` : `Imports the vCards (3.0 or 4.0) of FILE.vcf ("-": stdin) into the address
book BOOK of USER (created if missing), as one commit on the branch
users/USER.`}
An object with a UID already there replaces that object in place, so clients
see a change, not a copy. Each entry is checked as a PUT to the server would
be; one that fails stops the import (nothing is written, exit status 1) and is
named by its number, line and UID, unless --skip-invalid is given.

Works while "nymote dav serve" runs on the same data directory: clients see
the import at their next sync. Undo it with "nymote dav undo USER COMMIT".

options:
  --skip-invalid   leave out the entries that fail the checks (each is listed
                   on stderr) and import the rest
  --progress       report progress on stderr even when it is not a terminal
  -q, --quiet      no progress (shown by default when stderr is a terminal)

example:
  $ nymote ${words.group} import alice ${words.kind === 'calendars' ? 'work work.ics' : 'default contacts.vcf'}
  imported 2,345 ${objects} into ${coll} ${words.kind === 'calendars' ? 'Work' : 'Contacts'} of alice (2,345 new, 0 changed,
  0 unchanged): 3f1c2a9b0d1e`,
    options: { 'skip-invalid': { type: 'boolean' }, progress: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' } },
    args: ['USER', COLL, `FILE${ext}`],
    async run([user, collection, file], options, context: DavContext) {
      const { io } = context;
      if (!isCollectionName(collection!)) throw new UsageError(`"${collection}" cannot be the name of a ${coll} (no "/", no leading ".")`);
      let source: AsyncIterable<Uint8Array>;
      if (file === '-') source = io.stdin;
      else {
        const info = await stat(file!).catch((e: NodeJS.ErrnoException) => { throw new Failure(`cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`); });
        if (!info.isFile()) throw new Failure(`cannot read ${file}: not a file`);
        source = createReadStream(file!, { highWaterMark: 1 << 20 });
      }
      const name = file === '-' ? 'stdin' : file!;
      const { store } = await openForUser(context, user!);
      const onProgress = progressOf(io, name, options);
      const importOptions = { user: user!, collection: collection!, skipInvalid: options['skip-invalid'] === true, ...(onProgress ? { onProgress } : {}) };
      let result;
      try {
        result = words.kind === 'calendars' ? await importCalendar(store, source, importOptions) : await importAddressBook(store, source, importOptions);
      } catch (e) {
        if (e instanceof ImportError) {
          for (const p of e.problems.slice(0, SHOWN_PROBLEMS)) io.stderr.write(`nymote: ${name}: ${describeProblem(p)}\n`);
          if (e.problems.length > SHOWN_PROBLEMS) io.stderr.write(`nymote: ${name}: ... and ${count(e.problems.length - SHOWN_PROBLEMS)} more\n`);
          const n = e.problems.length;
          throw new Failure(`nothing imported: ${count(n)} ${n === 1 ? 'entry' : 'entries'} of ${name} did not pass the checks (--skip-invalid imports the rest)`);
        }
        if (e instanceof DavError) throw new Failure(`${name}: ${e.message}`);
        throw e;
      }
      for (const p of result.skipped) io.stderr.write(`nymote: ${name}: skipped ${describeProblem(p)}\n`);
      const what = result.message.split('\n')[0]!.replace(/^Import /, 'imported ');
      const details = `${count(result.added)} new, ${count(result.replaced)} changed, ${count(result.unchanged)} unchanged${result.skipped.length ? `, ${count(result.skipped.length)} skipped` : ''}`;
      io.stdout.write(`${what} of ${user} (${details}): ${result.commit ? result.commit.slice(0, 12) : 'nothing to commit'}\n`);
      return 0;
    },
  });
}
