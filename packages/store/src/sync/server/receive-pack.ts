// git-receive-pack, the serving side of push (protocol v0, stateless): ref update commands, then the
// pack. The pack is checked whole (indexPack) and stored before any ref moves; each ref then moves by
// compare-and-swap from the value the client saw, so concurrent writers are never overwritten.
import { isStoreError } from '../../errors.js';
import { ZERO_ID, type ObjectId } from '../../git/id.js';
import { concat } from '../../git/bytes.js';
import type { Sha1 } from '../../git/object.js';
import type { Zlib } from '../../git/pack/types.js';
import type { ObjectStore } from '../../backend/types.js';
import { isAncestor } from '../../history.js';
import { isValidRefName } from '../../refname.js';
import { indexPack } from '../pack-indexer.js';
import { FLUSH_PKT, PktReader, pktLine, pktText, sidebandPkts } from '../pkt-line.js';
import { objectsToSend } from '../send-objects.js';
import { peel, type ServedRepository } from './advertise.js';
import { errorText } from './upload-pack.js';
import { storePack } from '../store-pack.js';

export interface ReceivePackOptions {
  zlib: Zlib;
  sha1: Sha1;
  /** Accept updates that lose commits (a forced push); default false. */
  allowNonFastForward?: boolean;
  /** Refuse a pushed pack larger than this (default: no limit). */
  maxPackBytes?: number;
  where?: string;
  /** Called once per ref actually moved. */
  onUpdate?: (update: { name: string; old: ObjectId | undefined; next: ObjectId | undefined }) => void;
}

interface Command {
  old: ObjectId;
  next: ObjectId;
  name: string;
  /** Why it was refused, once decided. */
  error?: string;
}

export interface ReceivePackResult {
  unpack: string; // "ok" or the error
  commands: { name: string; ok: boolean; error?: string }[];
}

/**
 * Handles one push request and yields the response: report-status (in side-band 1 when asked for),
 * or nothing when the client did not ask for a report.
 */
export async function* receivePack(repo: ServedRepository, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: ReceivePackOptions): AsyncGenerator<Uint8Array> {
  const reader = new PktReader(body, options.where ?? 'client');
  const commands: Command[] = [];
  let caps = new Set<string>();
  for (;;) {
    const p = await reader.next();
    if (p === undefined) {
      if (commands.length === 0) return;
      throw reader.error('request ended before the flush after the commands');
    }
    if (p.type === 'flush') break;
    if (p.type !== 'data') throw reader.error(`unexpected ${p.type} packet among the commands`);
    let line = pktText(p.data);
    const nul = line.indexOf('\0');
    if (nul >= 0) {
      if (commands.length === 0) caps = new Set(line.slice(nul + 1).split(' ').filter(Boolean));
      line = line.slice(0, nul);
    }
    if (line.startsWith('shallow ')) throw reader.error('pushes from shallow repositories are not supported');
    if (line.startsWith('push-cert')) throw reader.error('signed pushes are not supported');
    const m = /^([0-9a-f]{40}) ([0-9a-f]{40}) (.+)$/.exec(line);
    if (!m) throw reader.error(`expected "<old> <new> <ref>", got ${JSON.stringify(line.slice(0, 100))}`);
    commands.push({ old: m[1]!, next: m[2]!, name: m[3]! });
  }
  if (commands.length === 0) return;

  const result = await apply(repo, commands, reader, options);
  if (!caps.has('report-status')) return;
  const report: Uint8Array[] = [pktLine(`unpack ${result.unpack}\n`)];
  for (const c of result.commands) report.push(pktLine(c.ok ? `ok ${c.name}\n` : `ng ${c.name} ${c.error}\n`));
  report.push(FLUSH_PKT);
  const bytes = concat(report);
  if (caps.has('side-band-64k')) {
    yield concat([...sidebandPkts(1, bytes), FLUSH_PKT]);
  } else yield bytes;
}


