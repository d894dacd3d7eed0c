// isomorphic-git as a contender: the same operations as our Store, done the fastest way its API allows.
import * as nodeFs from 'node:fs';
import {
  init, listFiles, log, readBlob, resolveRef, TREE, walk, writeBlob, writeCommit, writeRef, writeTree,
  type FsClient, type WalkerEntry,
} from 'isomorphic-git';
import { AUTHOR, type BenchRecord } from '../dataset.js';
import { IsoTreeBuilder } from './tree-builder.js';

/** isomorphic-git over node:fs (bare repositories: `gitdir` is the repository directory). */
export const diskFs: FsClient = nodeFs;

const BRANCH = 'refs/heads/main';

export async function isoInit(fs: FsClient, gitdir: string): Promise<void> {
  await init({ fs, gitdir, bare: true, defaultBranch: 'main' });
}

export async function isoHead(fs: FsClient, gitdir: string): Promise<string> {
  return resolveRef({ fs, gitdir, ref: BRANCH });
}

/**
 * One commit per record: writeBlob, the trees on the changed path (IsoTreeBuilder), writeCommit and
 * writeRef. No working directory or index: `add` + `commit` rewrite the whole index and every tree per
 * commit, which is far slower (see README).
 */
export async function isoCommitEach(fs: FsClient, gitdir: string, records: Iterable<BenchRecord>, onCommit?: (n: number) => void): Promise<string | undefined> {
  const trees = new IsoTreeBuilder((tree) => writeTree({ fs, gitdir, tree }));
  let head: string | undefined;
  let n = 0;
  for (const r of records) {
    const blob = await writeBlob({ fs, gitdir, blob: r.value });
    const tree = await trees.set(r.key, blob);
    const person = { name: AUTHOR.name, email: AUTHOR.email, timestamp: r.time, timezoneOffset: 0 };
    head = await writeCommit({ fs, gitdir, commit: { message: r.message, tree, parent: head === undefined ? [] : [head], author: person, committer: person } });
    await writeRef({ fs, gitdir, ref: BRANCH, value: head, force: true });
    onCommit?.(++n);
  }
  return head;
}

/** Reads each key at the branch head; `cache` is isomorphic-git's object cache, shared by the calls. */
export async function isoReadKeys(fs: FsClient, gitdir: string, keys: readonly string[]): Promise<Uint8Array[]> {
  const cache = {};
  const oid = await isoHead(fs, gitdir);
  const out: Uint8Array[] = [];
  for (const filepath of keys) out.push((await readBlob({ fs, gitdir, oid, filepath, cache })).blob);
  return out;
}

/** The ids of every commit of the branch, newest first. */
export async function isoLog(fs: FsClient, gitdir: string): Promise<string[]> {
  return (await log({ fs, gitdir, ref: BRANCH, cache: {} })).map((c) => c.oid);
}

/** The ids of the commits that changed `filepath`, newest first. */
export async function isoKeyLog(fs: FsClient, gitdir: string, filepath: string): Promise<string[]> {
  return (await log({ fs, gitdir, ref: BRANCH, filepath, cache: {} })).map((c) => c.oid);
}

/** Every file under `prefix` with its blob id, by `walk` over the head's tree (pruned outside the prefix). */
export async function isoWalkPrefix(fs: FsClient, gitdir: string, prefix: string): Promise<{ path: string; oid: string }[]> {
  const out: { path: string; oid: string }[] = [];
  await walk({
    fs, gitdir, cache: {}, trees: [TREE({ ref: BRANCH })],
    map: async (path: string, [entry]: (WalkerEntry | null)[]) => {
      if (path === '.') return undefined;
      if (!(path === prefix || path.startsWith(`${prefix}/`) || prefix.startsWith(`${path}/`))) return null;
      if (entry && (await entry.type()) === 'blob') out.push({ path, oid: await entry.oid() });
      return undefined;
    },
    reduce: async () => undefined,
  });
  return out;
}

/** Every file under `prefix`, by `listFiles` (all the head's paths, then filtered). */
export async function isoListFilesPrefix(fs: FsClient, gitdir: string, prefix: string): Promise<string[]> {
  return (await listFiles({ fs, gitdir, ref: BRANCH, cache: {} })).filter((p) => p.startsWith(`${prefix}/`));
}
