// The server protocol functions without HTTP, over in-memory stores: what a transport other than
// node:http (a test, a local pipe) would drive.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../src/store.js';
import { memoryBackend } from '../src/backend/memory.js';
import { nodeZlib } from '../src/node.js';
import { nodeSha1 } from '../src/backend/fs/hash.js';
import { DELIM_PKT, FLUSH_PKT, PktReader, demuxSideband, pktLine, pktText } from '../src/sync/pkt-line.js';
import { indexPack } from '../src/sync/pack-indexer.js';
import { storePack } from '../src/sync/store-pack.js';
import { advertiseV0, advertiseV2 } from '../src/sync/server/advertise.js';
import { uploadPackV0, uploadPackV2, PackCache } from '../src/sync/server/upload-pack.js';
import { receivePack } from '../src/sync/server/receive-pack.js';
import { buildPack, objectsToSend } from '../src/sync/send-objects.js';
import { isStoreError } from '../src/errors.js';
import { ZERO_ID } from '../src/git/id.js';

const opts = { zlib: nodeZlib, sha1: nodeSha1 };

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return new Uint8Array(Buffer.concat(parts));
}

async function makeStore(): Promise<Store> {
  let t = 1_700_000_000_000;
  return new Store(memoryBackend({ sha1: nodeSha1 }), { clock: () => (t += 1000) });
}