async function apply(repo: ServedRepository, commands: Command[], reader: PktReader, options: ReceivePackOptions): Promise<ReceivePackResult> {
  const objects: ObjectStore = repo.objects.store;
  const refs = repo.backend.refs;
  const needsPack = commands.some((c) => c.next !== ZERO_ID);
  let unpack = 'ok';
  if (needsPack) {
    try {
      const indexed = await indexPack(reader.rest(), {
        zlib: options.zlib,
        sha1: options.sha1,
        // Thin packs name bases the client knows we have.
        readExternal: (id) => objects.read(id),
        where: options.where ?? 'pushed pack',
        maxBytes: options.maxPackBytes,
      });
      await storePack(objects, indexed, { zlib: options.zlib, sha1: options.sha1 });
    } catch (e) {
      unpack = oneLine(errorText(e)) || 'unpacker error';
    }
  } else {
    // Deletions only: anything after the flush would be a protocol error, but it is harmless; drain it.
    for await (const chunk of reader.rest()) void chunk;
  }
  if (unpack !== 'ok') {
    return { unpack, commands: commands.map((c) => ({ name: c.name, ok: false, error: 'unpacker error' })) };
  }

  const headTarget = await refs.readSymbolic('HEAD');
  const seen = new Set<string>();
  for (const c of commands) {
    if (seen.has(c.name)) c.error = 'duplicate ref update';
    seen.add(c.name);
    c.error ??= await refuse(repo, c, headTarget, options);
  }
  // Everything the new tips reach must be here: the pack alone is not proof (a thin pack's bases, or a
  // pack that names objects it lacks). Walked once for all tips, stopping where the existing refs reach.
  const tips = commands.filter((c) => !c.error && c.next !== ZERO_ID);
  if (tips.length > 0) {
    const existing = [...(await refs.list('refs/')).values()];
    try {
      await objectsToSend(repo.objects, tips.map((c) => c.next), existing);
    } catch {
      // Find which tips are broken, one by one, so the others can still go in.
      for (const c of tips) {
        try {
          await objectsToSend(repo.objects, [c.next], existing);
        } catch (e2) {
          c.error = `missing necessary objects (${oneLine(errorText(e2))})`;
        }
      }
    }
  }
  for (const c of commands) {
    if (c.error) continue;
    const expected = c.old === ZERO_ID ? undefined : c.old;
    const next = c.next === ZERO_ID ? undefined : c.next;
    try {
      if (await refs.compareAndSwap(c.name, expected, next)) options.onUpdate?.({ name: c.name, old: expected, next });
      else c.error = 'stale info (the ref moved since the client looked)';
    } catch (e) {
      c.error = oneLine(errorText(e));
    }
  }
  return { unpack, commands: commands.map((c) => (c.error ? { name: c.name, ok: false, error: c.error } : { name: c.name, ok: true })) };
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').trim();
}

/** Why a command must be refused, or undefined when it may go ahead (subject to connectivity and CAS). */
async function refuse(repo: ServedRepository, c: Command, headTarget: string | undefined, options: ReceivePackOptions): Promise<string | undefined> {
  if (!(c.name.startsWith('refs/heads/') || c.name.startsWith('refs/tags/'))) return 'only refs/heads/ and refs/tags/ may be pushed';
  if (!isValidRefName(c.name)) return 'invalid ref name';
  if (c.old === c.next) return undefined;
  const objects = repo.objects.store;
  if (c.next === ZERO_ID) {
    if (c.name === headTarget) return 'deletion of the current branch prohibited';
    return undefined;
  }
  const o = await objects.read(c.next).catch(() => undefined);
  if (!o) return 'missing necessary objects';
  if (c.name.startsWith('refs/heads/') && o.type !== 'commit') return `a branch must point at a commit, not a ${o.type}`;
  if (c.old === ZERO_ID || options.allowNonFastForward) return undefined;
  try {
    const from = await peel(repo, c.old);
    const to = await peel(repo, c.next);
    const fromObj = await objects.read(from);
    const toObj = await objects.read(to);
    if (fromObj?.type !== 'commit' || toObj?.type !== 'commit') return 'non-fast-forward';
    return (await isAncestor(repo.objects, from, to)) ? undefined : 'non-fast-forward';
  } catch (e) {
    if (isStoreError(e, 'not-found')) return 'non-fast-forward';
    throw e;
  }
}
