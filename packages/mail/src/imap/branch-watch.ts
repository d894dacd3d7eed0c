import type { Store } from '@nymote/store';

/**
 * Tells sessions when a user's branch moved, whoever moved it (this process, the CLI's undo, SMTP
 * delivery in another process): one ref watch for the whole server, listeners by branch.
 */
export class BranchWatch {
  private readonly listeners = new Map<string, Set<(head: string | undefined) => void>>();
  private stop: (() => void) | undefined;

  constructor(private readonly store: Store) {}

  /** Calls `listener` with the branch's new head whenever it moves. */
  on(branch: string, listener: (head: string | undefined) => void): () => void {
    this.stop ??= this.store.backend.refs.watch((u) => {
      const set = this.listeners.get(u.name);
      if (set) for (const l of [...set]) l(u.next);
    });
    const ref = `refs/heads/${branch}`;
    let set = this.listeners.get(ref);
    if (!set) this.listeners.set(ref, (set = new Set()));
    set.add(listener);
    return () => {
      set!.delete(listener);
      if (set!.size === 0) this.listeners.delete(ref);
    };
  }

  close(): void {
    this.stop?.();
    this.stop = undefined;
    this.listeners.clear();
  }
}
