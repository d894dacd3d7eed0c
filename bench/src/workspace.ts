import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * One temporary directory under os.tmpdir() holding a fresh directory per contender; everything is
 * deleted at the end (and on Ctrl-C), unless `keep` is set.
 */
export class Workspace {
  private count = 0;
  private disposed = false;

  private constructor(readonly root: string, private readonly keep: boolean) {}

  static async create(keep: boolean): Promise<Workspace> {
    const ws = new Workspace(await mkdtemp(join(tmpdir(), 'nymote-bench-')), keep);
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
