// The merge thread's entry point (see merge-thread.ts): runs each job it is sent and answers with the
// result, the index's bytes moved rather than copied, or with the error as data. Files to create are
// made at once, between the steps of a merge.
import { parentPort } from 'node:worker_threads';
import { openSync } from 'node:fs';
import { StoreError } from '../../errors.js';
import { concatenateFiles } from './concat-packs.js';
import { removeFile } from './files.js';
import type { MergeReply, ThreadJob } from './merge-thread.js';

const port = parentPort;
if (!port) throw new Error('merge-thread-main.js runs as a worker thread (see merge-thread.ts)');

port.on('message', (message: ThreadJob) => {
  const { id } = message;
  if ('create' in message) {
    port.postMessage({ id, created: createFiles(message.create.paths, message.create.mode) } satisfies MergeReply);
    return;
  }
  if ('remove' in message) {
    try {
      for (const path of message.remove.paths) removeFile(path);
      port.postMessage({ id, removed: true } satisfies MergeReply);
    } catch (e) {
      port.postMessage({ id, error: { message: e instanceof Error ? e.message : String(e) } } satisfies MergeReply);
    }
    return;
  }
  concatenateFiles(message.job).then(
    (done) => port.postMessage({ id, done } satisfies MergeReply, 'index' in done ? ownBuffer(done.index) : []),
    (e: unknown) => {
      const error = e instanceof StoreError
        ? { message: e.message, code: e.code, data: e.data }
        : { message: e instanceof Error ? e.message : String(e) };
      port.postMessage({ id, error } satisfies MergeReply);
    },
  );
});

/** The index's buffer, to move to the other thread, when the index is all of it (builder.encode makes it so). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer[] {
  const { buffer } = bytes;
  return buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength ? [buffer] : [];
}

/** Creates each file, open for reading and writing; null for one that could not be (fresh-files.ts makes its own then). */
function createFiles(paths: readonly string[], mode: number): (number | null)[] {
  return paths.map((path) => {
    try {
      return openSync(path, 'wx+', mode);
    } catch {
      return null;
    }
  });
}
