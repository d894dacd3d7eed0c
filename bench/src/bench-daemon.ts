// The whole daemon's memory: `nymote serve` (IMAP, SMTP, submission, DAV) in a child process, its
// resident set read from /proc after start, and again idle after N mails (SMTP) and N events (CalDAV).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, stop } from './processes.js';
import type { Benchmark, Row } from './types.js';

const NYMOTE = fileURLToPath(new URL('../../../packages/nymote/bin/nymote.js', import.meta.url));
const PASSWORD = 'bench password';
const TARGET_MB = 80;

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}

/** What a quiet daemon holds: wait until the RSS stops moving (GC, caches settling), at most 10 s. */
async function settledRss(pid: number): Promise<number> {
  let last = await rssMb(pid);
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await rssMb(pid);
    if (Math.abs(now - last) < 0.5) return now;
    last = now;
  }
  return last;
}

/** One SMTP session sending `n` messages (pipelining not assumed: one command at a time). */
async function sendMails(port: number, n: number): Promise<void> {
  const socket = createConnection({ host: '127.0.0.1', port });
  socket.setEncoding('utf8');
  let buffer = '';
  const waiting: ((line: string) => void)[] = [];
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    for (;;) {
      // A reply ends with a line "NNN text" (not "NNN-text").
      const m = /^(\d{3}) [^\r\n]*\r\n/m.exec(buffer);
      if (!m) break;
      const end = m.index + m[0].length;
      const reply = buffer.slice(0, end);
      buffer = buffer.slice(end);
      waiting.shift()?.(reply);
    }
  });
  const reply = () => new Promise<string>((resolve) => waiting.push(resolve));
  const command = async (line: string, expect: string) => {
    const r = reply();
    socket.write(line);
    const got = await r;
    if (!got.startsWith(expect)) throw new Error(`SMTP ${line.trim().slice(0, 30)}: ${got.trim()}`);
  };
  const greeting = reply();
  await greeting;
  await command('EHLO bench.test\r\n', '250');
  for (let i = 0; i < n; i++) {
    await command('MAIL FROM:<sender@bench.test>\r\n', '250');
    await command('RCPT TO:<bench@localhost>\r\n', '250');
    await command('DATA\r\n', '354');
    await command(`From: Sender <sender@bench.test>\r\nTo: bench@localhost\r\nSubject: Message ${i}\r\nMessage-ID: <m${i}@bench.test>\r\n\r\n${'Some text of a mail. '.repeat(20)}\r\n.\r\n`, '250');
  }
  await command('QUIT\r\n', '221');
  socket.end();
}

async function putEvents(port: number, n: number): Promise<void> {
  const auth = `Basic ${Buffer.from(`bench:${PASSWORD}`).toString('base64')}`;
  for (let i = 0; i < n; i++) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    const body = `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Bench//EN\r\nBEGIN:VEVENT\r\nUID:ev-${i}\r\nDTSTAMP:20261126T100000Z\r\nDTSTART:202612${day}T100000Z\r\nDTEND:202612${day}T110000Z\r\nSUMMARY:Event ${i}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
    const r = await fetch(`http://127.0.0.1:${port}/dav/calendars/bench/default/ev-${i}.ics`, { method: 'PUT', body, headers: { Authorization: auth, 'Content-Type': 'text/calendar' } });
    if (r.status !== 201) throw new Error(`PUT event ${i}: ${r.status} ${await r.text()}`);
  }
}

function run(args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [NYMOTE, ...args], { stdio: ['pipe', 'ignore', 'inherit'] });
    p.stdin!.end(input ?? '');
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nymote ${args[0]} exited with ${code}`))));
  });
}

export const daemonBench: Benchmark = {
  name: 'daemon',
  description: '8. nymote serve (IMAP, SMTP, DAV) resident memory: idle, and after N mails and N events',
  async run(ctx) {
    const n = ctx.sizes.commits / 10;
    const data = join(await ctx.workspace.dir('daemon'), 'data');
    const [imap, smtp, submission, http] = [await freePort(), await freePort(), await freePort(), await freePort()];
    await run(['user', 'add', 'bench', '--data', data], `${PASSWORD}\n`);
    // Run as deploy/nymote.service runs it: with a small young generation.
    const child: ChildProcess = spawn(process.execPath, ['--max-semi-space-size=2', NYMOTE, 'serve', '--data', data, '--imap-port', String(imap), '--smtp-port', String(smtp),
      '--submission-port', String(submission), '--http-port', String(http), '--imaps-port', '0', '--submissions-port', '0', '--https-port', '0'],
    { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (/^nymote: serving /m.test(out)) resolve();
        });
        child.once('exit', (code) => reject(new Error(`nymote serve exited with ${code}: ${out}`)));
      });
      child.stdout!.resume();
      ctx.progress('daemon: started; waiting for it to settle');
      const idle = await settledRss(child.pid!);
      ctx.progress(`daemon: ${n} mails over SMTP`);
      await sendMails(smtp, n);
      ctx.progress(`daemon: ${n} events over CalDAV`);
      await putEvents(http, n);
      const loaded = await settledRss(child.pid!);
      const note = (mb: number) => `(target <= ${TARGET_MB} MB: ${mb <= TARGET_MB ? 'met' : 'NOT met'})`;
      const rows: Row[] = [
        { bench: '8 daemon', task: `RSS of nymote serve, idle after start ${note(idle)}`, ours: { mb: idle } },
        { bench: '8 daemon', task: `RSS, idle after ${n} mails (SMTP) and ${n} events (CalDAV) (no target: the issue sets one for idle only)`, ours: { mb: loaded } },
      ];
      return rows;
    } finally {
      await stop(child);
    }
  },
};
