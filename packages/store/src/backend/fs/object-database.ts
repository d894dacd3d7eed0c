// One objects directory: loose objects and packs. The repository's own, or an alternate's.
import { readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { ObjectId } from '../../git/id.js';
import type { RawObject } from '../../git/object.js';
import { isNotFound } from './files.js';
import { LooseObjects } from './loose-objects.js';
import { PackSet, type PackSetOptions } from './packs.js';

export class ObjectDatabase {
  readonly loose: LooseObjects;
  readonly packs: PackSet;

  constructor(readonly objectsDir: string, fsync: boolean, packOptions: PackSetOptions) {
    this.loose = new LooseObjects(objectsDir, fsync);
    this.packs = new PackSet(join(objectsDir, 'pack'), packOptions);
  }

  async open(): Promise<this> {
    await this.packs.rescan();
    return this;
  }

  /**
   * Packs first (an in-memory index lookup), then the loose file (one syscall). When both miss, the pack
   * list may be stale: a gc, here or in another process, may have packed the loose file and deleted it
   * after we listed the packs. So rescan once, and only then call the object absent.
   */
  async read(id: ObjectId): Promise<RawObject | undefined> {
    const packed = await this.packs.read(id);
    if (packed) return packed;
    const loose = await this.loose.read(id);
    if (loose) return loose;
    // Look again even when this rescan added nothing: a concurrent one may have added the pack.
    await this.packs.rescan();
    return this.packs.read(id);
  }

  async has(id: ObjectId): Promise<boolean> {
    if (this.packs.has(id) || this.loose.has(id)) return true;
    await this.packs.rescan();
    return this.packs.has(id);
  }

  close(): Promise<void> {
    return this.packs.close();
  }
}

function realpathOr<T>(path: string, fallback: T): string | T {
  try {
    return realpathSync(path);
  } catch {
    return fallback;
  }
}

/** Git follows alternates of alternates up to this depth. */
const MAX_ALTERNATE_DEPTH = 5;

/**
 * The objects directories listed in objects/info/alternates (one path per line, relative ones to the
 * objects directory that lists them), recursively, each once. Read-only for us: objects are only ever
 * written to the repository's own directory.
 */
export async function findAlternates(objectsDir: string): Promise<string[]> {
  const seen = new Set<string>([realpathOr(objectsDir, objectsDir)]);
  const out: string[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    if (depth > MAX_ALTERNATE_DEPTH) return;
    let text: string;
    try {
      text = readFileSync(join(dir, 'info', 'alternates'), 'utf8');
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const path = isAbsolute(line) ? line : resolve(dir, line);
      const real = realpathOr(path, undefined);
      if (real === undefined || seen.has(real)) continue; // missing (git only warns) or already listed
      seen.add(real);
      out.push(path);
      await visit(path, depth + 1);
    }
  };
  await visit(objectsDir, 0);
  return out;
}
