import { Store, type ObjectCacheOptions } from '@nymote/store';
import { AUTO_PACK_LOOSE, COMPACT_IDLE_MS, COMPACT_MIN_BYTES, initRepository, openRepository, type FsBackendOptions } from '@nymote/store/node';
import type { Io } from '../io.js';
import { defaultAuthor } from './author.js';
import type { Opened, StoreContext } from './context.js';
import { cliSchema } from './schema.js';

/**
 * A service's commits of two objects or more are written as a pack. With one IMAP client flagging
 * messages one at a time, 800–850 STOREs/s against 250–300 with loose files packed every 6,700 (on this
 * project's ext4 /tmp; 1,400–1,470 against 1,110–1,120 on tmpfs): a pack is two files where a commit
 * is about nine loose ones, and packing loose files later reads and deletes every one of them.
 */
const SERVICE_PACK_THRESHOLD = 2;

/**
 * A service publishes its writes this late at most (FsBackendOptions.publishLagMs): a burst of commits
 * then makes one pack and one ref update per 20 ms instead of per group commit.
 */
const SERVICE_PUBLISH_LAG_MS = 20;

/**
 * Object caches of a store that serves until stopped: what a few active users touch, not a history's
 * worth. A server caches every version it writes; with the store's defaults (sized for one command
 * reading a long history) `nymote mail serve` kept them by the hundred thousand, its resident memory
 * grew from 238 to 709 MB over twelve 2-second rounds of IMAP STOREs, and the rate of those fell by a
 * fifth as every major collection marked more.
 */
export const SERVICE_CACHE: ObjectCacheOptions = { treeEntries: 100_000, commits: 10_000, blobBytes: 8 << 20 };

/** The StoreContext of one command: opens the repository on first use and closes it at the end. */
export class StoreSession implements StoreContext {
  private opened: Promise<Opened> | undefined;

  /** `cache` sizes the store's object caches; by default SERVICE_CACHE for a service, the store's own defaults otherwise. */
  constructor(readonly io: Io, readonly repo: string, private readonly cache?: ObjectCacheOptions) {}

  /**
   * `create`: make the repository when there is none. `service`: the command runs until interrupted (a
   * server). Its writes then go to disk as small packs, even a single commit's few objects, which the
   * background merges concatenate; and loose objects, left by one-shot commands, are packed once there
   * are many (git's `gc --auto`); after 30 s without a write, those small packs are compacted (a delta
   * search, compressed) once they hold 8 MiB. A command that writes and exits writes loose files, the cheapest for
   * one write, and leaves the packing to gc. See FsBackendOptions.packThreshold and autoPack.
   */
  open(options: { create?: boolean; service?: boolean } = {}): Promise<Opened> {
    // A failed open is forgotten, so `init` can try opening first and create on not-a-repository.
    this.opened ??= this.openNow(options.create === true, options.service === true).catch((e: unknown) => {
      this.opened = undefined;
      throw e;
    });
    return this.opened;
  }

  private async openNow(create: boolean, service: boolean): Promise<Opened> {
    const options: FsBackendOptions = {
      onWarning: (m) => this.io.stderr.write(`nymote: warning: ${m}\n`),
      ...(service ? {
        packThreshold: SERVICE_PACK_THRESHOLD,
        autoPack: { loose: AUTO_PACK_LOOSE, compact: { idleMs: COMPACT_IDLE_MS, minBytes: COMPACT_MIN_BYTES } },
        publishLagMs: SERVICE_PUBLISH_LAG_MS,
      } : {}),
    };
    const backend = create ? await initRepository(this.repo, options) : await openRepository(this.repo, options);
    try {
      // The default branch is the one HEAD names, as in git, so a repository made by `git init -b x` works.
      const head = await backend.refs.readSymbolic('HEAD');
      const defaultBranch = head?.startsWith('refs/heads/') ? head.slice('refs/heads/'.length) : undefined;
      const cache = this.cache ?? (service ? SERVICE_CACHE : undefined);
      const store = new Store(backend, { schema: cliSchema, author: defaultAuthor(this.io.env), ...(defaultBranch ? { defaultBranch } : {}), ...(cache ? { cache } : {}) });
      return { store, backend };
    } catch (e) {
      await backend.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (opened) await (await opened.catch(() => undefined))?.store.close();
  }
}
