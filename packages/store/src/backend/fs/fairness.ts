// Keeping the event loop turning while the backend does its I/O synchronously.
//
// The backend reads and writes its small files with direct system calls (see files.ts), so awaiting one of
// its operations settles through the microtask queue alone: the event loop never gets to turn. A caller
// that loops over store operations (a bulk import, a request handler writing many keys) would then keep
// everything else in the process from running until its loop ends: timers, sockets, the watcher, and the
// asynchronous file I/O of a concurrent gc, which would never finish if the loop waits for it. So each
// backend operation checks how long the loop has been busy without turning and, past a short slice, lets
// it turn once (setImmediate runs after the I/O callbacks that are due).

/** Longest stretch of back-to-back backend operations before the event loop is let through. */
const SLICE_MS = 5;

/** When the current stretch began (performance.now()), or -1 when none is being measured. */
let stretchStart = -1;

function loopTurned(): void {
  stretchStart = -1;
}

/**
 * undefined when the event loop turned recently enough; otherwise a promise that resolves after it has
 * turned once, for the caller to await before doing more synchronous work.
 */
export function yieldIfBusy(): Promise<void> | undefined {
  const now = performance.now();
  if (stretchStart < 0) {
    // Start measuring; the immediate fires (and ends the stretch) as soon as the loop turns.
    stretchStart = now;
    setImmediate(loopTurned);
    return undefined;
  }
  if (now - stretchStart < SLICE_MS) return undefined;
  return new Promise((resolve) =>
    setImmediate(() => {
      // The caller resumes with a slice of its own. Otherwise, of several tasks yielding in one turn, the
      // first to resume would spend the slice and each of the others would get a single operation per turn.
      stretchStart = -1;
      resolve();
    }),
  );
}
