import type { Backend, ObjectStore, RefStore, RefUpdate } from './types.js';
import type { ObjectId } from '../git/id.js';
import { hashObject, type ObjectType, type RawObject, type Sha1 } from '../git/object.js';
import { portableSha1 } from '../git/sha1.js';

class MemoryObjects implements ObjectStore {
  private readonly objects = new Map<ObjectId, RawObject>();
  constructor(private readonly sha1: Sha1) {}

  async read(id: ObjectId): Promise<RawObject | undefined> {
    return this.objects.get(id);
  }
  async has(id: ObjectId): Promise<boolean> {
    return this.objects.has(id);
  }
  hash(type: ObjectType, body: Uint8Array): ObjectId {
    return hashObject(this.sha1, type, body);
  }
  async write(type: ObjectType, body: Uint8Array, known?: ObjectId): Promise<ObjectId> {
    const id = known ?? this.hash(type, body);
    // Copy: the caller may reuse its buffer, and stored objects must never change.
    if (!this.objects.has(id)) this.objects.set(id, { type, body: body.slice() });
    return id;
  }
  async writeBatch(objects: readonly (RawObject & { id?: ObjectId })[]): Promise<ObjectId[]> {
    const ids: ObjectId[] = [];
    for (const o of objects) ids.push(await this.write(o.type, o.body, o.id));
    return ids;
  }
  async findByPrefix(prefix: string, limit = Infinity): Promise<ObjectId[]> {
    const out: ObjectId[] = [];
    for (const id of this.objects.keys()) {
      if (out.length >= limit) break;
      if (id.startsWith(prefix)) out.push(id);
    }
    return out.sort();
  }
  get size(): number {
    return this.objects.size;
  }
}

type RefValue = { id: ObjectId } | { symbolic: string };

class MemoryRefs implements RefStore {
  private readonly refs = new Map<string, RefValue>([['HEAD', { symbolic: 'refs/heads/main' }]]);
  private readonly listeners = new Set<(u: RefUpdate) => void>();

  private resolve(name: string, depth = 0): string {
    const v = this.refs.get(name);
    if (v && 'symbolic' in v && depth < 5) return this.resolve(v.symbolic, depth + 1);
    return name;
  }
  async read(name: string): Promise<ObjectId | undefined> {
    const v = this.refs.get(this.resolve(name));
    return v && 'id' in v ? v.id : undefined;
  }
  async list(prefix: string): Promise<Map<string, ObjectId>> {
    const out = new Map<string, ObjectId>();
    for (const [k, v] of [...this.refs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (k.startsWith(prefix) && 'id' in v) out.set(k, v.id);
    }
    return out;
  }
  async compareAndSwap(name: string, expected: ObjectId | undefined, next: ObjectId | undefined): Promise<boolean> {
    const target = this.resolve(name);
    const current = await this.read(target);
    if (current !== expected) return false;
    if (next === undefined) this.refs.delete(target);
    else this.refs.set(target, { id: next });
    if (current !== next) for (const l of this.listeners) l({ name: target, old: current, next });
    return true;
  }
  async readSymbolic(name: string): Promise<string | undefined> {
    const v = this.refs.get(name);
    return v && 'symbolic' in v ? v.symbolic : undefined;
  }
  async writeSymbolic(name: string, target: string): Promise<void> {
    this.refs.set(name, { symbolic: target });
  }
  watch(listener: (u: RefUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** A whole repository in memory: for tests, browsers and scratch work. Nothing survives the process. */
export function memoryBackend(options: { sha1?: Sha1 } = {}): Backend {
  return {
    objects: new MemoryObjects(options.sha1 ?? portableSha1),
    refs: new MemoryRefs(),
    close: async () => {},
  };
}
