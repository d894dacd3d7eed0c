// Opening and creating bare repositories that git itself can use, and the backend object they give.
import { readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { StoreError } from '../../errors.js';
import type { Backend, ObjectStore, RefStore } from '../types.js';
import { BARE_CONFIG, configValue } from './config.js';
import { errnoCode, fsyncDir, isNotFound } from './files.js';
import { collectGarbage, type GcOptions, type GcResult } from './gc.js';
import { parseLooseRef } from './loose-refs.js';
import { FsObjects } from './objects.js';
import { resolveOptions, type FsBackendOptions, type ResolvedOptions } from './options.js';
import { FsRefs } from './refs.js';
import { Publisher, recoverJournals } from './lagged-publish.js';

export interface FsBackend extends Backend {
  /** The repository (git) directory, absolute. */
  readonly dir: string;
  /** Whether writes are fsynced before refs move (the `fsync` option). */
  readonly fsyncEnabled: boolean;
  /** Packs every loose object and loose ref; see gc.ts. */
  gc(options?: GcOptions): Promise<GcResult>;
}

class FsRepository implements FsBackend {
  private running: Promise<GcResult> | undefined;
  /** Late publication, with publishLagMs (lagged-publish.ts). */
  private readonly publisher: Publisher | undefined;

  constructor(
    readonly dir: string,
    private readonly options: ResolvedOptions,
    private readonly fsObjects: FsObjects,
    private readonly fsRefs: FsRefs,
  ) {
    if (options.publishLagMs > 0) {
      this.publisher = new Publisher(dir, options.publishLagMs, fsObjects, fsRefs, options.onWarning);
      fsObjects.lag = this.publisher;
      fsRefs.lag = this.publisher;
    }
  }

  get objects(): ObjectStore {
    return this.fsObjects;
  }

  get refs(): RefStore {
    return this.fsRefs;
  }

  get fsyncEnabled(): boolean {
    return this.options.fsync;
  }

  gc(options: GcOptions = {}): Promise<GcResult> {
    // One at a time per backend: a second caller waits for the running one instead of racing it.
    // A merge of small packs (auto-pack.ts) would race gc for the same packs: gc waits for it and stops new ones.
    this.running ??= this.fsObjects.autoPack.exclusive(async () => {
      await this.publisher?.publishNow();
      return collectGarbage(this.fsObjects, this.fsRefs, options);
    }).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async close(): Promise<void> {
    await this.publisher?.close();
    this.fsRefs.close();
    await this.fsObjects.close();
  }
}

/**
 * Opens the bare repository (or .git directory) at `dir`. Throws StoreError('not-a-repository') naming
 * it when it lacks what git requires (HEAD, objects/, refs/) or uses a format we cannot read.
 */
export async function openRepository(dir: string, options?: FsBackendOptions): Promise<FsBackend> {
  const abs = resolve(dir);
  const why = await notARepository(abs);
  if (why !== undefined) {
    throw new StoreError('not-a-repository', `${abs} is not a git repository: ${why}`, { dir: abs });
  }
  await checkFormat(abs);
  const o = resolveOptions(options);
  const objects = await FsObjects.open(join(abs, 'objects'), o);
  const refs = new FsRefs(abs, o);
  try {
    // Before this process publishes late itself: a killed process's journal goes to disk first.
    await recoverJournals(abs, async (r) => {
      await objects.writeRecovered(r.objects, r.file);
      for (const [name, v] of r.refs) {
        const aside = await refs.recover(name, v);
        if (aside) o.onWarning(`${name} was moved while ${r.file} was unpublished: its last value there, ${v.final}, is kept as ${aside}`);
      }
    });
  } catch (e) {
    refs.close();
    await objects.close();
    throw e;
  }
  return new FsRepository(abs, o, objects, refs);
}

/**
 * Creates a bare repository at `dir` as `git init --bare` would (HEAD -> refs/heads/main) and opens it.
 * On an existing repository it changes nothing and just opens it.
 */
export async function initRepository(dir: string, options?: FsBackendOptions): Promise<FsBackend> {
  const abs = resolve(dir);
  if ((await notARepository(abs)) === undefined) return openRepository(abs, options);
  for (const d of ['objects/info', 'objects/pack', 'refs/heads', 'refs/tags']) await mkdir(join(abs, d), { recursive: true });
  // 'wx': never overwrite what is there (a half-initialized directory keeps its HEAD and config).
  await writeNew(join(abs, 'config'), BARE_CONFIG);
  await writeNew(join(abs, 'HEAD'), 'ref: refs/heads/main\n');
  if (options?.fsync) for (const d of ['objects', 'refs', '.', '..']) await fsyncDir(join(abs, d));
  return openRepository(abs, options);
}

/** The directory entry at `path`, or undefined when there is none or it cannot be looked at. */
function statOrUndefined(path: string) {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/**
 * Why `dir` is not a repository (git's own test: HEAD that parses, objects/ and refs/), or undefined.
 * Synchronous, like the other small-file reads (see files.ts): opening a store is a handful of them.
 */
async function notARepository(dir: string): Promise<string | undefined> {
  for (const sub of ['objects', 'refs']) {
    const st = statOrUndefined(join(dir, sub));
    if (!st?.isDirectory()) {
      const dotGit = statOrUndefined(join(dir, '.git'));
      return `no ${sub}/ directory${dotGit?.isDirectory() ? ` (for a work tree, open ${join(dir, '.git')})` : ''}`;
    }
  }
  try {
    parseLooseRef(readFileSync(join(dir, 'HEAD'), 'utf8'), 'HEAD', join(dir, 'HEAD'));
  } catch (e) {
    return isNotFound(e) ? 'no HEAD file' : 'HEAD is unreadable';
  }
  return undefined;
}

/** Refuses repositories whose format would make us misread them (sha256 objects, unknown extensions). */
async function checkFormat(dir: string): Promise<void> {
  let text = '';
  try {
    text = readFileSync(join(dir, 'config'), 'utf8');
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  const version = Number(configValue(text, 'core', 'repositoryformatversion') ?? '0');
  const format = configValue(text, 'extensions', 'objectformat')?.toLowerCase() ?? 'sha1';
  if (!(version === 0 || version === 1) || format !== 'sha1') {
    throw new StoreError(
      'not-a-repository',
      `${dir}: repository format ${version} with ${format} object ids is not supported (only sha1, format 0 or 1)`,
      { dir },
    );
  }
}

async function writeNew(path: string, content: string): Promise<void> {
  try {
    await writeFile(path, content, { flag: 'wx' });
  } catch (e) {
    if (errnoCode(e) !== 'EEXIST') throw e;
  }
}
