// Pack reuse in upload-pack: the real git cloning and fetching (v0 and v2, thin fetches) from a
// repository git repacked with deep delta chains, served with deltas off, so every delta the client
// receives was copied from our pack; plus the raw entry reader (CRC-32, OFS and REF bases, the last
// entry) and the fallbacks (bad CRC, delta loops across packs).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { git, gitBytes, tempDir } from './helpers/git.js';
import { openStore, nodeZlib } from '../src/node.js';
import { nodeSha1 } from '../src/backend/fs/hash.js';
import { createGitHttpHandler } from '../src/http/git-http.js';
import { PackIndex } from '../src/git/pack/pack-index.js';
import { PackReader, OFS_DELTA, REF_DELTA, type PackEntrySource, type RawEntry } from '../src/git/pack/pack-reader.js';
import { createDelta, DeltaIndex } from '../src/git/pack/delta.js';
import { hexInto, utf8 } from '../src/git/bytes.js';
import { hashObject } from '../src/git/object.js';
import type { ObjectStore } from '../src/backend/types.js';
import { listObjectsToSend, objectsToSend } from '../src/sync/send-objects.js';
import { buildReusingPackStream, emptyReuseStats, type ReuseStats } from '../src/sync/pack-reuse.js';
import { uploadPackV0, uploadPackV2 } from '../src/sync/server/upload-pack.js';
import { pktLine, FLUSH_PKT } from '../src/sync/pkt-line.js';
import type { Store } from '../src/store.js';
import type { ObjectId } from '../src/git/id.js';

const GIT_ENV = (home: string): NodeJS.ProcessEnv => ({
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1', HOME: home, GIT_TERMINAL_PROMPT: '0', LANG: 'C', LC_ALL: 'C',
});

/** git without blocking the event loop: the server answering it lives in this process. */
function gitAsync(home: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { env: GIT_ENV(home), maxBuffer: 1 << 28 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(' ')} failed:\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/**
 * A fast-import stream of commits `from`..`to` on main. Files change in ways that give git deltas in
 * both directions: one grows (newer versions become bases), one shrinks (older ones do: a fetch of
 * new commits finds bases the client has), several are edited in place.
 */
function history(from: number, to: number, parent: boolean): string {
  let s = '';
  for (let i = from; i < to; i++) {
    const files: [string, string][] = [
      ['grow.txt', Array.from({ length: 40 + i * 3 }, (_, k) => `grown line ${k} of a file that gets longer\n`).join('')],
      // Lines changed so far are kept: the previous version is the best base, and chains grow deep.
      ['shrink.txt', Array.from({ length: 400 - i * 4 }, (_, k) => (k <= i ? `line ${k} changed by commit ${k}\n` : `line ${k} of a file that loses lines\n`)).join('')],
      ...Array.from({ length: 4 }, (_, f): [string, string] => [
        `dir${f}/edited.txt`,
        Array.from({ length: 80 }, (_, k) => (k === i % 80 ? `edited in commit ${i}\n` : `steady line ${k} in file ${f}\n`)).join(''),
      ]),
    ];
    s += `commit refs/heads/main\nmark :${i + 1}\ncommitter T <t@x> ${1_700_000_000 + i * 60} +0000\n`;
    const msg = `commit ${i}\n`;
    s += `data ${Buffer.byteLength(msg)}\n${msg}`;
    if (i === from && parent) s += 'from refs/heads/main^0\n';
    for (const [path, content] of files) s += `M 100644 inline ${path}\ndata ${Buffer.byteLength(content)}\n${content}\n`;
  }
  return s;
}

function packFiles(gitDir: string): string[] {
  const dir = join(gitDir, 'objects', 'pack');
  return readdirSync(dir).filter((f) => f.endsWith('.pack')).map((f) => join(dir, f));
}

/** verify-pack -v of a pack: each object's id, and for deltas their depth and base. */
function verifyPack(pack: string): { objects: number; deltas: Map<ObjectId, { depth: number; base: ObjectId }> } {
  const out = git(['verify-pack', '-v', pack.replace(/\.pack$/, '.idx')]);
  const deltas = new Map<ObjectId, { depth: number; base: ObjectId }>();
  let objects = 0;
  for (const line of out.split('\n')) {
    const f = line.split(/\s+/);
    if (!/^[0-9a-f]{40}$/.test(f[0] ?? '')) continue;
    objects++;
    if (f.length >= 7) deltas.set(f[0]!, { depth: Number(f[5]), base: f[6]! });
  }
  return { objects, deltas };
}

/** The pack inside a v2 fetch response: band 1 of the side-band after "packfile". */
function packFromResponse(chunks: Uint8Array[]): Uint8Array {
  const all = Buffer.concat(chunks);
  const out: Buffer[] = [];
  let at = 0;
  let inPack = false;
  while (at < all.length) {
    const len = parseInt(all.subarray(at, at + 4).toString('latin1'), 16);
    if (len === 0) {
      at += 4;
      continue;
    }
    const data = all.subarray(at + 4, at + len);
    at += len;
    if (!inPack) {
      if (data.toString('latin1') === 'packfile\n') inPack = true;
      continue;
    }
    if (data[0] === 1) out.push(data.subarray(1));
    else if (data[0] === 3) throw new Error(data.subarray(1).toString());
  }
  return Buffer.concat(out);
}

async function collect(gen: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of gen) out.push(c);
  return out;
}

