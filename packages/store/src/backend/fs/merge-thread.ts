// The merge thread: one worker thread per process that concatenates packs (concat-packs.ts) for every
// store the process has open, so that the copy and hashing of merged packs run beside the event loop
// instead of on it. It also makes the empty files the write path fills (fresh-files.ts) and deletes
// the packs a merge replaced, each a batch of system calls for one message. It is started at its
// first job, does not keep the process alive while idle, and is started again if it dies. Where there
// can be no thread (a bundle shipped without the module file, or a process whose permissions forbid
// workers, as the sealed daemon's do), merges run on the event loop as before.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StoreError, type StoreErrorCode } from '../../errors.js';
import type { ConcatDone, ConcatJob } from './concat-packs.js';

/** What the thread is asked: a merge, empty files to create (open for reading and writing), or files to delete. */
export type ThreadJob =
  | { id: number; job: ConcatJob }
  | { id: number; create: { paths: string[]; mode: number } }
  | { id: number; remove: { paths: string[] } };

/**
 * What the thread answers: the merge's result, the descriptors of the files it created (null for one
 * it could not), or the error it threw, as data (an Error does not cross threads with its code).
 */
export type MergeReply =
  | { id: number; done: ConcatDone }
  | { id: number; created: (number | null)[] }
  | { id: number; removed: true }
  | { id: number; error: { message: string; code?: StoreErrorCode; data?: Record<string, unknown> } };

const MAIN = new URL('./merge-thread-main.js', import.meta.url);

let worker: Worker | undefined;
let available: boolean | undefined;
let nextId = 0;
/** Jobs the thread has answered: tests check with it that merges really ran there. */
let answered = 0;
const pending = new Map<number, { resolve: (reply: MergeReply) => void; reject: (e: Error) => void }>();

/** Runs `job` on the merge thread; undefined when there is no thread to run it on (the caller runs it itself). */
export function runOffThread(job: ConcatJob): Promise<ConcatDone> | undefined {
  return ask((id) => ({ id, job }))?.then((reply) => (reply as { done: ConcatDone }).done);
}

/**
 * Creates the files `paths` (which must not exist) on the merge thread, each open for reading and
 * writing, and gives their descriptors (null for a file it could not create); undefined when there is
 * no thread (the caller makes them itself).
 */
export function createFilesOffThread(paths: string[], mode: number): Promise<(number | null)[]> | undefined {
  return ask((id) => ({ id, create: { paths, mode } }))?.then((reply) => (reply as { created: (number | null)[] }).created);
}

/**
 * Deletes the files `paths` on the merge thread, in order, those already gone included; undefined
 * when there is no thread (the caller deletes them itself).
 */
export function removeFilesOffThread(paths: string[]): Promise<void> | undefined {
  return ask((id) => ({ id, remove: { paths } }))?.then(() => undefined);
}

function ask(message: (id: number) => ThreadJob): Promise<MergeReply> | undefined {
  available ??= hasMain();
  if (!available) return undefined;
  const thread = worker ?? start();
  if (!thread) return undefined;
  const id = nextId++;
  return new Promise<MergeReply>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    // Pending work keeps the process alive (a command that merges waits for it); an idle thread does not.
    if (pending.size === 1) thread.ref();
    thread.postMessage(message(id));
  });
}

function hasMain(): boolean {
  try {
    return MAIN.protocol === 'file:' && existsSync(fileURLToPath(MAIN));
  } catch {
    return false; // outside what the permission model lets this process read
  }
}

function start(): Worker | undefined {
  let thread: Worker;
  try {
    // The files the thread makes are handed to this one, which writes and closes them: untracked, so
    // that Node neither warns when the thread's next file reuses a number closed here nor closes
    // them (packs this thread reads through) should the thread exit.
    thread = new Worker(MAIN, { name: 'nymote pack merges', trackUnmanagedFds: false });
  } catch {
    // ERR_ACCESS_DENIED under the permission model without --allow-worker: never ask again.
    available = false;
    return undefined;
  }
  thread.unref();
  thread.on('message', (reply: MergeReply) => {
    const waiting = pending.get(reply.id);
    if (!waiting) return;
    settle(thread, reply.id);
    answered++;
    if (!('error' in reply)) waiting.resolve(reply);
    else waiting.reject(reply.error.code ? new StoreError(reply.error.code, reply.error.message, reply.error.data ?? {}) : new Error(reply.error.message));
  });
  const fail = (e: Error): void => {
    if (worker === thread) worker = undefined;
    for (const [id, waiting] of pending) {
      pending.delete(id);
      waiting.reject(new Error(`the pack merge thread failed: ${e.message}`, { cause: e }));
    }
  };
  thread.on('error', fail);
  thread.on('exit', (code) => fail(new Error(`it exited with code ${code}`)));
  worker = thread;
  return thread;
}

function settle(thread: Worker, id: number): void {
  pending.delete(id);
  if (pending.size === 0) thread.unref();
}

/** How many jobs the merge thread has answered in this process. */
export function mergeThreadJobs(): number {
  return answered;
}

/** Stops the merge thread, failing the jobs it has (a test's way to kill it mid-merge); the next job starts another. */
export async function stopMergeThread(): Promise<void> {
  await worker?.terminate();
}
