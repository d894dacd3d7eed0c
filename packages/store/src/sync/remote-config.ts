// Named remotes in the repository's own Git config ([remote "origin"] url = ...), so `git remote -v`
// shows what `nymote store remote add` added, and the reverse. Node only (it edits a file on disk).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../errors.js';
import {
  addRemoteSection, isValidRemoteName, parseRemotes, removeRemoteSection, type RemoteConfig,
} from '../backend/fs/config.js';
import { isNotFound } from '../backend/fs/files.js';
import { LockFile } from '../backend/fs/lock.js';

export type { RemoteConfig };

function readConfig(dir: string): string {
  try {
    return readFileSync(join(dir, 'config'), 'utf8');
  } catch (e) {
    if (isNotFound(e)) return '';
    throw e;
  }
}

/** The remotes configured in the repository at `dir` (a bare repository or .git directory). */
export async function listRemotes(dir: string): Promise<RemoteConfig[]> {
  return parseRemotes(readConfig(dir));
}

/** One remote, or undefined when none has that name. */
export async function readRemote(dir: string, name: string): Promise<RemoteConfig | undefined> {
  return (await listRemotes(dir)).find((r) => r.name === name);
}

/** Rewrites the config under git's lock (config.lock, then a rename), so git and we never interleave. */
async function editConfig(dir: string, edit: (text: string) => string): Promise<void> {
  const path = join(dir, 'config');
  const lock = await LockFile.acquire(path, {
    timeoutMs: 5000, staleMs: 10_000, fsync: false,
    onWarning: (m) => process.emitWarning(m, { code: 'NYMOTE_FS' }),
  });
  try {
    await lock.commit(edit(readConfig(dir)));
  } catch (e) {
    await lock.release().catch(() => {});
    throw e;
  }
}

export async function addRemote(dir: string, name: string, url: string): Promise<void> {
  if (!isValidRemoteName(name)) throw new StoreError('invalid-ref', `"${name}" is not a valid remote name`, { remote: name });
  if (url.trim() === '' || /[\n\0]/.test(url)) throw new StoreError('invalid-ref', `"${url}" is not a valid remote URL`, { url });
  await editConfig(dir, (text) => {
    if (parseRemotes(text).some((r) => r.name === name)) {
      throw new StoreError('exists', `remote "${name}" already exists in ${join(dir, 'config')}`, { remote: name });
    }
    return addRemoteSection(text, name, url);
  });
}

/** Removes the remote's section from the config (its remote-tracking refs are the caller's to delete). */
export async function removeRemote(dir: string, name: string): Promise<void> {
  await editConfig(dir, (text) => {
    if (!parseRemotes(text).some((r) => r.name === name)) {
      throw new StoreError('not-found', `no remote "${name}" in ${join(dir, 'config')}`, { remote: name });
    }
    return removeRemoteSection(text, name);
  });
}
