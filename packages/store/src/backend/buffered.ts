import type { BatchObject, ObjectStore } from './types.js';
import type { ObjectId } from '../git/id.js';
import type { ObjectType, RawObject } from '../git/object.js';

/**
 * Holds new objects in memory over another ObjectStore until `flush`, which hands them over in one
 * writeBatch (one packfile on disk). Bulk imports use it, as git fast-import does, so that thousands
 * of commits do not become tens of thousands of loose files.
 */
export class BufferedObjects implements ObjectStore {
  private pending = new Map<ObjectId, BatchObject & { id: ObjectId }>();

  constructor(private readonly inner: ObjectStore) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  hash(type: ObjectType, body: Uint8Array): ObjectId {
    return this.inner.hash(type, body);
  }
  async read(id: ObjectId): Promise<RawObject | undefined> {
    return this.pending.get(id) ?? this.inner.read(id);
  }
  async has(id: ObjectId): Promise<boolean> {
    return this.pending.has(id) || this.inner.has(id);
  }
  async write(type: ObjectType, body: Uint8Array): Promise<ObjectId> {
    return this.add({ type, body });
  }
  async writeBatch(objects: readonly BatchObject[]): Promise<ObjectId[]> {
    return objects.map((o) => this.add(o));
  }
  private add(o: BatchObject): ObjectId {
    const id = o.id ?? this.hash(o.type, o.body);
    if (!this.pending.has(id)) this.pending.set(id, { ...o, id });
    return id;
  }
  /** Stores everything pending in the inner store, as one batch. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    await this.inner.writeBatch(batch);
    this.pending = new Map();
  }
}
