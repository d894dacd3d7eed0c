// The refs a Git server shows its clients, and the capability lists of each service and protocol version
// (gitprotocol-pack, gitprotocol-v2, gitprotocol-capabilities). Only what this server implements is listed.
import type { Objects } from '../../objects.js';
import type { RefStore } from '../../backend/types.js';
import { decodeTagTarget } from '../../git/commit-codec.js';
import { ZERO_ID, type ObjectId } from '../../git/id.js';
import { FLUSH_PKT, pktLine } from '../pkt-line.js';

/** What the server side needs of a Store: typed object reads and the refs. */
export interface ServedRepository {
  readonly objects: Objects;
  readonly backend: { readonly refs: RefStore };
}

export const AGENT = 'agent=nymote/0.1';

export interface AdvertisedRef {
  name: string;
  id: ObjectId;
  /** For an annotated tag: the object it finally names (shown as "name^{}"). */
  peeled?: ObjectId;
  /** For HEAD: the branch it stands for. */
  symref?: string;
}

/** Refs served: branches and tags only, sorted by name, annotated tags peeled. */
export async function listServedRefs(repo: ServedRepository): Promise<{ refs: AdvertisedRef[]; head: AdvertisedRef | undefined; headTarget: string | undefined }> {
  const refs: AdvertisedRef[] = [];
  for (const prefix of ['refs/heads/', 'refs/tags/']) {
    for (const [name, id] of await repo.backend.refs.list(prefix)) {
      const r: AdvertisedRef = { name, id };
      if (prefix === 'refs/tags/') {
        const peeled = await peel(repo, id);
        if (peeled !== id) r.peeled = peeled;
      }
      refs.push(r);
    }
  }
  refs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const headTarget = await repo.backend.refs.readSymbolic('HEAD');
  let head: AdvertisedRef | undefined;
  const headId = headTarget ? refs.find((r) => r.name === headTarget)?.id : await repo.backend.refs.read('HEAD');
  if (headId !== undefined) head = { name: 'HEAD', id: headId, symref: headTarget };
  return { refs, head, headTarget };
}

/** Follows annotated tags to the object they name; anything else is returned as is. */
export async function peel(repo: ServedRepository, id: ObjectId): Promise<ObjectId> {
  for (let depth = 0; depth < 10; depth++) {
    const o = await repo.objects.store.read(id);
    if (!o || o.type !== 'tag') return id;
    id = decodeTagTarget(o.body, id).object;
  }
  return id;
}

export const UPLOAD_PACK_V0_CAPS = ['multi_ack_detailed', 'side-band-64k', 'thin-pack', 'ofs-delta', 'no-progress', 'include-tag', 'allow-tip-sha1-in-want', 'allow-reachable-sha1-in-want'];
export const RECEIVE_PACK_CAPS = ['report-status', 'delete-refs', 'side-band-64k', 'quiet', 'ofs-delta'];

/**
 * The v0 ref advertisement: first ref (HEAD when it exists) with the capabilities after a NUL, peeled
 * tags as "name^{}", then a flush. With no refs at all, a placeholder line carries the capabilities.
 */
export async function advertiseV0(repo: ServedRepository, service: 'git-upload-pack' | 'git-receive-pack'): Promise<Uint8Array[]> {
  const { refs, head, headTarget } = await listServedRefs(repo);
  const caps = service === 'git-upload-pack' ? [...UPLOAD_PACK_V0_CAPS] : [...RECEIVE_PACK_CAPS];
  if (service === 'git-upload-pack' && headTarget && head) caps.push(`symref=HEAD:${headTarget}`);
  caps.push('object-format=sha1', AGENT);
  const lines: string[] = [];
  // receive-pack shows no HEAD: a push names the refs it updates.
  if (service === 'git-upload-pack' && head) lines.push(`${head.id} HEAD`);
  for (const r of refs) {
    lines.push(`${r.id} ${r.name}`);
    if (service === 'git-upload-pack' && r.peeled) lines.push(`${r.peeled} ${r.name}^{}`);
  }
  if (lines.length === 0) lines.push(`${ZERO_ID} capabilities^{}`);
  const out = lines.map((l, i) => pktLine(i === 0 ? `${l}\0${caps.join(' ')}\n` : `${l}\n`));
  out.push(FLUSH_PKT);
  return out;
}

/** The protocol v2 capability advertisement of upload-pack. */
export function advertiseV2(): Uint8Array[] {
  const lines = ['version 2', AGENT, 'ls-refs=unborn', 'fetch=wait-for-done', 'server-option', 'object-format=sha1'];
  return [...lines.map((l) => pktLine(`${l}\n`)), FLUSH_PKT];
}
