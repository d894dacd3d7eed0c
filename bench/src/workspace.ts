import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * One temporary directory under os.tmpdir() holding a fresh directory per contender; everything is
 * deleted at the end (and on Ctrl-C), unless `keep` is set.
 *
 * On ext4 the root is marked as the top of a directory hierarchy (`chattr +T`), so that each
 * contender's directory is placed in a block group of its own rather than next to its parent. Without
 * a journal, ext4 makes every new file skip each inode freed in its group in the last minute or more
 * (five while the inode table is not yet written back), so a contender's files would pay for the
 * files deleted just before: by the other contender, by the previous benchmark, by a test suite run
 * in `/tmp`. See the README's "The disk".
 */
export class Workspace {
  private count = 0;
  private disposed = false;

  private constructor(readonly root: string, private readonly keep: boolean, readonly spread: boolean) {}

  static async create(keep: boolean): Promise<Workspace> {
    const root = await mkdtemp(join(tmpdir(), 'nymote-bench-'));
    // Best effort: other file systems (and systems without chattr) just go without.
    const spread = spawnSync('chattr', ['+T', root], { stdio: 'ignore' }).status === 0;
    const ws = new Workspace(root, keep, spread);
    const onSignal = (signal: NodeJS.Signals) => {
      void ws.dispose().finally(() => process.kill(process.pid, signal));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    return ws;
  }

  /** A new empty directory, named for what goes in it. */
  async dir(name: string): Promise<string> {
    const d = join(this.root, `${String(++this.count).padStart(2, '0')}-${name}`);
    await mkdir(d, { recursive: true });
    return d;
  }

  async remove(dir: string): Promise<void> {
    if (!this.keep) await rm(dir, { recursive: true, force: true });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.keep) process.stderr.write(`kept the repositories in ${this.root}\n`);
    else await rm(this.root, { recursive: true, force: true });
  }
}
