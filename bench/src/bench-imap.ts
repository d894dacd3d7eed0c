// Mail: our IMAP server (`nymote mail serve`, a child process) against Dovecot 2.3 (Debian
// dovecot-imapd, a child process with a temporary configuration), both on 127.0.0.1 with the same
// mailbox of generated messages, driven by the same raw-socket clients (imap-client.ts) in a load
// process of their own (imap-load-child.ts): N clients at once doing one kind of command for a fixed
// time, in rounds that alternate between the servers, then logins.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImapClient } from './imap-client.js';
import type { RoundRequest } from './imap-load-child.js';
import { benchMessage, CLIENTS, loggedIn, LOGINS, MESSAGES, OPERATIONS, PASSWORD, USER, WORDS, type RoundResult } from './imap-workloads.js';
import { freePort, stop } from './processes.js';
import { waitForQuiet } from './quiet.js';
import type { Benchmark, Context, Row } from './types.js';

const DOVECOT = '/usr/sbin/dovecot';
const NYMOTE = fileURLToPath(new URL('../../../packages/nymote/bin/nymote.js', import.meta.url));
const BENCH = '7 imap';
/** Rounds per workload in a full run, the servers taking turns (two with --quick). */
const ROUNDS = 5;

interface Peer {
  name: string;
  port: number;
  close(): Promise<void>;
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

/** The load process (imap-load-child.ts) and a way to ask it for one round at a time. */
function startLoad(): { round(req: RoundRequest): Promise<RoundResult>; close(): Promise<void> } {
  const child: ChildProcess = fork(fileURLToPath(new URL('./imap-load-child.js', import.meta.url)), [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let waiting: { resolve: (r: RoundResult) => void; reject: (e: Error) => void } | undefined;
  child.on('message', (m: { result?: RoundResult; error?: string }) => {
    const w = waiting;
    waiting = undefined;
    if (m.result) w?.resolve(m.result);
    else w?.reject(new Error(`IMAP load process: ${m.error}`));
  });
  child.on('exit', (code) => waiting?.reject(new Error(`IMAP load process exited with ${code}`)));
  return {
    round: (req) => new Promise((resolve, reject) => {
      waiting = { resolve, reject };
      child.send(req);
    }),
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.disconnect();
      await exited;
    },
  };
}

function summarize(t: Tally): OpResult {
  const sorted = [...t.latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const rates = [...t.rates].sort((a, b) => a - b);
  const mid = rates.length >> 1;
  const median = rates.length % 2 ? rates[mid]! : (rates[mid - 1]! + rates[mid]!) / 2;
  return { perSecond: median, p50: at(0.5), p99: at(0.99), count: t.latencies.length };
}

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
  const load = startLoad();
  try {
    for (const w of [...OPERATIONS, LOGINS]) {
      const tallies = new Map(peers.map((p) => [p.name, newTally()]));
      for (let r = 0; r < rounds; r++) {
        for (const peer of r % 2 ? [...peers].reverse() : peers) {
          const t = tallies.get(peer.name)!;
          await waitForQuiet();
          const got = await load.round({ port: peer.port, ms: ms / rounds, workload: w.name, next: t.next });
          for (const l of got.latencies) t.latencies.push(l);
          t.rates.push(got.perSecond);
          t.next = got.next;
          ctx.progress(`imap: ${w.name}, round ${r + 1}/${rounds}, ${peer.name}: ${Math.round(got.perSecond).toLocaleString('en-US')}/s (${CLIENTS} clients, ${ms / rounds / 1000} s)`);
        }
      }
      for (const p of peers) results.get(p.name)!.set(w.name, summarize(tallies.get(p.name)!));
    }
  } finally {
    await load.close();
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
    const starts = [['ours', startOurs], ['dovecot', (dir: string) => startDovecot(dir, ctx.workspace.root)]] as const;
    const peers: Peer[] = [];
    try {
      for (const [name, start] of starts) {
        // A workspace directory each: a block group each (see Workspace), so neither server's deleted
        // files slow the other's creates.
        const dir = await ctx.workspace.dir(`imap-${name}`);
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
