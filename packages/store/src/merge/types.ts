/**
 * A three-way merge of values of type T. `base` is the value at the common ancestor, undefined when the
 * ancestor had none (both sides added it). Merges return results and never throw: a conflict is data
 * the caller can show, resolve and retry with.
 */
export type Merge<T> = (base: T | undefined, ours: T, theirs: T) => MergeResult<T>;

export type MergeResult<T> = { ok: true; value: T } | { ok: false; conflict: MergeConflict };

export interface MergeConflict {
  /** Why the values could not be merged, for people ("both sides changed field 'email'"). */
  message: string;
  /** Where inside the value the conflict is (field names, map keys); empty for the whole value. */
  path: string[];
}

export function ok<T>(value: T): MergeResult<T> {
  return { ok: true, value };
}

export function conflict<T = never>(message: string, path: string[] = []): MergeResult<T> {
  return { ok: false, conflict: { message, path } };
}

/**
 * How values of one type are stored and merged: the store keeps bytes (git blobs), a content type
 * turns them into values and back, and knows how to merge three of them.
 */
export interface ContentType<T> {
  /** A short name for messages and for choosing a type by name ("json", "counter"). */
  readonly name: string;
  encode(value: T): Uint8Array;
  /** Throws (with a message naming what is wrong) when the bytes are not a value of this type. */
  decode(bytes: Uint8Array): T;
  /** Declared as a method so a ContentType<number> can stand where a ContentType<unknown> is expected (schemas). */
  merge(base: T | undefined, ours: T, theirs: T): MergeResult<T>;
}
