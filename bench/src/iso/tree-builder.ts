import type { TreeEntry } from 'isomorphic-git';

interface Dir {
  /** Entries by name: a blob's id, or a subdirectory with the id it was last written as. */
  entries: Map<string, { blob: string } | { dir: Dir; oid: string | undefined }>;
}

/** Git's tree order: names compared as bytes, a directory as if its name ended with "/". */
function gitOrder(a: TreeEntry, b: TreeEntry): number {
  const x = a.type === 'tree' ? `${a.path}/` : a.path;
  const y = b.type === 'tree' ? `${b.path}/` : b.path;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The fastest way we know to make one commit per key with isomorphic-git without a working directory:
 * keep the whole tree in memory and, per change, write only the trees on the changed path (the
 * unchanged subtrees keep their ids), exactly as our Store and git fast-import do.
 */
export class IsoTreeBuilder {
  private readonly root: Dir = { entries: new Map() };

  constructor(private readonly writeTree: (entries: TreeEntry[]) => Promise<string>) {}

  /** Sets the blob at `path` ("a/b/c") and returns the id of the new root tree. */
  async set(path: string, blobOid: string): Promise<string> {
    const segs = path.split('/');
    const chain: Dir[] = [this.root];
    for (const s of segs.slice(0, -1)) {
      const parent = chain[chain.length - 1]!;
      let e = parent.entries.get(s);
      if (!e || !('dir' in e)) {
        e = { dir: { entries: new Map() }, oid: undefined };
        parent.entries.set(s, e);
      }
      chain.push(e.dir);
    }
    chain[chain.length - 1]!.entries.set(segs[segs.length - 1]!, { blob: blobOid });
    // Write the changed directories bottom-up, each recording its new id in its parent.
    let oid = '';
    for (let i = chain.length - 1; i >= 0; i--) {
      oid = await this.writeTree(this.entriesOf(chain[i]!));
      if (i > 0) chain[i - 1]!.entries.set(segs[i - 1]!, { dir: chain[i]!, oid });
    }
    return oid;
  }

  private entriesOf(dir: Dir): TreeEntry[] {
    const out: TreeEntry[] = [];
    for (const [path, e] of dir.entries) {
      if ('blob' in e) out.push({ mode: '100644', path, oid: e.blob, type: 'blob' });
      else if (e.oid !== undefined) out.push({ mode: '040000', path, oid: e.oid, type: 'tree' });
    }
    return out.sort(gitOrder);
  }
}
