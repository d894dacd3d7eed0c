import { defineCommand } from '../../command.js';
import { fail } from '../../report.js';
import { UsageError } from '../../usage.js';
import type { StoreContext } from '../context.js';

export const branch = defineCommand({
  name: 'branch',
  summary: 'list, create or delete branches',
  usage: '[create NAME [FROM] | delete NAME]',
  help: `Without arguments, lists the branches, the default one (the one HEAD names)
marked with "*".

  branch create NAME [FROM]   makes branch NAME at FROM (a branch or a full
                              commit id; default: the default branch) and
                              prints its commit
  branch delete NAME          deletes branch NAME (not the default branch);
                              its commits stay readable with --at

examples:
  nymote store branch create phone
  nymote store branch create before-import 3f1c...e2
  nymote store branch delete phone`,
  options: {},
  args: ['[ACTION]', '[NAME]', '[FROM]'],
  async run([action, name, from], _options, context: StoreContext) {
    const { io } = context;
    if (action === undefined) {
      const { store } = await context.open();
      let out = '';
      for (const b of await store.branches()) out += `${b === store.defaultBranch ? '*' : ' '} ${b}\n`;
      io.stdout.write(out);
      return 0;
    }
    if (action !== 'create' && action !== 'delete') throw new UsageError(`unknown branch action "${action}" (create or delete)`);
    if (name === undefined) throw new UsageError(`missing NAME of the branch to ${action}`);
    const { store } = await context.open();
    if (action === 'create') {
      const commit = await store.createBranch(name, from ?? store.defaultBranch);
      io.stdout.write(`${commit}\n`);
      return 0;
    }
    if (from !== undefined) throw new UsageError(`unexpected argument "${from}"`);
    // Deleting the default branch would leave HEAD dangling, and every command without --branch lost.
    if (name === store.defaultBranch) return fail(io, `cannot delete ${name}: it is the default branch`);
    const was = await store.head(name);
    await store.deleteBranch(name);
    io.stdout.write(`deleted branch ${name} (was ${was})\n`);
    return 0;
  },
});
