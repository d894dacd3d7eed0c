#!/usr/bin/env node
// The `nymote` executable: wires the command line to this process (streams, signals, exit status).
import { run } from './cli.js';
import type { Io } from './io.js';

let interrupted: Promise<void> | undefined;

const io: Io = {
  stdin: process.stdin,
  stdout: { write: (chunk) => void process.stdout.write(chunk) },
  stderr: { write: (chunk) => void process.stderr.write(chunk), isTTY: process.stderr.isTTY === true },
  env: process.env,
  interrupted() {
    interrupted ??= new Promise((resolve) => {
      // A pending promise does not keep Node running, and the store's watchers are unref'd (a library
      // must not hold its user's process open): this timer keeps us alive until the signal.
      const alive = setInterval(() => {}, 1 << 30);
      const stop = () => {
        clearInterval(alive);
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return interrupted;
  },
};

// `nymote store log | head` closes our stdout early; that is the reader's choice, not our failure.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  process.stderr.write(`nymote: cannot write to stdout: ${e.message}\n`);
  process.exit(1);
});

const status = await run(process.argv.slice(2), io);
// Exit explicitly once output is flushed: a command may leave stdin open or a watcher behind, and
// the status must not depend on that.
const flushed = (s: NodeJS.WriteStream) => new Promise<void>((resolve) => s.write('', () => resolve()));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(status);
