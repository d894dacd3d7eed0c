// Mail: our IMAP server (`nymote mail serve`, a child process) against Dovecot 2.3 (Debian
// dovecot-imapd, a child process with a temporary configuration), both on 127.0.0.1 with the same
// mailbox of generated messages, driven by the same raw-socket client (imap-client.ts): N clients
// at once doing one kind of command for a fixed time, then logins.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImapClient } from './imap-client.js';
import { freePort, stop } from './processes.js';
import { waitForQuiet } from './quiet.js';
import type { Benchmark, Context, Row } from './types.js';

const DOVECOT = '/usr/sbin/dovecot';
const NYMOTE = fileURLToPath(new URL('../../../packages/nymote/bin/nymote.js', import.meta.url));
const USER = 'bench';
const PASSWORD = 'bench password';
const BENCH = '7 imap';
/** Messages in the INBOX both servers start with. */
const MESSAGES = 1_000;
/** Clients connected at once. */
const CLIENTS = 8;
/** Messages per FETCH of headers: a page of a message list. */
const PAGE = 20;
/** Rounds per workload in a full run, the servers taking turns (two with --quick). */
const ROUNDS = 5;

interface Peer {
  name: string;
  port: number;
  close(): Promise<void>;
}

const WORDS = ['invoice', 'meeting', 'report', 'lunch', 'holiday', 'budget', 'review', 'release', 'travel', 'contract'];

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

async function waitForPort(port: number, child: ChildProcess, name: string, output: () => string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${output()}`);
    try {
      const c = await ImapClient.open(port);
      c.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${name} did not answer on port ${port}: ${output()}`);
}

