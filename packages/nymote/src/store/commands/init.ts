import { isStoreError } from '@nymote/store';
import { defineCommand } from '../../command.js';
import type { StoreContext } from '../context.js';

export const init = defineCommand({
  name: 'init',
  summary: 'create an empty store (a bare Git repository)',
  usage: '',
  help: `Creates an empty store at the repository chosen by --repo or --data (creating
the directories on the way) and says where. Running it again on an existing
store changes nothing.

example:
  nymote store --repo ~/mail.git init`,
  options: {},
  args: [],
  async run(_args, _options, context: StoreContext) {
    try {
      await context.open();
      context.io.stdout.write(`store already exists in ${context.repo}\n`);
    } catch (e) {
      if (!isStoreError(e, 'not-a-repository')) throw e;
      await context.open({ create: true });
      context.io.stdout.write(`created an empty store in ${context.repo}\n`);
    }
    return 0;
  },
});
