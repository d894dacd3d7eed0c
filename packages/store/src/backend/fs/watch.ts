// Ref change notifications. Updates made through this backend are reported as they happen; updates by
// other processes (another store, `git update-ref`, `git fetch`) are found by comparing the refs on disk
// with the last known state, when fs.watch says something under refs/ or packed-refs changed (debounced),
// and on a slow poll as well, because fs.watch can drop events (inotify queue overflow, network file
// systems, a watcher that failed to start). Each change is reported once.
import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { RefUpdate } from '../types.js';
import type { ObjectId } from '../../git/id.js';

export interface WatcherOptions {
  /** Quiet time after a file event before rescanning; git writes several files per update. */
  debounceMs?: number;
  /** The fallback poll. */
  pollMs?: number;
  /** Told when scanning fails (once per distinct failure, not on every poll). */
  onWarning?: (message: string) => void;
}

type Listener = (update: RefUpdate) => void;

export class RefWatcher {
  private readonly listeners = new Set<Listener>();
  /** The refs as last reported; only meaningful while someone listens. */
  private known = new Map<string, ObjectId>();
  private tree: TreeWatcher | undefined;
  private root: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private scanning = false;
  private rescan = false;
  /** Refs updated through this process while a scan ran: the scan's view of them may predate the update. */
  private readonly touched = new Set<string>();
  private readonly debounceMs: number;
  private readonly pollMs: number;
  /** Bumped by start/stop, so a scan that began before a restart does not apply a stale view. */
  private generation = 0;
  private readonly onWarning: (message: string) => void;
  private lastFailure: string | undefined;

  constructor(
    private readonly dir: string,
    private readonly list: () => Promise<Map<string, ObjectId>>,
    private readonly listSync: () => Map<string, ObjectId>,
    options: WatcherOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 25;
    this.pollMs = options.pollMs ?? 1000;
    this.onWarning = options.onWarning ?? (() => {});
  }

  add(listener: Listener): () => void {
    if (this.listeners.size === 0) this.start();
    this.listeners.add(listener);
    return () => {
      if (this.listeners.delete(listener) && this.listeners.size === 0) this.stop();
    };
  }

  /** An update this process made (under the ref's lock, so `old` is exact). */
  local(update: RefUpdate): void {
    if (this.listeners.size === 0) return;
    // Only refs/ is scanned (as list('') sees it); a detached HEAD and its kin are reported but not tracked.
    if (!update.name.startsWith('refs/')) return this.emit(update);
    if (this.scanning) this.touched.add(update.name);
    const seen = this.known.get(update.name);
    // A scan may already have reported it (the file event can beat our own notification).
    if (seen === update.next) return;
    // Another process moved the ref in between, unnoticed yet: report that step first so listeners see
    // a consistent chain of updates.
    if (seen !== update.old) this.emit({ name: update.name, old: seen, next: update.old });
    this.set(update.name, update.next);
    this.emit(update);
  }

  stop(): void {
    this.generation++;
    this.tree?.close();
    this.root?.close();
    this.tree = this.root = undefined;
    clearInterval(this.poll);
    clearTimeout(this.debounce);
    this.poll = this.debounce = undefined;
    this.listeners.clear();
    this.known.clear();
  }

  private start(): void {
    this.generation++;
    // Synchronous on purpose: a change made right after watch() returns must be reported, so the state it
    // is compared against must be taken before watch() returns.
    this.known = this.listSync();
    const onEvent = (): void => this.schedule();
    this.tree = new TreeWatcher(join(this.dir, 'refs'), onEvent);
    this.root = watchQuietly(this.dir, (file) => {
      // Git replaces packed-refs by renaming packed-refs.lock over it.
      if (file === undefined || file.startsWith('packed-refs')) onEvent();
    });
    this.poll = setInterval(() => void this.scan(), this.pollMs);
    this.poll.unref();
  }

