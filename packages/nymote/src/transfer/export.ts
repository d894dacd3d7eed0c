// `nymote calendar export` and `nymote contacts export`: a whole collection as one .ics or .vcf.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { DavError, exportAddressBook, exportCalendar, isCollectionName, type TextSink } from '@nymote/dav';
import { defineCommand, type Command } from '../command.js';
import type { DavContext } from '../dav/context.js';
import { Failure } from '../report.js';
import { UsageError } from '../usage.js';
import type { KindWords } from './kinds.js';
import { openForUser } from './user.js';

export function exportVerb(words: KindWords): Command<DavContext> {
  const { COLL, coll, ext, objects } = words;
  return defineCommand({
    name: 'export',
    summary: `write a user's ${coll} as one ${ext} file`,
    usage: `USER ${COLL} [FILE${ext} | -]`,
    help: `Writes the ${coll} ${COLL} of USER to FILE${ext}, or to stdout when FILE is "-"
or absent: ${words.kind === 'calendars' ? `one VCALENDAR with each time zone once, then every event,
task and journal entry` : `the vCards one after another`}, as "nymote ${words.group} import" and other apps
read it. It is taken from one commit, so a change made meanwhile is either
wholly in it or not at all. FILE is replaced only once the export is complete.

example:
  nymote ${words.group} export alice ${words.kind === 'calendars' ? 'work work.ics' : 'default contacts.vcf'}`,
    options: {},
    args: ['USER', COLL, `[FILE${ext}]`],
    async run([user, collection, file], _options, context: DavContext) {
      const { io } = context;
      if (!isCollectionName(collection!)) throw new UsageError(`"${collection}" cannot be the name of a ${coll} (no "/", no leading ".")`);
      const { store } = await openForUser(context, user!);
      const write = words.kind === 'calendars' ? exportCalendar : exportAddressBook;
      const failed = (e: unknown): never => {
        if (e instanceof DavError) throw new Failure(e.message);
        throw e;
      };
      if (file === undefined || file === '-') {
        await write(store, user!, collection!, { write: (chunk: string) => io.stdout.write(chunk) }).catch(failed);
        return 0;
      }
      // Written beside the target and renamed, so an existing FILE is never left half-written.
      const partial = `${file}.partial-${process.pid}`;
      const out = createWriteStream(partial);
      const opened = new Promise<void>((resolve, reject) => { out.once('open', () => resolve()); out.once('error', reject); });
      await opened.catch((e: Error) => { throw new Failure(`cannot write ${file}: ${e.message}`); });
      let result;
      try {
        result = await write(store, user!, collection!, out as TextSink).catch(failed);
        await new Promise<void>((resolve, reject) => { out.once('error', reject); out.end(() => resolve()); });
        await rename(partial, file);
      } catch (e) {
        out.destroy();
        await rm(partial, { force: true });
        throw e;
      }
      io.stdout.write(`exported ${result.objects.toLocaleString('en-US')} ${result.objects === 1 ? objects.replace(/s$/, '') : objects} of ${coll} ${collection} of ${user} to ${file}\n`);
      return 0;
    },
  });
}
