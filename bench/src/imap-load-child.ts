// The IMAP benchmark's load process: runs the rounds bench-imap.ts asks for (over IPC) and sends
// back each round's latencies. A process of its own, started fresh for the benchmark, so that the
// clients' speed does not depend on what the benchmark process holds after the rows before (its heap
// after the store and DAV rows made the clients, not the servers, the limit of FETCH).
import { runRound } from './imap-workloads.js';

export interface RoundRequest {
  port: number;
  ms: number;
  workload: string;
  next: number[];
}

process.on('message', (req: RoundRequest) => {
  runRound(req.port, req.ms, req.workload, req.next).then(
    (result) => process.send!({ result }),
    (e: unknown) => process.send!({ error: e instanceof Error ? e.message : String(e) }),
  );
});
process.on('disconnect', () => process.exit(0));
