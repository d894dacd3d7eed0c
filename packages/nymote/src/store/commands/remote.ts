import { addRemote, listRemotes, removeRemote } from '@nymote/store/node';
import { defineCommand } from '../../command.js';
import type { StoreContext } from '../context.js';
import { UsageError } from '../../usage.js';

export const remote = defineCommand({
  name: 'remote',
  summary: 'list, add or remove the remotes sync uses (kept in the Git config)',
  usage: '[-v] | add NAME URL | remove NAME',
  help: `Remotes are named URLs (http://, https://) or paths of other repositories,
kept in the repository's Git config as [remote "NAME"] sections, exactly as git
keeps them: "git remote -v" in the same repository shows the same list.

  remote            lists the remote names, one a line
  remote -v         lists "NAME<TAB>URL (fetch)" and "(push)" lines, as git does
  remote add NAME URL
                    adds a remote whose branches "fetch" keeps as NAME/BRANCH
  remote remove NAME
                    removes it and its remote-tracking refs (also: rm)

examples:
  nymote store remote add origin https://example.org/mail.git
  nymote store remote add laptop /media/usb/mail.git`,
  options: { verbose: { type: 'boolean', short: 'v' } },
  args: ['[ACTION]', '[NAME]', '[URL]'],
  async run([action, name, url], options, context: StoreContext) {
    const { backend } = await context.open();
    const dir = backend.dir;
    switch (action) {
      case undefined: {
        if (name !== undefined) throw new UsageError(`unexpected argument "${name}"`);
        for (const r of await listRemotes(dir)) {
          if (options.verbose) context.io.stdout.write(`${r.name}\t${r.url ?? ''} (fetch)\n${r.name}\t${r.url ?? ''} (push)\n`);
          else context.io.stdout.write(`${r.name}\n`);
        }
        return 0;
      }
      case 'add': {
        if (name === undefined || url === undefined) throw new UsageError('"remote add" needs NAME and URL');
        await addRemote(dir, name, url);
        return 0;
      }
      case 'remove':
      case 'rm': {
        if (name === undefined) throw new UsageError(`"remote ${action}" needs NAME`);
        if (url !== undefined) throw new UsageError(`unexpected argument "${url}"`);
        await removeRemote(dir, name);
        // Its remote-tracking refs go with it, as with git remote remove.
        for (const [ref, id] of await backend.refs.list(`refs/remotes/${name}/`)) await backend.refs.compareAndSwap(ref, id, undefined);
        return 0;
      }
      default:
        throw new UsageError(`unknown action "${action}" (add, remove, or none to list)`);
    }
  },
});
