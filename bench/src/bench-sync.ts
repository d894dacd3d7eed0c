// Issue 4: sync over smart HTTP. Every contender talks to a server on 127.0.0.1 in this process's
// machine, over the same repository: a 10,000-commit history (benchmark 1's), repacked by git gc as a
// served repository would be.
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cloneRepository, fetchRemote, openStore } from '@nymote/store/node';
import { createGitHttpHandler, createStoreServer } from '@nymote/store/server';
import { expectSame } from './check.js';
import { writeRecords } from './dataset.js';
import { git } from './git-cli.js';
import { startHttpBackend } from './http-backend.js';
import { STORE_OPTIONS, importRecords } from './ours.js';
import { packedRepo } from './repos.js';
import { median, timed } from './timing.js';
import type { Benchmark, Context, Row } from './types.js';

/** Target: within 1.5x of git, i.e. at least 1/1.5 of its speed. */
const TARGET = 1 / 1.5;

async function headOf(dir: string, ref = 'refs/heads/main'): Promise<string> {
  return (await git(['rev-parse', ref], { gitDir: dir })).stdout.toString().trim();
}

/**
 * Our server (JSON API + git smart HTTP) over the repository at `dir`, on a port of its own, without
 * its cache of packs already sent: every clone is answered anew, as git http-backend answers it.
 */
async function startOurServer(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const store = await openStore(dir, STORE_OPTIONS);
  const server: Server = createStoreServer({ store, git: createGitHttpHandler({ store, packCacheBytes: 0 }) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/git`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}

export const syncBench: Benchmark = {
  name: 'sync',
  description: '5. sync over HTTP: clone and fetch vs git, and our server vs git http-backend serving git clone',
  async run(ctx: Context) {
    const n = ctx.sizes.commits;
    const more = Math.max(1, Math.round(n / 10));
    const root = await ctx.workspace.dir('sync');
    const served = join(root, 'served.git');
    await cp(await packedRepo(ctx), served, { recursive: true });
    ctx.progress(`sync: git gc of the served repository (${n.toLocaleString('en-US')} commits)`);
    await git(['gc', '--quiet'], { gitDir: served });
    const backend = await startHttpBackend(root);
    const ours = await startOurServer(served);
    const rows: Row[] = [];
    try {
      const backendUrl = `${backend.url}/served.git`;
      const base = await headOf(served);
      let clones = 0;
      const fresh = () => join(root, `clone-${++clones}.git`);

      // Clone, each contender from git http-backend.
      ctx.progress('sync: clone from git http-backend (git clone, ours)');
      const gitClone = await median(ctx.sizes.reps, () => timed(async () => {
        const dir = fresh();
        await git(['clone', '--bare', '--quiet', backendUrl, dir]);
        return dir;
      }));
      const ourClone = await median(ctx.sizes.reps, () => timed(async () => {
        const dir = fresh();
        const { store } = await cloneRepository(backendUrl, dir, { store: STORE_OPTIONS });
        await store.close();
        return dir;
      }));
      expectSame('head of the clone', base, await headOf(ourClone.value), 'cloneRepository');
      await git(['fsck', '--no-dangling', '--no-progress'], { gitDir: ourClone.value });
      rows.push({
        bench: '5 sync', task: `clone ${n.toLocaleString('en-US')} commits over HTTP (git http-backend)`,
        ours: { ms: ourClone.ms }, peer: { name: 'git clone --bare', result: { ms: gitClone.ms } }, target: TARGET,
      });

      // git clone, from each server.
      ctx.progress('sync: git clone from our server and from git http-backend');
      const fromBackend = await median(ctx.sizes.reps, () => timed(() => git(['clone', '--bare', '--quiet', backendUrl, fresh()])));
      const fromOurs = await median(ctx.sizes.reps, () => timed(async () => {
        const dir = fresh();
        await git(['clone', '--bare', '--quiet', ours.url, dir]);
        return dir;
      }));
      expectSame('head of git clone from our server', base, await headOf(fromOurs.value), 'our server');
      const task = `serve git clone of ${n.toLocaleString('en-US')} commits`;
      rows.push({ bench: '5 sync', task, ours: { ms: fromOurs.ms }, peer: { name: 'git http-backend', result: { ms: fromBackend.ms } }, target: TARGET });

      // Fetch of new commits into the clones made above (one run: each fetch changes its clone).
      ctx.progress(`sync: ${more.toLocaleString('en-US')} new commits on the server, then fetch`);
      const writer = await openStore(served, STORE_OPTIONS);
      const records = [...writeRecords(n + more)].slice(n);
      await writer.import(importRecords(records));
      await writer.close();
      const next = await headOf(served);
      const gitFetch = await timed(() => git(['fetch', '--quiet', 'origin', '+refs/heads/*:refs/heads/*'], { gitDir: gitClone.value }));
      const oursStore = await openStore(ourClone.value, STORE_OPTIONS);
      const ourFetch = await timed(() => fetchRemote(oursStore, 'origin'));
      await oursStore.close();
      expectSame('head after fetch', next, await headOf(ourClone.value, 'refs/remotes/origin/main'), 'fetchRemote');
      rows.push({
        bench: '5 sync', task: `fetch ${more.toLocaleString('en-US')} new commits (git http-backend)`,
        ours: { ms: ourFetch.ms }, peer: { name: 'git fetch', result: { ms: gitFetch.ms } }, target: TARGET,
      });
    } finally {
      await ours.close();
      await backend.close();
    }
    return rows;
  },
};
