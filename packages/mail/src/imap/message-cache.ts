import { Lru } from '@nymote/store';
import type { Mailstore } from '../mailstore/mailstore.js';
import { parseStructure, type MimePart } from '../mime/index.js';

export interface LoadedMessage {
  raw: Uint8Array;
  root: MimePart;
  /** Text SEARCH compares, decoded and folded once per message (then kept while it is cached). */
  folded?: Map<string, string[]>;
  /** Header sections FETCH has answered (they are views into raw or small copies), by section. */
  sections?: Map<string, Uint8Array>;
}

/**
 * Messages read for FETCH and SEARCH, with their parsed structure, by blob id: a client that fetches
 * the envelope, then the structure, then a part of the same message reads and parses it once. One
 * cache serves every session of a server: a blob id names the same bytes forever (git addresses
 * content by hash), and a session only asks for blobs its own mailbox views name.
 * Bounded by bytes, so a few huge attachments cannot hold the memory.
 */
export class MessageCache {
  private readonly entries: Lru<string, LoadedMessage>;
  /** Reads under way: sessions asking for the same message at once read it once. */
  private readonly reading = new Map<string, Promise<LoadedMessage>>();

  constructor(maxBytes = 32 * 1024 * 1024) {
    this.entries = new Lru(maxBytes, (m) => m.raw.length, maxBytes / 4);
  }

  load(mailstore: Mailstore, blob: string): Promise<LoadedMessage> {
    const hit = this.entries.get(blob);
    if (hit) return Promise.resolve(hit);
    let pending = this.reading.get(blob);
    if (!pending) {
      pending = this.read(mailstore, blob).finally(() => this.reading.delete(blob));
      this.reading.set(blob, pending);
    }
    return pending;
  }

  private async read(mailstore: Mailstore, blob: string): Promise<LoadedMessage> {
    const raw = await mailstore.message(blob);
    const loaded = { raw, root: parseStructure(raw) };
    this.entries.set(blob, loaded);
    return loaded;
  }
}