  private schedule(): void {
    if (this.debounce || this.listeners.size === 0) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.scan();
    }, this.debounceMs);
    this.debounce.unref();
  }

  private async scan(): Promise<void> {
    if (this.scanning) {
      this.rescan = true;
      return;
    }
    this.scanning = true;
    this.touched.clear();
    const generation = this.generation;
    try {
      const now = await this.list();
      if (generation === this.generation && this.listeners.size > 0) this.apply(now);
      this.lastFailure = undefined;
    } catch (e) {
      // Often transient (a directory removed mid-walk): the next event or poll tries again. A lasting
      // failure (a corrupt packed-refs) is worth saying, once.
      const message = `watching refs in ${this.dir}: ${(e as Error).message}`;
      if (message !== this.lastFailure) this.onWarning(message);
      this.lastFailure = message;
    } finally {
      this.scanning = false;
      this.touched.clear();
      if (this.rescan) {
        this.rescan = false;
        this.schedule();
      }
    }
  }

  private apply(now: Map<string, ObjectId>): void {
    for (const [name, id] of now) {
      if (this.touched.has(name)) continue;
      const old = this.known.get(name);
      if (old !== id) {
        this.known.set(name, id);
        this.emit({ name, old, next: id });
      }
    }
    for (const [name, old] of [...this.known]) {
      if (!now.has(name) && !this.touched.has(name)) {
        this.known.delete(name);
        this.emit({ name, old, next: undefined });
      }
    }
  }

  private set(name: string, id: ObjectId | undefined): void {
    if (id === undefined) this.known.delete(name);
    else this.known.set(name, id);
  }

  private emit(update: RefUpdate): void {
    for (const l of [...this.listeners]) {
      try {
        l(update);
      } catch (e) {
        // One failing listener must not starve the others or break the ref update that notified it;
        // rethrown outside, like an exception in a timer callback, so the bug is not swallowed.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }
}

/**
 * fs.watch without keeping the process alive (persistent: false, unref), calling `onEvent` with the
 * name of what changed. Undefined when the directory cannot be watched (missing, inotify watches used
 * up): the poll covers that case. A watcher that fails later closes itself.
 */
function watchQuietly(dir: string, onEvent: (file: string | undefined) => void, onError?: () => void): FSWatcher | undefined {
  try {
    const w = watch(dir, { persistent: false }, (_event, file) => onEvent(file === null ? undefined : String(file)));
    w.on('error', () => {
      w.close();
      onError?.();
    });
    w.unref();
    return w;
  } catch {
    return undefined;
  }
}

/**
 * One watcher per directory of a tree, following directories as they come and go. Not Node's
 * `recursive: true`: on Linux, Node 20 implements that with one inotify watch per file, which a
 * repository with many refs exhausts; ref updates always create and rename files, which the directory's
 * own watch reports.
 */
class TreeWatcher {
  private readonly watchers = new Map<string, FSWatcher>();

  constructor(root: string, private readonly onChange: () => void) {
    this.add(root);
  }

  close(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private add(dir: string): void {
    if (this.watchers.has(dir)) return;
    const w = watchQuietly(dir, (file) => this.onEvent(dir, file), () => this.remove(dir));
    if (!w) return;
    this.watchers.set(dir, w);
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) this.add(join(dir, e.name));
  }

  private remove(dir: string): void {
    for (const [d, w] of this.watchers) {
      if (d === dir || d.startsWith(dir + '/')) {
        w.close();
        this.watchers.delete(d);
      }
    }
  }

  private onEvent(dir: string, file: string | undefined): void {
    this.onChange();
    // A new directory (refs/heads/team/) needs a watcher of its own; a vanished one frees its watcher.
    if (file === undefined || file.endsWith('.lock')) return;
    const path = join(dir, file);
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      // gone
    }
    if (isDir) this.add(path);
    else if (this.watchers.has(path)) this.remove(path);
  }
}