describe('server protocol without HTTP', () => {
  test('v2 ls-refs and fetch feed a pack another store can take in', async () => {
    const a = await makeStore();
    for (let i = 0; i < 20; i++) await a.set(`k/${i % 5}`, `value ${i}\n`.repeat(i + 1));
    const head = (await a.head('main'))!;

    const adv = new TextDecoder().decode(Buffer.concat(advertiseV2()));
    assert.match(adv, /version 2\n/);
    assert.match(adv, /ls-refs=unborn/);

    const ls = await collect(uploadPackV2(a, [Buffer.concat([
      pktLine('command=ls-refs\n'), pktLine('agent=test\n'), DELIM_PKT, pktLine('symrefs\n'), pktLine('ref-prefix HEAD\n'), pktLine('ref-prefix refs/heads/\n'), FLUSH_PKT,
    ])], opts));
    const lines = new TextDecoder().decode(ls);
    assert.ok(lines.includes(`${head} HEAD symref-target:refs/heads/main\n`));
    assert.ok(lines.includes(`${head} refs/heads/main\n`));

    // A round without "done": acknowledgments only.
    const ack = await collect(uploadPackV2(a, [Buffer.concat([
      pktLine('command=fetch\n'), DELIM_PKT, pktLine(`want ${head}\n`), pktLine(`have ${'3'.repeat(40)}\n`), FLUSH_PKT,
    ])], opts));
    assert.equal(new TextDecoder().decode(ack), '0014acknowledgments\n0008NAK\n0000');

    const cache = new PackCache(1 << 20);
    for (let round = 0; round < 2; round++) {
      const res = await collect(uploadPackV2(a, [Buffer.concat([
        pktLine('command=fetch\n'), DELIM_PKT, pktLine(`want ${head}\n`), pktLine('ofs-delta\n'), pktLine('no-progress\n'), pktLine('done\n'), FLUSH_PKT,
      ])], { ...opts, packCache: cache }));
      const reader = new PktReader([res], 'server');
      assert.equal(await reader.text('section'), 'packfile');
      const pack = await collect(demuxSideband(reader));
      const indexed = await indexPack(pack, opts);
      const b = await makeStore();
      await storePack(b.backend.objects, indexed, opts);
      await b.backend.refs.compareAndSwap('refs/heads/main', undefined, head);
      assert.deepEqual(await b.list('k'), await a.list('k'));
      assert.equal(indexed.ids.length, (await objectsToSend(a.objects, [head], [])).length);
    }
  });

  test('v0 negotiation acknowledges common haves, then sends only what is missing', async () => {
    const a = await makeStore();
    const first = await a.set('x', '1');
    const head = await a.set('y', '2');
    const adv = new TextDecoder().decode(Buffer.concat(await advertiseV0(a, 'git-upload-pack')));
    assert.ok(adv.includes(`${head} HEAD\0`));
    assert.match(adv, /multi_ack_detailed/);
    assert.match(adv, /symref=HEAD:refs\/heads\/main/);

    const wants = Buffer.concat([pktLine(`want ${head} multi_ack_detailed side-band-64k ofs-delta no-progress\n`), FLUSH_PKT]);
    const round = new TextDecoder().decode(await collect(uploadPackV0(a, [wants, pktLine(`have ${first}\n`), pktLine(`have ${'4'.repeat(40)}\n`), FLUSH_PKT], opts)));
    assert.equal(round, `0038ACK ${first} common\n0008NAK\n`);

    const res = await collect(uploadPackV0(a, [wants, pktLine(`have ${first}\n`), pktLine('done\n')], opts));
    const reader = new PktReader([res], 'server');
    assert.equal(await reader.text('ACK'), `ACK ${first} common`);
    assert.equal(await reader.text('ACK'), `ACK ${first}`);
    const pack = await collect(demuxSideband(reader));
    const indexed = await indexPack(pack, opts);
    assert.deepEqual(new Set(indexed.ids), new Set((await objectsToSend(a.objects, [head], [first])).map((o) => o.id)));
    assert.equal(indexed.ids.length, 3, 'the commit, its root tree and blob y; not blob x');
  });

  test('include-tag brings tags created after an identical request was cached', async () => {
    const a = await makeStore();
    await a.set('x', '1');
    const head = (await a.head('main'))!;
    const cache = new PackCache(1 << 20);
    const fetch = async (): Promise<string[]> => {
      const res = await collect(uploadPackV2(a, [Buffer.concat([
        pktLine('command=fetch\n'), DELIM_PKT, pktLine(`want ${head}\n`), pktLine('include-tag\n'), pktLine('no-progress\n'), pktLine('done\n'), FLUSH_PKT,
      ])], { ...opts, packCache: cache }));
      const reader = new PktReader([res], 'server');
      await reader.text('section');
      return (await indexPack(await collect(demuxSideband(reader)), opts)).ids;
    };
    assert.equal((await fetch()).length, 3);
    const tag = await a.backend.objects.write('tag', new TextEncoder().encode(`object ${head}\ntype commit\ntag v1\ntagger A <a@x> 1700000000 +0000\n\nv1\n`));
    await a.backend.refs.compareAndSwap('refs/tags/v1', undefined, tag);
    const ids = await fetch();
    assert.equal(ids.length, 4);
    assert.ok(ids.includes(tag));
  });

  test('receive-pack into an in-memory store: updates, refusals, report-status', async () => {
    const a = await makeStore();
    const c1 = await a.set('a', '1');
    const c2 = await a.set('a', '2');
    const server = await makeStore();
    // Seed the server with c1.
    const seed = await buildPack(await objectsToSend(a.objects, [c1], []), opts);
    await storePack(server.backend.objects, await indexPack(seed, opts), opts);
    await server.backend.refs.compareAndSwap('refs/heads/main', undefined, c1);

    const adv = new TextDecoder().decode(Buffer.concat(await advertiseV0(server, 'git-receive-pack')));
    assert.ok(adv.slice(4).startsWith(`${c1} refs/heads/main\0report-status`), adv);

    const pack = await buildPack(await objectsToSend(a.objects, [c2], [c1]), { ...opts, deltas: true });
    const body = [
      pktLine(`${c1} ${c2} refs/heads/main\0report-status side-band-64k\n`),
      pktLine(`${ZERO_ID} ${c2} refs/heads/ok\n`),
      pktLine(`${ZERO_ID} ${c2} refs/heads/bad..name\n`),
      pktLine(`${ZERO_ID} ${c2} refs/meta/x\n`),
      pktLine(`${ZERO_ID} ${c1} refs/tags/v1\n`),
      FLUSH_PKT, pack,
    ];
    const res = await collect(receivePack(server, body, opts));
    const report = new TextDecoder().decode(await collect(demuxSideband(new PktReader([res], 'server'))));
    const r = new PktReader([new TextEncoder().encode(report)], 'report');
    const lines: string[] = [];
    for (let p = await r.next(); p && p.type === 'data'; p = await r.next()) lines.push(pktText(p.data));
    assert.deepEqual(lines, [
      'unpack ok',
      'ok refs/heads/main',
      'ok refs/heads/ok',
      'ng refs/heads/bad..name invalid ref name',
      'ng refs/meta/x only refs/heads/ and refs/tags/ may be pushed',
      'ok refs/tags/v1',
    ]);
    assert.equal(await server.head('main'), c2);
    assert.equal(await server.head('ok'), c2);
    assert.equal(new TextDecoder().decode(await server.get('a')), '2');

    // Non-fast-forward back to c1 is refused, unless allowed; stale old values are refused.
    const back = [pktLine(`${c2} ${c1} refs/heads/main\0report-status\n`), FLUSH_PKT, await buildPack([], opts)];
    assert.match(new TextDecoder().decode(await collect(receivePack(server, back, opts))), /ng refs\/heads\/main non-fast-forward/);
    const stale = [pktLine(`${c1} ${c2} refs/heads/ok\0report-status\n`), FLUSH_PKT, await buildPack([], opts)];
    assert.match(new TextDecoder().decode(await collect(receivePack(server, stale, opts))), /ng refs\/heads\/ok stale info/);
    assert.match(new TextDecoder().decode(await collect(receivePack(server, back, { ...opts, allowNonFastForward: true }))), /ok refs\/heads\/main/);
    assert.equal(await server.head('main'), c1);
    // Deleting the branch HEAD names is refused; another one goes.
    const del = [pktLine(`${c1} ${ZERO_ID} refs/heads/main\0report-status delete-refs\n`), pktLine(`${c2} ${ZERO_ID} refs/heads/ok\n`), FLUSH_PKT];
    const delReport = new TextDecoder().decode(await collect(receivePack(server, del, opts)));
    assert.match(delReport, /ng refs\/heads\/main deletion of the current branch prohibited/);
    assert.match(delReport, /ok refs\/heads\/ok/);
    assert.equal(await server.head('ok'), undefined);
  });

  test('malformed requests are protocol errors', async () => {
    const a = await makeStore();
    await a.set('a', '1');
    const bad: [string, () => AsyncIterable<Uint8Array>][] = [
      ['v0 junk', () => uploadPackV0(a, [pktLine('hello\n')], opts)],
      ['v0 unknown want', () => uploadPackV0(a, [pktLine(`want ${'5'.repeat(40)}\n`), FLUSH_PKT, pktLine('done\n')], opts)],
      ['v2 unknown arg', () => uploadPackV2(a, [pktLine('command=fetch\n'), DELIM_PKT, pktLine('frobnicate\n'), FLUSH_PKT], opts)],
      ['v2 truncated', () => uploadPackV2(a, [new TextEncoder().encode('0014command=fe')], opts)],
      ['push junk', () => receivePack(a, [pktLine('old new ref\n'), FLUSH_PKT], opts)],
    ];
    for (const [name, run] of bad) {
      await assert.rejects(collect(run()), (e: unknown) => isStoreError(e, 'protocol'), name);
    }
  });
});
