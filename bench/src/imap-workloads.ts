// The IMAP benchmark's workloads and the loop that drives them: what its load process
// (imap-load-child.ts) runs against either server, and the data set both servers start with.
import { ImapClient } from './imap-client.js';

export const USER = 'bench';
export const PASSWORD = 'bench password';
/** Messages in the INBOX both servers start with. */
export const MESSAGES = 1_000;
/** Clients connected at once. */
export const CLIENTS = 8;
/** Messages per FETCH of headers: a page of a message list. */
const PAGE = 20;

export const WORDS = ['invoice', 'meeting', 'report', 'lunch', 'holiday', 'budget', 'review', 'release', 'travel', 'contract'];

/** Message `i` of the data set, CRLF: a few kilobytes of plain text, subjects from a small vocabulary. */
export function benchMessage(i: number): string {
  const day = 1 + (i % 28);
  const subject = `${WORDS[i % WORDS.length]} ${Math.floor(i / WORDS.length)}`;
  const body = Array.from({ length: 30 + (i % 40) }, (_, k) => `Line ${k} of message ${i}: ${WORDS[(i + k) % WORDS.length]} and some more words to fill it.`);
  return [
    `From: Sender ${i % 37} <sender${i % 37}@example.net>`, `To: ${USER}@example.org`, `Subject: ${subject}`,
    `Date: ${String(day).padStart(2, '0')} Oct 2026 10:${String(i % 60).padStart(2, '0')}:00 +0000`, `Message-ID: <m${i}@example.net>`,
    'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', ...body, '',
  ].join('\r\n');
}

/** One kind of work for `CLIENTS` loops: per-client state made once per round, then steps for the round's time. */
export interface Workload<S> {
  name: string;
  what: string;
  setup(port: number): Promise<S>;
  step(state: S, n: number): Promise<void>;
  teardown(state: S): Promise<void> | void;
}

export async function loggedIn(port: number): Promise<ImapClient> {
  const c = await ImapClient.open(port);
  await c.ok(`LOGIN ${USER} "${PASSWORD}"`);
  await c.ok('SELECT INBOX');
  return c;
}

/** A command repeated by logged-in clients with INBOX selected. */
function command(name: string, what: string, step: (c: ImapClient, n: number) => Promise<unknown>): Workload<ImapClient> {
  return { name, what, setup: loggedIn, step: (c, n) => step(c, n).then(() => undefined), teardown: (c) => c.close() };
}

export const OPERATIONS: Workload<ImapClient>[] = [
  command('SELECT', 'SELECT INBOX', (c) => c.ok('SELECT INBOX')),
  command('FETCH headers', `UID FETCH of ${PAGE} messages' FLAGS, size and 5 header fields`, (c, n) => {
    const first = 1 + ((n * 7919) % (MESSAGES - PAGE));
    return c.ok(`UID FETCH ${first}:${first + PAGE - 1} (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID)])`);
  }),
  // Every STORE changes something (a STORE that changes nothing makes no commit on ours): client i
  // flags its own messages (UID ≡ i + 1 mod CLIENTS) one after another, then unflags them.
  command('STORE flags', 'UID STORE of one message, +FLAGS / -FLAGS \\Flagged, each a change', (c, n) => {
    const own = Math.floor(MESSAGES / CLIENTS);
    const k = Math.floor(n / CLIENTS);
    return c.ok(`UID STORE ${1 + (n % CLIENTS) + CLIENTS * (k % own)} ${Math.floor(k / own) % 2 ? '-' : '+'}FLAGS (\\Flagged)`);
  }),
  command('SEARCH', 'UID SEARCH of the subject and a flag', (c, n) => c.ok(`UID SEARCH UNDELETED SUBJECT "${WORDS[n % WORDS.length]} 4"`)),
  command('APPEND', 'APPEND of a 3 kB message (LITERAL+)', (c, n) => c.ok('APPEND INBOX (\\Seen)', Buffer.from(benchMessage(MESSAGES + n)))),
];

export const LOGINS: Workload<number> = {
  name: 'LOGIN', what: 'LOGIN + LOGOUT on a new connection',
  setup: async (port) => port,
  step: async (port) => {
    const c = await ImapClient.open(port);
    await c.ok(`LOGIN ${USER} "${PASSWORD}"`);
    await c.command('LOGOUT');
    c.close();
  },
  teardown: () => undefined,
};

/** What one round of a workload gave: every step's latency (ms), the rate, each client's next step. */
export interface RoundResult {
  latencies: number[];
  perSecond: number;
  next: number[];
}

/** The workloads by name: SELECT, FETCH headers, STORE flags, SEARCH, APPEND (OPERATIONS), then LOGIN. */
export const WORKLOADS = new Map<string, Workload<unknown>>([...OPERATIONS, LOGINS].map((w) => [w.name, w as Workload<unknown>]));

/**
 * `CLIENTS` loops of workload `name` against `port` for `ms`; client i starts at step `next[i]` (a
 * round goes on where the last one stopped, so no STORE repeats one).
 */
export async function runRound(port: number, ms: number, name: string, next: readonly number[]): Promise<RoundResult> {
  const w = WORKLOADS.get(name);
  if (!w) throw new Error(`no IMAP workload ${name}`);
  const steps = [...next];
  const states = await Promise.all(Array.from({ length: CLIENTS }, () => w.setup(port)));
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + ms;
  await Promise.all(states.map(async (state, i) => {
    for (let n = steps[i]!; performance.now() < end; n += CLIENTS) {
      const begun = performance.now();
      await w.step(state, n);
      latencies.push(performance.now() - begun);
      steps[i] = n + CLIENTS;
    }
  }));
  const perSecond = latencies.length / ((performance.now() - start) / 1000);
  await Promise.all(states.map((s) => w.teardown(s)));
  return { latencies, perSecond, next: steps };
}
