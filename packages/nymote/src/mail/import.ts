// `nymote mail import USER MAILBOX FILE.mbox`
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Mailstore, canonicalName, isMailError, readMbox } from '@nymote/mail';
import { defineCommand } from '../command.js';
import { userBranch, type DataContext } from '../data-context.js';
import { Failure } from '../report.js';

export const importMbox = defineCommand({
  name: 'import',
  summary: 'import an mbox file into a mailbox',
  usage: 'USER MAILBOX FILE.mbox',
  help: `Adds every message of FILE.mbox (mboxo or mboxrd, as mutt, Thunderbird and
Google Takeout write them) to MAILBOX of USER, creating the mailbox if needed.
Flags kept in Status / X-Status headers become IMAP flags; the date of each
"From " line becomes its INTERNALDATE. One commit ("Import N messages into
MAILBOX"), or one per 64 MiB of mail for bigger files. Progress on stderr.

example:
  nymote mail import alice Archive ~/old-mail.mbox`,
  options: {},
  args: ['USER', 'MAILBOX', 'FILE'],
  async run([user, mailbox, file], _options, context: DataContext) {
    const { io } = context;
    const { store } = await context.open();
    await userBranch(context, user!);
    const size = await stat(file!).then((s) => s.size, (e: NodeJS.ErrnoException) => {
      throw new Failure(`cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    });
    const m = new Mailstore(store, user!);
    await m.ensureDefaults();
    const box = canonicalName(mailbox!);
    try {
      await m.create(box);
      io.stderr.write(`nymote: created mailbox ${box}\n`);
    } catch (e) {
      if (!isMailError(e, 'ALREADYEXISTS')) throw isMailError(e) ? new Failure(e.message) : e;
    }
    let read = 0;
    let lastShown = 0;
    const tty = io.stderr.isTTY;
    const started = Date.now();
    async function* counted() {
      for await (const message of readMbox(createReadStream(file!))) {
        read++;
        if (tty ? Date.now() - lastShown > 250 : read % 1000 === 0) {
          lastShown = Date.now();
          io.stderr.write(`nymote: read ${read.toLocaleString('en-US')} messages${tty ? '\r' : '\n'}`);
        }
        yield message;
      }
    }
    const r = await m.appendMany(box, counted(), {
      message: (n) => `Import ${n.toLocaleString('en-US')} message${n === 1 ? '' : 's'} into ${box} from ${file!.split('/').pop()}`,
    });
    if (tty && lastShown > 0) io.stderr.write('\n');
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    io.stdout.write(`imported ${r.count.toLocaleString('en-US')} messages (${(size / 1048576).toFixed(1)} MiB) into ${user}'s ${box}${r.first !== undefined ? `, UIDs ${r.first}:${r.last}` : ''} in ${seconds} s\n`);
    return 0;
  },
});
