// A minimal in-memory file system with the promise API isomorphic-git needs (its "fs" contract:
// readFile, writeFile, unlink, readdir, mkdir, rmdir, stat, lstat, readlink, symlink), for the
// in-memory write benchmark. No symbolic links: readlink and symlink fail, which a bare repository never needs.

type Node = { kind: 'file'; data: Buffer; mtimeMs: number } | { kind: 'dir'; children: Set<string>; mtimeMs: number };

function fsError(code: string, op: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${op} '${path}'`), { code, path });
}

function normalize(path: string): string {
  const parts: string[] = [];
  for (const p of path.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return '/' + parts.join('/');
}

function split(path: string): [parent: string, name: string] {
  const i = path.lastIndexOf('/');
  return [i <= 0 ? '/' : path.slice(0, i), path.slice(i + 1)];
}

class Stats {
  readonly size: number;
  readonly mode: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly ino = 0;
  readonly uid = 0;
  readonly gid = 0;
  readonly dev = 0;
  constructor(private readonly node: Node) {
    this.size = node.kind === 'file' ? node.data.length : 0;
    this.mode = node.kind === 'file' ? 0o100644 : 0o40000;
    this.mtimeMs = node.mtimeMs;
    this.ctimeMs = node.mtimeMs;
  }
  isFile(): boolean {
    return this.node.kind === 'file';
  }
  isDirectory(): boolean {
    return this.node.kind === 'dir';
  }
  isSymbolicLink(): boolean {
    return false;
  }
}

type Encoding = { encoding?: string | null } | string | undefined;
const wantsString = (o: Encoding) => (typeof o === 'string' ? o : o?.encoding) === 'utf8';

export class MemFs {
  private readonly nodes = new Map<string, Node>([['/', { kind: 'dir', children: new Set(), mtimeMs: Date.now() }]]);

  private dirAt(path: string, op: string): Extract<Node, { kind: 'dir' }> {
    const n = this.nodes.get(path);
    if (!n) throw fsError('ENOENT', op, path);
    if (n.kind !== 'dir') throw fsError('ENOTDIR', op, path);
    return n;
  }

  private add(path: string, node: Node, op: string): void {
    const [parent, name] = split(path);
    this.dirAt(parent, op).children.add(name);
    this.nodes.set(path, node);
  }

  private delete(path: string): void {
    const [parent, name] = split(path);
    this.nodes.delete(path);
    const p = this.nodes.get(parent);
    if (p?.kind === 'dir') p.children.delete(name);
  }

  /** The API isomorphic-git calls (it uses `promises` when that is an own enumerable property). */
  readonly promises = {
    readFile: async (p: string, options?: Encoding): Promise<Buffer | string> => {
      const path = normalize(p);
      const n = this.nodes.get(path);
      if (!n) throw fsError('ENOENT', 'open', path);
      if (n.kind === 'dir') throw fsError('EISDIR', 'read', path);
      return wantsString(options) ? n.data.toString('utf8') : n.data;
    },
    writeFile: async (p: string, data: Uint8Array | string): Promise<void> => {
      const path = normalize(p);
      const existing = this.nodes.get(path);
      if (existing?.kind === 'dir') throw fsError('EISDIR', 'open', path);
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
      if (existing) this.nodes.set(path, { kind: 'file', data: bytes, mtimeMs: Date.now() });
      else this.add(path, { kind: 'file', data: bytes, mtimeMs: Date.now() }, 'open');
    },
    unlink: async (p: string): Promise<void> => {
      const path = normalize(p);
      const n = this.nodes.get(path);
      if (!n) throw fsError('ENOENT', 'unlink', path);
      if (n.kind === 'dir') throw fsError('EISDIR', 'unlink', path);
      this.delete(path);
    },
    readdir: async (p: string): Promise<string[]> => [...this.dirAt(normalize(p), 'scandir').children].sort(),
    mkdir: async (p: string): Promise<void> => {
      const path = normalize(p);
      if (this.nodes.has(path)) throw fsError('EEXIST', 'mkdir', path);
      this.add(path, { kind: 'dir', children: new Set(), mtimeMs: Date.now() }, 'mkdir');
    },
    rmdir: async (p: string): Promise<void> => {
      const path = normalize(p);
      const n = this.dirAt(path, 'rmdir');
      if (n.children.size > 0) throw fsError('ENOTEMPTY', 'rmdir', path);
      this.delete(path);
    },
    stat: async (p: string): Promise<Stats> => {
      const path = normalize(p);
      const n = this.nodes.get(path);
      if (!n) throw fsError('ENOENT', 'stat', path);
      return new Stats(n);
    },
    lstat: async (p: string): Promise<Stats> => this.promises.stat(p),
    readlink: async (p: string): Promise<string> => {
      throw fsError(this.nodes.has(normalize(p)) ? 'EINVAL' : 'ENOENT', 'readlink', p);
    },
    symlink: async (_target: string, p: string): Promise<void> => {
      throw fsError('ENOSYS', 'symlink', p);
    },
    chmod: async (): Promise<void> => {},
  };
}
