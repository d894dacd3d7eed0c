import { fsck as check } from '@nymote/store';
import { defineCommand } from '../../command.js';
import { EXIT_FAILURE } from '../../report.js';
import type { StoreContext } from '../context.js';

export const fsck = defineCommand({
  name: 'fsck',
  summary: 'check every object reachable from every ref',
  usage: '',
  help: `Checks every pack (checksums of pack and index, each entry's CRC and hash),
then reads every object reachable from every ref and checks that it is present,
of the right type, hashes to its id and parses. Prints "N objects, M refs, no
problems", or one line per problem ("REF: what is wrong", or "FILE: ..." for a
pack) and exits 1.

example:
  $ nymote store fsck
  3012 objects, 2 refs, no problems`,
  options: {},
  args: [],
  async run(_args, _options, context: StoreContext) {
    const { io } = context;
    const { backend } = await context.open();
    const report = await check(backend);
    if (report.problems.length === 0) {
      io.stdout.write(`${report.objects} objects, ${report.refs} refs, no problems\n`);
      return 0;
    }
    for (const p of report.problems) io.stdout.write(`${p.ref || p.file || '?'}: ${p.message}\n`);
    io.stderr.write(`nymote: ${report.problems.length} problems in ${report.objects} objects, ${report.refs} refs\n`);
    return EXIT_FAILURE;
  },
});