function run(args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [NYMOTE, ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    child.stdin!.end(input ?? '');
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nymote ${args.join(' ')} exited with ${code}: ${err}`))));
  });
}

async function startOurs(dir: string): Promise<Peer> {
  const data = join(dir, 'data');
  await run(['user', '--data', data, 'add', USER], `${PASSWORD}\n`);
  // mboxrd: a "From " line before each message; none of the bench's lines starts with "From ".
  const mbox = join(dir, 'inbox.mbox');
  await writeFile(mbox, Array.from({ length: MESSAGES }, (_, i) => `From sender@example.net Mon Oct  5 10:00:00 2026\n${benchMessage(i).replace(/\r\n/g, '\n')}\n`).join(''));
  await run(['mail', '--data', data, 'import', USER, 'INBOX', mbox]);
  const port = await freePort();
  const profile = process.env['NYMOTE_BENCH_PROFILE'];
  const child = spawn(process.execPath, [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), NYMOTE, 'mail', '--data', data, 'serve',
    '--imap-port', String(port), '--smtp-port', '0', '--submission-port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (c: Buffer) => { errors = (errors + c.toString()).slice(-4000); });
  await waitForPort(port, child, 'nymote mail serve', () => errors);
  return { name: 'ours', port, close: () => stop(child) };
}

/**
 * Dovecot as a child of ours, all in `dir`: its own base_dir, a passwd-file with the bench user, one
 * Maildir holding the same messages. As root (CI containers), mail is accessed as nobody, since
 * Dovecot refuses mail access as root; otherwise everything runs as the current user.
 */
async function startDovecot(dir: string, workspace: string): Promise<Peer> {
  const port = await freePort();
  const me = userInfo();
  const root = me.uid === 0;
  const mailUid = root ? 65534 : me.uid;
  const mailGid = root ? 65534 : me.gid;
  const home = join(dir, 'home', USER);
  const maildir = join(home, 'Maildir');
  for (const sub of ['cur', 'new', 'tmp']) await mkdir(join(maildir, sub), { recursive: true });
  for (let i = 0; i < MESSAGES; i++) {
    const text = benchMessage(i).replace(/\r\n/g, '\n');
    // Names sort in message order, so Dovecot gives UIDs 1..n in the same order as ours.
    await writeFile(join(maildir, 'cur', `${1_800_000_000 + i}.M${String(i).padStart(6, '0')}P1.bench,S=${Buffer.byteLength(text)}:2,`), text);
  }
  if (root) {
    // nobody must reach the Maildir through the workspace's private directories (mkdtemp: 0700).
    for (let d = dir; d.startsWith(workspace); d = join(d, '..')) await chmod(d, 0o755);
    for (const d of [join(dir, 'home'), home, maildir, ...['cur', 'new', 'tmp'].map((s) => join(maildir, s))]) await chown(d, mailUid, mailGid);
  }
  await writeFile(join(dir, 'passwd'), `${USER}:{PLAIN}${PASSWORD}\n`);
  await mkdir(join(dir, 'run'), { recursive: true });
  await mkdir(join(dir, 'state'), { recursive: true });
  const config = join(dir, 'dovecot.conf');
  await writeFile(config, `# The IMAP benchmark's Dovecot: 127.0.0.1 only, no TLS, one passwd-file user.
base_dir = ${join(dir, 'run')}
state_dir = ${join(dir, 'state')}
log_path = ${join(dir, 'dovecot.log')}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
login_trusted_networks = 127.0.0.0/8
# All bench clients are one user from one address (the default allows 10 connections).
mail_max_userip_connections = 10000
default_internal_user = ${root ? 'dovecot' : me.username}
default_internal_group = ${root ? 'dovecot' : me.username}
default_login_user = ${root ? 'dovenull' : me.username}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${join(dir, 'passwd')}
}
userdb {
  driver = static
  args = uid=${mailUid} gid=${mailGid} home=${join(dir, 'home')}/%u
}
mail_location = maildir:~/Maildir
first_valid_uid = 1
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`);
  if (root) await chown(join(dir, 'dovecot.log'), 0, 0).catch(() => undefined);
  const child = spawn(DOVECOT, ['-F', '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (c: Buffer) => { errors = (errors + c.toString()).slice(-4000); });
  await waitForPort(port, child, 'dovecot', () => errors);
  return { name: 'Dovecot 2.3', port, close: () => stop(child) };
}

/** Latencies of one operation: how many per second all clients managed (median round), p50 and p99. */
interface OpResult { perSecond: number; p50: number; p99: number; count: number }

/** One operation's measurements on one server, gathered over the rounds. */
interface Tally {
  latencies: number[];
  /** Commands per second of each round. */
  rates: number[];
  /** Each client's next step number: a round goes on where the last one stopped (no STORE repeats one). */
  next: number[];
}

function newTally(): Tally {
  return { latencies: [], rates: [], next: Array.from({ length: CLIENTS }, (_, i) => i) };
}

function summarize(t: Tally): OpResult {
  const sorted = [...t.latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const rates = [...t.rates].sort((a, b) => a - b);
  const mid = rates.length >> 1;
  const median = rates.length % 2 ? rates[mid]! : (rates[mid - 1]! + rates[mid]!) / 2;
  return { perSecond: median, p50: at(0.5), p99: at(0.99), count: t.latencies.length };
}

/** One kind of work for `CLIENTS` loops: per-client state made once per round, then steps for the round's time. */
interface Workload<S> {
  name: string;
  what: string;
  setup(port: number): Promise<S>;
  step(state: S, n: number): Promise<void>;
  teardown(state: S): Promise<void> | void;
}

/** `CLIENTS` loops of `w.step` for `ms`, each step's latency added to `t`, the round's rate too. */
async function load<S>(port: number, ms: number, w: Workload<S>, t: Tally): Promise<number> {
  const states = await Promise.all(Array.from({ length: CLIENTS }, () => w.setup(port)));
  const start = performance.now();
  const end = start + ms;
  let count = 0;
  await Promise.all(states.map(async (state, i) => {
    for (let n = t.next[i]!; performance.now() < end; n += CLIENTS) {
      const begun = performance.now();
      await w.step(state, n);
      t.latencies.push(performance.now() - begun);
      t.next[i] = n + CLIENTS;
      count++;
    }
  }));
  const rate = count / ((performance.now() - start) / 1000);
  t.rates.push(rate);
  await Promise.all(states.map((s) => w.teardown(s)));
  return rate;
}

async function loggedIn(port: number): Promise<ImapClient> {
  const c = await ImapClient.open(port);
  await c.ok(`LOGIN ${USER} "${PASSWORD}"`);
  await c.ok('SELECT INBOX');
  return c;
}

/** A command repeated by logged-in clients with INBOX selected. */
function command(name: string, what: string, step: (c: ImapClient, n: number) => Promise<unknown>): Workload<ImapClient> {
  return { name, what, setup: loggedIn, step: (c, n) => step(c, n).then(() => undefined), teardown: (c) => c.close() };
}

const OPERATIONS: Workload<ImapClient>[] = [
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

const LOGINS: Workload<number> = {
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

/** Checks that both servers hold the same INBOX: as many messages, as many hits for a subject SEARCH. */
async function probe(peer: Peer): Promise<number> {
  const c = await loggedIn(peer.port);
  try {
    const hits = (await c.ok(`UID SEARCH SUBJECT "${WORDS[3]} 4"`, undefined, true)).lines.join(' ').split(' ').length - 2;
    const exists = Number(/\* (\d+) EXISTS/.exec((await c.ok('SELECT INBOX', undefined, true)).lines.join('\n'))?.[1]);
    if (exists !== MESSAGES) throw new Error(`${peer.name}: INBOX holds ${exists} messages, expected ${MESSAGES}`);
    return hits;
  } finally {
    c.close();
  }
}

/**
 * Every workload on every server, in `rounds` rounds of `ms / rounds` each, the servers taking turns
 * and the one going first alternating, each round started on a quiet machine: what drifts over a run
 * (the file system's state, other load) falls on both alike. Returns each server's results by workload.
 */
async function measure(peers: Peer[], ms: number, rounds: number, ctx: Context): Promise<Map<string, Map<string, OpResult>>> {
  const results = new Map(peers.map((p) => [p.name, new Map<string, OpResult>()]));
  const workloads: Workload<unknown>[] = [...OPERATIONS, LOGINS] as Workload<unknown>[];
  for (const w of workloads) {
    const tallies = new Map(peers.map((p) => [p.name, newTally()]));
    for (let r = 0; r < rounds; r++) {
      for (const peer of r % 2 ? [...peers].reverse() : peers) {
        await waitForQuiet();
        const rate = await load(peer.port, ms / rounds, w, tallies.get(peer.name)!);
        ctx.progress(`imap: ${w.name}, round ${r + 1}/${rounds}, ${peer.name}: ${Math.round(rate).toLocaleString('en-US')}/s (${CLIENTS} clients, ${ms / rounds / 1000} s)`);
      }
    }
    for (const p of peers) results.get(p.name)!.set(w.name, summarize(tallies.get(p.name)!));
  }
  return results;
}

export const imapBench: Benchmark = {
  name: 'imap',
  description: `7. IMAP: ${CLIENTS} clients doing SELECT, FETCH, STORE, SEARCH, APPEND, and logins vs Dovecot 2.3`,
  async run(ctx: Context) {
    if (!existsSync(DOVECOT)) throw new Error(`${DOVECOT} is missing (apt-get install dovecot-imapd)`);
    const ms = ctx.sizes.reps > 1 ? 10_000 : 2_000;
    const rounds = ctx.sizes.reps > 1 ? ROUNDS : 2;
    const root = await ctx.workspace.dir('imap');
    const starts = [['ours', startOurs], ['dovecot', (dir: string) => startDovecot(dir, ctx.workspace.root)]] as const;
    const peers: Peer[] = [];
    try {
      for (const [name, start] of starts) {
        const dir = join(root, name);
        await mkdir(dir, { recursive: true });
        ctx.progress(`imap: starting ${name} with ${MESSAGES.toLocaleString('en-US')} messages`);
        peers.push(await start(dir));
      }
      const [ourHits, dovecotHits] = [await probe(peers[0]!), await probe(peers[1]!)];
      if (ourHits !== dovecotHits) throw new Error(`SEARCH found ${ourHits} messages on ours, ${dovecotHits} on Dovecot`);
      const results = await measure(peers, ms, rounds, ctx);
      const ours = results.get(peers[0]!.name)!;
      const dovecot = results.get(peers[1]!.name)!;
      const peer = (m: { ms: number } | { perSecond: number }) => ({ name: peers[1]!.name, result: m });
      const rows: Row[] = [];
      for (const op of OPERATIONS) {
        const a = ours.get(op.name)!;
        const b = dovecot.get(op.name)!;
        rows.push(
          { bench: BENCH, task: `${op.name}: ${op.what}, ${CLIENTS} clients, commands/s`, ours: { perSecond: a.perSecond }, peer: peer({ perSecond: b.perSecond }), target: 1 },
          { bench: BENCH, task: `${op.name}: p50 latency`, ours: { ms: a.p50 }, peer: peer({ ms: b.p50 }) },
          { bench: BENCH, task: `${op.name}: p99 latency`, ours: { ms: a.p99 }, peer: peer({ ms: b.p99 }) },
        );
      }
      const a = ours.get(LOGINS.name)!;
      const b = dovecot.get(LOGINS.name)!;
      rows.push(
        { bench: BENCH, task: `${LOGINS.what}, ${CLIENTS} clients, logins/s`, ours: { perSecond: a.perSecond }, peer: peer({ perSecond: b.perSecond }), target: 1 },
        { bench: BENCH, task: 'LOGIN + LOGOUT: p99 latency', ours: { ms: a.p99 }, peer: peer({ ms: b.p99 }) },
      );
      return rows;
    } finally {
      for (const p of peers) await p.close();
    }
  },
};