/** A pack entry header, as git writes one. */
function entryHeader(code: number, size: number, baseId?: ObjectId): Uint8Array {
  const bytes: number[] = [];
  let rest = size >> 4;
  bytes.push((code << 4) | (size & 15) | (rest ? 0x80 : 0));
  while (rest) {
    const low = rest & 127;
    rest >>= 7;
    bytes.push(low | (rest ? 0x80 : 0));
  }
  const out = new Uint8Array(bytes.length + (baseId ? 20 : 0));
  out.set(bytes);
  if (baseId) hexInto(baseId, out, bytes.length);
  return out;
}

describe('pack reuse when serving git', () => {
  const cleanups: (() => void)[] = [];
  let src: string;
  let oldClient: string;
  let home: string;
  let work: string;
  let store: Store;
  let server: Server;
  let url: string;
  /** The same repository without its reachability bitmap: clones walk the history. */
  let noBitmap: { store: Store; server: Server; url: string };
  let oldHead: ObjectId;
  let newHead: ObjectId;

  before(async () => {
    const t = tempDir('nymote-reuse-');
    cleanups.push(t.cleanup);
    work = t.dir;
    home = join(work, 'home');
    src = join(work, 'src.git');
    git(['init', '-q', '--bare', src]);
    git(['fast-import', '--quiet'], { cwd: src, input: history(0, 40, false) });
    oldHead = git(['rev-parse', 'refs/heads/main'], { cwd: src }).trim();
    oldClient = join(work, 'old.git');
    git(['clone', '-q', '--bare', '--no-local', src, oldClient]);
    git(['fast-import', '--quiet'], { cwd: src, input: history(40, 60, true) });
    git(['-c', 'user.name=T', '-c', 'user.email=t@x', 'tag', '-a', '-m', 'release', 'v1', 'refs/heads/main'], { cwd: src });
    newHead = git(['rev-parse', 'refs/heads/main'], { cwd: src }).trim();
    // Deep chains, as an aggressive gc leaves them; one pack, no loose objects.
    git(['repack', '-adfq', '--depth=50', '--window=50'], { cwd: src });
    git(['prune-packed'], { cwd: src });
    // git repack writes a bitmap in a bare repository; the copy without it makes clones walk.
    const walked = join(work, 'walked.git');
    cpSync(src, walked, { recursive: true });
    for (const f of readdirSync(join(walked, 'objects', 'pack'))) if (f.endsWith('.bitmap')) rmSync(join(walked, 'objects', 'pack', f));
    ({ store, server, url } = await serveRepo(src));
    noBitmap = await serveRepo(walked);
  });

  /**
   * Our handler over `dir`, with deltas off unless asked: every delta a client gets was copied, none
   * computed. (With deltas on, a clone of a whole pack sends the pack file as it is.)
   */
  async function serveRepo(dir: string, deltas = false): Promise<{ store: Store; server: Server; url: string }> {
    const s = await openStore(dir, {});
    const handler = createGitHttpHandler({ store: s, deltas, packCacheBytes: 0 });
    const srv = createServer((req, res) => void handler(req, res, (req.url ?? '/').slice(4) || '/'));
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    return { store: s, server: srv, url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/git` };
  }

  after(async () => {
    for (const x of [{ server, store }, noBitmap]) {
      if (!x?.server) continue;
      x.server.closeAllConnections();
      await new Promise((resolve) => x.server.close(resolve));
      await x.store.close();
    }
    for (const c of cleanups) c();
  });

  test('the served repository has deep delta chains (the premise of these tests)', () => {
    const [pack] = packFiles(src);
    const { deltas } = verifyPack(pack!);
    assert.ok(deltas.size > 100, `${deltas.size} deltas`);
    assert.ok(Math.max(...[...deltas.values()].map((d) => d.depth)) >= 10);
  });

  for (const [version, how] of [[0, 'bitmap'], [2, 'bitmap'], [0, 'walk'], [2, 'walk']] as const) {
    test(`git clone (protocol v${version}, objects found by ${how}) gets the stored deltas, and fsck --strict passes`, async () => {
      const dest = join(work, `clone-v${version}-${how}.git`);
      await gitAsync(home, ['-c', `protocol.version=${version}`, 'clone', '-q', '--bare', how === 'walk' ? noBitmap.url : url, dest]);
      git(['fsck', '--strict', '--no-dangling'], { cwd: dest });
      assert.equal(git(['rev-parse', 'refs/heads/main'], { cwd: dest }).trim(), newHead);
      assert.equal(git(['rev-parse', 'refs/tags/v1'], { cwd: dest }).trim(), git(['rev-parse', 'refs/tags/v1'], { cwd: src }).trim());
      const [pack] = packFiles(dest);
      const got = verifyPack(pack!);
      const source = verifyPack(packFiles(src)[0]!);
      assert.equal(got.objects, source.objects, 'each object once, all of them');
      // The server was told not to deltify: the deltas are the source pack's, base for base.
      assert.equal(got.deltas.size, source.deltas.size);
      for (const [id, d] of got.deltas) assert.equal(d.base, source.deltas.get(id)?.base, `base of ${id}`);
    });

  }

  for (const version of [0, 2]) {
    test(`git fetch (protocol v${version}) of new commits: ${version === 2 ? 'a thin pack' : 'a complete pack'}, fsck --strict passes`, async () => {
      const dest = join(work, `fetch-v${version}.git`);
      cpSync(oldClient, dest, { recursive: true });
      const { stderr } = await gitAsync(home, [
        '-c', `protocol.version=${version}`, '-c', 'fetch.unpackLimit=1', '--git-dir', dest,
        'fetch', '--progress', url, '+refs/heads/*:refs/heads/*',
      ]);
      git(['fsck', '--strict', '--no-dangling'], { cwd: dest });
      assert.equal(git(['rev-parse', 'refs/heads/main'], { cwd: dest }).trim(), newHead);
      // Both versions offer thin-pack: index-pack completes the thin pack with bases from the
      // repository and says so.
      assert.match(stderr, /completed with [1-9]\d* local objects?\b/);
    });
  }

  /** A v2 fetch request straight to upload-pack, with the pack it answers and what was copied. */
  async function fetchV2(args: string[]): Promise<{ pack: Uint8Array; stats: ReuseStats }> {
    const body = [pktLine('command=fetch\n'), pktLine('object-format=sha1\n'), new TextEncoder().encode('0001'),
      ...args.map((a) => pktLine(`${a}\n`)), pktLine('done\n'), FLUSH_PKT];
    let stats: ReuseStats | undefined;
    const chunks = await collect(uploadPackV2(store, body, { zlib: nodeZlib, sha1: nodeSha1, deltas: false, onPackBuilt: (s) => (stats = s) }));
    return { pack: packFromResponse(chunks), stats: stats! };
  }

  test('a full fetch copies every entry; OFS_DELTA or REF_DELTA as the client asks; index-pack accepts both', async () => {
    const source = verifyPack(packFiles(src)[0]!);
    for (const ofs of [true, false]) {
      const { pack, stats } = await fetchV2([`want ${newHead}`, ...(ofs ? ['ofs-delta'] : [])]);
      assert.equal(stats.written, 0);
      assert.equal(stats.deltas, source.deltas.size);
      assert.equal(stats.whole + stats.deltas, source.objects - 1, 'all but the tag, which was not wanted');
      const dest = join(work, `full-${ofs}.git`);
      git(['init', '-q', '--bare', dest]);
      const packPath = join(dest, 'objects', 'pack', 'pack-in.pack');
      writeFileSync(packPath, pack);
      git(['index-pack', '--strict', packPath]);
      // Entry type codes 6 (OFS) or 7 (REF) are visible to verify-pack only as "delta"; check the raw codes.
      const idx = PackIndex.parse(readFileSync(packPath.replace(/\.pack$/, '.idx')), 'idx');
      const reader = new PackReader({ index: idx, pack: { size: pack.length, read: async (o, n) => pack.subarray(o, o + n) }, zlib: nodeZlib, file: 'in' });
      const codes = new Set<number>();
      for (let i = 0; i < idx.count; i++) codes.add((await reader.rawHeader(idx.offsetAt(i))).code);
      assert.ok(codes.has(ofs ? OFS_DELTA : REF_DELTA) && !codes.has(ofs ? REF_DELTA : OFS_DELTA), [...codes].join());
      git(['update-ref', 'refs/heads/main', newHead], { cwd: dest });
      git(['fsck', '--strict', '--no-dangling'], { cwd: dest });
    }
  });

  test('a thin fetch keeps deltas against what the client has, only when asked for thin-pack', async () => {
    const thin = await fetchV2([`want ${newHead}`, `have ${oldHead}`, 'ofs-delta', 'thin-pack']);
    assert.ok(thin.stats.thin > 0, JSON.stringify(thin.stats));
    const full = await fetchV2([`want ${newHead}`, `have ${oldHead}`, 'ofs-delta']);
    assert.equal(full.stats.thin, 0);
    assert.ok(full.stats.written > 0, 'deltas whose base stays behind are written whole');
    assert.ok(full.pack.length > thin.pack.length);
    for (const [name, r] of [['thin', thin], ['full', full]] as const) {
      const dest = join(work, `thin-${name}.git`);
      cpSync(oldClient, dest, { recursive: true });
      gitBytes(['index-pack', '--stdin', '--fix-thin', '--strict'], { cwd: dest, input: r.pack });
      git(['update-ref', 'refs/heads/main', newHead], { cwd: dest });
      git(['fsck', '--strict', '--no-dangling'], { cwd: dest });
    }
    // Without thin-pack every delta's base is in the pack: index-pack resolves them all on its own.
    const alone = join(work, 'thin-alone.git');
    git(['init', '-q', '--bare', alone]);
    gitBytes(['index-pack', '--stdin'], { cwd: alone, input: full.pack });
    await assert.rejects(async () => gitBytes(['index-pack', '--stdin'], { cwd: alone, input: thin.pack }), /unresolved deltas/);
  });

  test('v0 honours ofs-delta: without it, copied deltas name their base by id', async () => {
    const body = [pktLine(`want ${newHead} side-band-64k no-progress\n`), FLUSH_PKT, pktLine('done\n')];
    const chunks = await collect(uploadPackV0(store, body, { zlib: nodeZlib, sha1: nodeSha1, deltas: false }));
    const all = Buffer.concat(chunks);
    // NAK, then side-band packets.
    const pack = packFromResponse([pktLine('packfile\n'), all.subarray(all.indexOf('0008NAK\n') + 8)]);
    const dest = join(work, 'v0-ref.git');
    git(['init', '-q', '--bare', dest]);
    gitBytes(['index-pack', '--stdin', '--strict'], { cwd: dest, input: pack });
  });

  test('the object set is the walk\'s, blobs listed without being read', async () => {
    const full = await objectsToSend(store.objects, [newHead], [oldHead]);
    const { objects, peerHas } = await listObjectsToSend(store.objects, [newHead], [oldHead]);
    assert.deepEqual(objects.map((o) => [o.id, o.type, o.name]), full.map((o) => [o.id, o.type, o.name]));
    assert.ok(objects.some((o) => o.type === 'blob' && o.body === undefined));
    assert.ok(peerHas(oldHead));
    assert.ok(peerHas(git(['rev-parse', `${oldHead}:grow.txt`], { cwd: src }).trim()));
    assert.ok(!peerHas(git(['rev-parse', `${newHead}:grow.txt`], { cwd: src }).trim()));
  });

  test('the reachability bitmap gives the objects git rev-list --objects lists, or nothing', async () => {
    const objects = store.objects.store;
    const revList = (args: string[]): string[] =>
      git(['rev-list', '--objects', ...args], { cwd: src }).split('\n').filter(Boolean).map((l) => l.slice(0, 40)).sort();
    const tag = git(['rev-parse', 'refs/tags/v1'], { cwd: src }).trim();
    for (const wants of [[newHead], [tag], [newHead, tag]]) {
      const found = await objects.reachableObjects!(wants);
      assert.ok(found, `a bitmap covers ${wants.join(' ')}`);
      assert.deepEqual(found.map((o) => o.id).sort(), revList(wants));
      const types = new Map(found.map((o) => [o.id, o.type]));
      assert.equal(types.get(newHead), 'commit');
      assert.equal(types.get(git(['rev-parse', `${newHead}^{tree}`], { cwd: src }).trim()), 'tree');
      assert.equal(types.get(git(['rev-parse', `${newHead}:grow.txt`], { cwd: src }).trim()), 'blob');
      if (wants.includes(tag)) assert.equal(types.get(tag), 'tag');
    }
    // git bitmaps every commit of a history this small.
    for (const c of git(['rev-list', 'refs/heads/main'], { cwd: src }).split('\n').filter(Boolean)) {
      const found = await objects.reachableObjects!([c]);
      assert.ok(found, `a bitmap covers ${c}`);
      assert.deepEqual(found.map((o) => o.id).sort(), revList([c]));
    }
    assert.equal(await objects.reachableObjects!([git(['rev-parse', `${newHead}^{tree}`], { cwd: src }).trim()]), undefined);
    assert.equal(await noBitmap.store.objects.store.reachableObjects!([newHead]), undefined);
  });

  test('a commit newer than the bitmap, or a bitmap of another pack: nothing, and a clone walks', async () => {
    const d = tempDir('nymote-reuse-bitmap-');
    cleanups.push(d.cleanup);
    const repo = join(d.dir, 'r.git');
    cpSync(src, repo, { recursive: true });
    git(['fast-import', '--quiet'], { cwd: repo, input: history(60, 61, true) });
    const newer = git(['rev-parse', 'refs/heads/main'], { cwd: repo }).trim();
    const fresh = await openStore(repo, {});
    try {
      assert.ok(await fresh.objects.store.reachableObjects!([newHead]));
      assert.equal(await fresh.objects.store.reachableObjects!([newer]), undefined);
      assert.equal(await fresh.objects.store.reachableObjects!([newHead, newer]), undefined);
      const chunks = await collect(uploadPackV2(fresh, [pktLine('command=fetch\n'), new TextEncoder().encode('0001'),
        pktLine(`want ${newer}\n`), pktLine('ofs-delta\n'), pktLine('done\n'), FLUSH_PKT], { zlib: nodeZlib, sha1: nodeSha1 }));
      const dest = join(d.dir, 'walked.git');
      git(['init', '-q', '--bare', dest]);
      gitBytes(['index-pack', '--stdin', '--strict'], { cwd: dest, input: packFromResponse(chunks) });
      git(['update-ref', 'refs/heads/main', newer], { cwd: dest });
      git(['fsck', '--strict', '--no-dangling'], { cwd: dest });
    } finally {
      await fresh.close();
    }
    const packDir = join(repo, 'objects', 'pack');
    const bitmap = readdirSync(packDir).find((f) => f.endsWith('.bitmap'))!;
    const bytes = readFileSync(join(packDir, bitmap));
    bytes[12]! ^= 1; // the pack checksum it was written for
    writeFileSync(join(packDir, bitmap), bytes);
    const warnings: string[] = [];
    const s = await openStore(repo, { backend: { onWarning: (m) => warnings.push(m) } });
    try {
      assert.equal(await s.objects.store.reachableObjects!([newHead]), undefined);
      assert.match(warnings.join('\n'), /written for another pack/);
    } finally {
      await s.close();
    }
  });

  describe('a clone of a whole pack', () => {
    /** A copy of the served repository, served with deltas on, closed by the test. */
    async function served(name: string, change?: (repo: string) => void) {
      const d = tempDir(`nymote-verbatim-${name}-`);
      cleanups.push(d.cleanup);
      const repo = join(d.dir, 'r.git');
      cpSync(src, repo, { recursive: true });
      change?.(repo);
      const s = await serveRepo(repo, true);
      return {
        ...s, dir: d.dir, repo,
        close: async () => {
          s.server.closeAllConnections();
          await new Promise((resolve) => s.server.close(resolve));
          await s.store.close();
        },
      };
    }

    for (const version of [0, 2]) {
      test(`git clone (protocol v${version}) receives the stored pack byte for byte, tag included`, async () => {
        const s = await served(`v${version}`);
        try {
          const dest = join(s.dir, 'clone.git');
          const { stderr } = await gitAsync(home, ['-c', `protocol.version=${version}`, 'clone', '--progress', '--bare', s.url, dest]);
          assert.match(stderr, /sent as it is/);
          git(['fsck', '--strict', '--no-dangling'], { cwd: dest });
          assert.equal(git(['rev-parse', 'refs/tags/v1'], { cwd: dest }).trim(), git(['rev-parse', 'refs/tags/v1'], { cwd: src }).trim());
          // git names a received pack by its checksum: the same name is the same bytes.
          assert.deepEqual(packFiles(dest).map((f) => f.split('/').pop()), packFiles(src).map((f) => f.split('/').pop()));
          assert.ok(readFileSync(packFiles(dest)[0]!).equals(readFileSync(packFiles(src)[0]!)));
        } finally {
          await s.close();
        }
      });
    }

    test('a tag made after the pack, or a want of part of the pack: the pack is built, and the clone is complete', async () => {
      const s = await served('partial', (repo) => {
        git(['-c', 'user.name=T', '-c', 'user.email=t@x', 'tag', '-a', '-m', 'later', 'v2', 'refs/heads/main'], { cwd: repo });
      });
      try {
        const objects = s.store.objects.store;
        const v1 = git(['rev-parse', 'refs/tags/v1'], { cwd: s.repo }).trim();
        const v2 = git(['rev-parse', 'refs/tags/v2'], { cwd: s.repo }).trim();
        assert.ok(await objects.verbatimPack!([newHead, v1]), 'the pack holds the history and v1');
        assert.equal(await objects.verbatimPack!([newHead]), undefined, 'the pack holds v1 too');
        assert.equal(await objects.verbatimPack!([newHead, v1, v2]), undefined, 'v2 is a loose object');
        assert.equal(await objects.verbatimPack!([oldHead]), undefined, 'older history: part of the pack');
        const dest = join(s.dir, 'clone.git');
        const { stderr } = await gitAsync(home, ['clone', '--progress', '--bare', s.url, dest]);
        assert.doesNotMatch(stderr, /sent as it is/);
        git(['fsck', '--strict', '--no-dangling'], { cwd: dest });
        assert.equal(git(['rev-parse', 'refs/tags/v2'], { cwd: dest }).trim(), v2);
      } finally {
        await s.close();
      }
    });

    test('a damaged pack file fails the clone with an error naming it, before its trailer is sent', async () => {
      let packPath = '';
      const s = await served('damaged', (repo) => {
        packPath = packFiles(repo)[0]!;
        const bytes = readFileSync(packPath);
        bytes[bytes.length >> 1]! ^= 0x55;
        writeFileSync(packPath, bytes);
      });
      try {
        const dest = join(s.dir, 'clone.git');
        await assert.rejects(gitAsync(home, ['clone', '--bare', s.url, dest]), (e: Error) => {
          assert.match(e.message, /corrupt|hash/i);
          assert.ok(e.message.includes(packPath.split('/').pop()!), e.message);
          return true;
        });
      } finally {
        await s.close();
      }
    });
  });

  describe('raw entries', () => {
    let packBytes: Uint8Array;
    let index: PackIndex;
    const readerOver = (bytes: Uint8Array, idx: PackIndex): PackReader =>
      new PackReader({ index: idx, pack: { size: bytes.length, read: async (o, n) => bytes.subarray(o, o + n) }, zlib: nodeZlib, file: 'mem.pack' });

    before(() => {
      const pack = packFiles(src)[0]!;
      packBytes = readFileSync(pack);
      index = PackIndex.parse(readFileSync(pack.replace(/\.pack$/, '.idx')), 'idx');
    });

    test('entries tile the pack, OFS bases match git\'s, the last one ends at the trailer', async () => {
      const reader = readerOver(packBytes, index);
      const source = verifyPack(packFiles(src)[0]!);
      let total = 0;
      let last = 0;
      for (let i = 0; i < index.count; i++) {
        const id = index.idAt(i);
        const e = (await reader.rawEntry(index.offsetAt(i)))!;
        assert.ok(e, `entry of ${id}`);
        assert.equal(reader.idAtOffset(e.offset), id);
        assert.equal(e.bytes.length, e.end - e.offset);
        total += e.bytes.length;
        last = Math.max(last, e.end);
        if (e.code === OFS_DELTA) assert.equal(reader.idAtOffset(e.baseOffset), source.deltas.get(id)?.base);
        else assert.ok(!source.deltas.has(id));
      }
      assert.equal(total, packBytes.length - 12 - 20);
      assert.equal(last, packBytes.length - 20);
      await assert.rejects(reader.rawHeader(13), /no entry starts there/);
      assert.equal(reader.idAtOffset(13), undefined);
    });

    test('REF_DELTA entries name their base', async () => {
      // pack-objects without --delta-base-offset writes REF_DELTA.
      const ids = git(['rev-list', '--objects', 'refs/heads/main'], { cwd: src }).split('\n').filter(Boolean).map((l) => l.slice(0, 40));
      const d = tempDir('nymote-reuse-ref-');
      cleanups.push(d.cleanup);
      gitBytes(['pack-objects', '-q', '--window=50', '--depth=50', join(d.dir, 'p')], { cwd: src, input: ids.join('\n') + '\n' });
      const pack = readdirSync(d.dir).find((f) => f.endsWith('.pack'))!;
      const bytes = readFileSync(join(d.dir, pack));
      const idx = PackIndex.parse(readFileSync(join(d.dir, pack.replace(/\.pack$/, '.idx'))), 'idx');
      const reader = readerOver(bytes, idx);
      const source = verifyPack(join(d.dir, pack));
      let refs = 0;
      for (let i = 0; i < idx.count; i++) {
        const e = (await reader.rawEntry(idx.offsetAt(i)))!;
        assert.notEqual(e.code, OFS_DELTA);
        if (e.code === REF_DELTA) {
          refs++;
          assert.equal(e.baseId, source.deltas.get(idx.idAt(i))?.base);
        }
      }
      assert.ok(refs > 50, `${refs} REF_DELTA entries`);
    });

    test('a damaged entry fails its CRC-32, and the pack is built from a normal read instead', async () => {
      const reader = readerOver(packBytes, index);
      const { deltas } = verifyPack(packFiles(src)[0]!);
      // Damage a delta base, so that the objects depending on it must still come out right.
      const victim = [...deltas.values()][0]!.base;
      const offset = index.find(victim)!;
      const e = (await reader.rawEntry(offset))!;
      const damaged = packBytes.slice();
      damaged[e.offset + e.headerLength + 3] ^= 0x55;
      const bad = readerOver(damaged, index);
      assert.equal(await bad.rawEntry(offset), undefined);
      assert.ok(await bad.rawEntry(index.offsetAt(0)) ?? (index.offsetAt(0) === offset), 'other entries are fine');

      const real = store.objects.store;
      const wrapped: ObjectStore = {
        read: (id) => real.read(id), has: (id) => real.has(id), write: (t, b) => real.write(t, b),
        writeBatch: (o) => real.writeBatch(o), hash: (t, b) => real.hash(t, b),
        packedEntry: (id) => {
          const o = index.find(id);
          return o === undefined ? undefined : { pack: bad, offset: o };
        },
      };
      const { objects } = await listObjectsToSend(store.objects, [newHead], []);
      const stats = emptyReuseStats();
      const pack = Buffer.concat(await collect(buildReusingPackStream(objects, { zlib: nodeZlib, sha1: nodeSha1, store: wrapped, ofsDelta: true, stats })));
      assert.equal(stats.badCrc, 1);
      assert.equal(stats.written, 1);
      assert.ok(stats.deltas > 0);
      const dest = join(work, 'crc.git');
      git(['init', '-q', '--bare', dest]);
      gitBytes(['index-pack', '--stdin', '--strict'], { cwd: dest, input: pack });
      git(['update-ref', 'refs/heads/main', newHead], { cwd: dest });
      git(['fsck', '--strict', '--no-dangling'], { cwd: dest });
    });

    test('deltas that refer to each other across packs: the loop is cut, one is written whole', async () => {
      const a = utf8('shared content line\n'.repeat(40) + 'a\n');
      const b = utf8('shared content line\n'.repeat(40) + 'b\n');
      const idA = hashObject(nodeSha1, 'blob', a);
      const idB = hashObject(nodeSha1, 'blob', b);
      // Two packs, each holding one of them as a delta against the other.
      const entry = (target: Uint8Array, base: Uint8Array, baseId: ObjectId): RawEntry => {
        const delta = createDelta(new DeltaIndex(base), target, target.length)!;
        const head = entryHeader(REF_DELTA, delta.length, baseId);
        const bytes = Buffer.concat([head, nodeZlib.deflate(delta)]);
        return { offset: 12, code: REF_DELTA, size: delta.length, headerLength: head.length, end: 12 + bytes.length, baseOffset: -1, baseId, bytes };
      };
      const source = (e: RawEntry): PackEntrySource => ({
        rawHeader: async () => e, rawEntry: async () => e, idAtOffset: () => undefined,
      });
      const packs = new Map([[idA, source(entry(a, b, idB))], [idB, source(entry(b, a, idA))]]);
      const bodies = new Map([[idA, a], [idB, b]]);
      const fake: ObjectStore = {
        read: async (id) => (bodies.has(id) ? { type: 'blob', body: bodies.get(id)! } : undefined),
        has: async (id) => bodies.has(id),
        write: async () => { throw new Error('read-only'); },
        writeBatch: async () => { throw new Error('read-only'); },
        hash: (t, body) => hashObject(nodeSha1, t, body),
        packedEntry: (id) => (packs.has(id) ? { pack: packs.get(id)!, offset: 12 } : undefined),
      };
      const stats = emptyReuseStats();
      const list = [{ id: idA, type: 'blob' as const }, { id: idB, type: 'blob' as const }];
      const pack = Buffer.concat(await collect(buildReusingPackStream(list, { zlib: nodeZlib, sha1: nodeSha1, store: fake, ofsDelta: true, stats })));
      assert.deepEqual(stats, { whole: 0, deltas: 1, thin: 0, written: 1, badCrc: 0 });
      const dest = join(work, 'loop.git');
      git(['init', '-q', '--bare', dest]);
      gitBytes(['index-pack', '--stdin', '--strict'], { cwd: dest, input: pack });
      assert.equal(git(['cat-file', 'blob', idA], { cwd: dest }), Buffer.from(a).toString());
      assert.equal(git(['cat-file', 'blob', idB], { cwd: dest }), Buffer.from(b).toString());
    });
  });
});
