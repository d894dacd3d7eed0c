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

/** Latencies of one operation: how many per second all clients managed, p50 and p99. */
interface OpResult { perSecond: number; p50: number; p99: number; count: number }

function summarize(latencies: number[], seconds: number): OpResult {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { perSecond: latencies.length / seconds, p50: at(0.5), p99: at(0.99), count: latencies.length };
}

/** `CLIENTS` loops of `step` for `ms` each; every step's latency kept. */
async function load<S>(ms: number, setup: (i: number) => Promise<S>, step: (state: S, n: number) => Promise<void>, teardown: (s: S) => Promise<void> | void): Promise<OpResult> {
  const states = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => setup(i)));
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + ms;
  await Promise.all(states.map(async (state, i) => {
    for (let n = i; performance.now() < end; n += CLIENTS) {
      const t = performance.now();
      await step(state, n);
      latencies.push(performance.now() - t);
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(states.map(teardown));
  return summarize(latencies, seconds);
}

async function loggedIn(port: number): Promise<ImapClient> {
  const c = await ImapClient.open(port);
  await c.ok(`LOGIN ${USER} "${PASSWORD}"`);
  await c.ok('SELECT INBOX');
  return c;
}

const OPERATIONS: { name: string; what: string; step: (c: ImapClient, n: number) => Promise<unknown> }[] = [
  { name: 'SELECT', what: 'SELECT INBOX', step: (c) => c.ok('SELECT INBOX') },
  {
    name: 'FETCH headers', what: `UID FETCH of ${PAGE} messages' FLAGS, size and 5 header fields`,
    step: (c, n) => {
      const first = 1 + ((n * 7919) % (MESSAGES - PAGE));
      return c.ok(`UID FETCH ${first}:${first + PAGE - 1} (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID)])`);
    },
  },
  {
    // Every STORE changes something (a STORE that changes nothing makes no commit on ours): client i
    // flags its own messages (UID ≡ i + 1 mod CLIENTS) one after another, then unflags them.
    name: 'STORE flags', what: 'UID STORE of one message, +FLAGS / -FLAGS \\Flagged, each a change',
    step: (c, n) => {
      const own = Math.floor(MESSAGES / CLIENTS);
      const k = Math.floor(n / CLIENTS);
      return c.ok(`UID STORE ${1 + (n % CLIENTS) + CLIENTS * (k % own)} ${Math.floor(k / own) % 2 ? '-' : '+'}FLAGS (\\Flagged)`);
    },
  },
  { name: 'SEARCH', what: 'UID SEARCH of the subject and a flag', step: (c, n) => c.ok(`UID SEARCH UNDELETED SUBJECT "${WORDS[n % WORDS.length]} 4"`) },
  { name: 'APPEND', what: 'APPEND of a 3 kB message (LITERAL+)', step: (c, n) => c.ok('APPEND INBOX (\\Seen)', Buffer.from(benchMessage(MESSAGES + n))) },
];

interface PeerResults { ops: Map<string, OpResult>; login: OpResult; searchHits: number }

async function measure(peer: Peer, ms: number, ctx: Context): Promise<PeerResults> {
  // The same question to both servers first: the mailboxes must hold the same messages.
  const probe = await loggedIn(peer.port);
  const hits = (await probe.ok(`UID SEARCH SUBJECT "${WORDS[3]} 4"`, undefined, true)).lines.join(' ').split(' ').length - 2;
  const exists = Number(/\* (\d+) EXISTS/.exec((await probe.ok('SELECT INBOX', undefined, true)).lines.join('\n'))?.[1]);
  if (exists !== MESSAGES) throw new Error(`${peer.name}: INBOX holds ${exists} messages, expected ${MESSAGES}`);
  probe.close();
  const ops = new Map<string, OpResult>();
  for (const op of OPERATIONS) {
    ctx.progress(`imap: ${peer.name}: ${op.name}, ${CLIENTS} clients for ${ms / 1000} s`);
    ops.set(op.name, await load(ms, () => loggedIn(peer.port), (c, n) => op.step(c, n).then(() => undefined), (c) => c.close()));
  }
  ctx.progress(`imap: ${peer.name}: LOGIN and LOGOUT, ${CLIENTS} clients for ${ms / 1000} s`);
  const login = await load(ms, async () => undefined, async () => {
    const c = await ImapClient.open(peer.port);
    await c.ok(`LOGIN ${USER} "${PASSWORD}"`);
    await c.command('LOGOUT');
    c.close();
  }, () => undefined);
  return { ops, login, searchHits: hits };
}

export const imapBench: Benchmark = {
  name: 'imap',
  description: `7. IMAP: ${CLIENTS} clients doing SELECT, FETCH, STORE, SEARCH, APPEND, and logins vs Dovecot 2.3`,
  async run(ctx: Context) {
    if (!existsSync(DOVECOT)) throw new Error(`${DOVECOT} is missing (apt-get install dovecot-imapd)`);
    const ms = ctx.sizes.reps > 1 ? 10_000 : 2_000;
    const root = await ctx.workspace.dir('imap');
    const peers = { ours: (dir: string) => startOurs(dir), dovecot: (dir: string) => startDovecot(dir, ctx.workspace.root) };
    const results = new Map<string, PeerResults>();
    for (const [name, start] of Object.entries(peers)) {
      const dir = join(root, name);
      await mkdir(dir, { recursive: true });
      ctx.progress(`imap: starting ${name} with ${MESSAGES.toLocaleString('en-US')} messages`);
      const peer = await start(dir);
      try {
        results.set(peer.name, await measure(peer, ms, ctx));
      } finally {
        await peer.close();
      }
    }
    const ours = results.get('ours')!;
    const dovecot = results.get('Dovecot 2.3')!;
    if (ours.searchHits !== dovecot.searchHits) throw new Error(`SEARCH found ${ours.searchHits} messages on ours, ${dovecot.searchHits} on Dovecot`);
    const peer = (m: { ms: number } | { perSecond: number }) => ({ name: 'Dovecot 2.3', result: m });
    const rows: Row[] = [];
    for (const op of OPERATIONS) {
      const a = ours.ops.get(op.name)!;
      const b = dovecot.ops.get(op.name)!;
      rows.push(
        { bench: BENCH, task: `${op.name}: ${op.what}, ${CLIENTS} clients, commands/s`, ours: { perSecond: a.perSecond }, peer: peer({ perSecond: b.perSecond }), target: 1 },
        { bench: BENCH, task: `${op.name}: p50 latency`, ours: { ms: a.p50 }, peer: peer({ ms: b.p50 }) },
        { bench: BENCH, task: `${op.name}: p99 latency`, ours: { ms: a.p99 }, peer: peer({ ms: b.p99 }) },
      );
    }
    rows.push(
      { bench: BENCH, task: `LOGIN + LOGOUT on a new connection, ${CLIENTS} clients, logins/s`, ours: { perSecond: ours.login.perSecond }, peer: peer({ perSecond: dovecot.login.perSecond }), target: 1 },
      { bench: BENCH, task: 'LOGIN + LOGOUT: p99 latency', ours: { ms: ours.login.p99 }, peer: peer({ ms: dovecot.login.p99 }) },
    );
    return rows;
  },
};
