import { Tree, diffTrees, type Store } from '@nymote/store';
import { BOXES, MAILBOX_FILE, boxName, decodeJson, parseMessagePath, type MailboxMeta, type MessageMeta } from './layout.js';

/** What undoing one commit does to a mailbox, computed from the commit's own changes. */
export interface BoxUndo {
  name: string;
  /** The commit created the mailbox (its tree then): undo deletes it, if it did not change since or is empty. */
  created?: { meta: MailboxMeta; treeId: string };
  /** The commit deleted the mailbox: undo makes it again, with its messages as they were (and a new UIDVALIDITY). */
  deleted?: { meta: MailboxMeta; treeId: string };
  /** The commit changed the subscription. */
  subscribed?: { before: boolean; after: boolean };
  /** Messages the commit added (delivered, appended, copied or moved in): undo removes them. */
  added: number[];
  /** Messages the commit removed (expunged, moved out): undo brings them back under new UIDs. */
  removed: { uid: number; blob: string; meta: MessageMeta & { size: number } }[];
  /** Flag changes: undo reverses each (flags it added are removed, flags it removed come back). */
  flags: { uid: number; before: string[]; after: string[] }[];
}

/**
 * The mail changes of `commit` against its first parent, mailbox by mailbox. Mail cannot be undone
 * by reverting the tree: a message that comes back must get a new UID (clients have forgotten the
 * old one for good, RFC 3501 2.3.1.1) and every change needs a MODSEQ above all earlier ones
 * (RFC 7162), so the plan is replayed as new mail operations.
 */
export async function planUndo(store: Store, commit: string): Promise<BoxUndo[]> {
  const c = await store.objects.commit(commit);
  const parentTree = c.parents[0] ? (await store.objects.commit(c.parents[0])).tree : undefined;
  const boxes = new Map<string, BoxUndo>();
  const boxOf = (segment: string) => {
    const name = boxName(segment);
    let b = boxes.get(name);
    if (!b) boxes.set(name, (b = { name, added: [], removed: [], flags: [] }));
    return b;
  };
  const raws = new Map<string, { old?: string; new?: string }>();
  const records = new Map<string, { old?: string; new?: string }>();
  for await (const change of diffTrees(store.objects, parentTree, c.tree)) {
    if (!change.key.startsWith(`${BOXES}/`)) continue;
    const rest = change.key.slice(BOXES.length + 1);
    const slash = rest.indexOf('/');
    const segment = rest.slice(0, slash);
    const rel = rest.slice(slash + 1);
    if (rel === MAILBOX_FILE) {
      const b = boxOf(segment);
      const before = change.old ? decodeJson<MailboxMeta>(await store.objects.blob(change.old), change.key) : undefined;
      const after = change.new ? decodeJson<MailboxMeta>(await store.objects.blob(change.new), change.key) : undefined;
      if (!before && after) b.created = { meta: after, treeId: (await (await Tree.at(store.objects, c.tree)).idOf(`${BOXES}/${segment}`))! };
      else if (before && !after) b.deleted = { meta: before, treeId: (await (await Tree.at(store.objects, parentTree)).idOf(`${BOXES}/${segment}`))! };
      else if (before && after && before.subscribed !== after.subscribed) b.subscribed = { before: before.subscribed, after: after.subscribed };
      continue;
    }
    const path = parseMessagePath(rel);
    if (!path) continue;
    const table = path.kind === 'raw' ? raws : records;
    table.set(`${segment}\0${path.uid}`, { ...(change.old ? { old: change.old } : {}), ...(change.new ? { new: change.new } : {}) });
  }
  for (const [k, r] of records) {
    const [segment, uidText] = k.split('\0') as [string, string];
    const b = boxOf(segment);
    if (b.created || b.deleted) continue; // whole mailboxes are handled as one
    const uid = Number(uidText);
    if (!r.old && r.new) b.added.push(uid);
    else if (r.old && !r.new) {
      const blob = raws.get(k)?.old;
      if (blob) b.removed.push({ uid, blob, meta: decodeJson<MessageMeta & { size: number }>(await store.objects.blob(r.old), `record ${uid}`) });
    } else if (r.old && r.new) {
      const before = decodeJson<MessageMeta>(await store.objects.blob(r.old), `record ${uid}`).flags;
      const after = decodeJson<MessageMeta>(await store.objects.blob(r.new), `record ${uid}`).flags;
      b.flags.push({ uid, before, after });
    }
  }
  return [...boxes.values()].filter((b) => b.created || b.deleted || b.subscribed || b.added.length || b.removed.length || b.flags.length);
}
