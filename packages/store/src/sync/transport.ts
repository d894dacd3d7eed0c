// What fetch, pull and push need from "the other repository", whatever carries the bytes: Git's smart
// HTTP protocol (http-transport.ts) or a repository on this machine (local-transport.ts, Node only).
import type { ObjectId } from '../git/id.js';

/** The refs a remote advertises. */
export interface RemoteRefs {
  /** Full ref names ("refs/heads/main") to the ids they point at. */
  refs: Map<string, ObjectId>;
  /** What the remote's HEAD points at ("refs/heads/main"), when it says. */
  head: string | undefined;
  /** Capabilities the remote offered (push: "report-status", "ofs-delta", "delete-refs", ...). */
  capabilities: Set<string>;
}

/** One step of a long transfer, for a progress display like git's. */
export type SyncProgress =
  | { phase: 'counting' | 'compressing' | 'writing' | 'receiving' | 'resolving'; done: number; total: number | undefined }
  /** A line the remote sent on its progress channel ("remote: Counting objects..."). */
  | { phase: 'remote'; message: string };

export interface FetchPackRequest {
  wants: ObjectId[];
  /** Commits we have (ref tips, then some of their ancestors), so the remote can leave out what we hold. */
  haves: ObjectId[];
  onProgress?: (p: SyncProgress) => void;
}

/** One ref update asked of the remote by a push (old/new undefined: create/delete). */
export interface PushCommand {
  ref: string;
  old: ObjectId | undefined;
  next: ObjectId | undefined;
}

export interface PushReport {
  /** Per ref: undefined when updated, else the remote's reason for refusing. */
  results: Map<string, string | undefined>;
}

export interface Transport {
  /** The remote as the user named it, without credentials: for messages. */
  readonly url: string;
  /** Refs for fetching (only refs/heads/*, refs/tags/* and HEAD are asked for). */
  listRefs(): Promise<RemoteRefs>;
  /** A pack (possibly thin) of what `wants` reach minus what `haves` reach, as it arrives. */
  fetchPack(request: FetchPackRequest): Promise<AsyncIterable<Uint8Array> | Uint8Array>;
  /** Refs and capabilities for pushing. */
  listPushRefs(): Promise<RemoteRefs>;
  /** Sends the commands and the pack (undefined when only deleting); never throws for a refused ref. */
  push(commands: PushCommand[], pack: Uint8Array | undefined, options: { onProgress?: (p: SyncProgress) => void }): Promise<PushReport>;
  close(): Promise<void>;
}
