// The strongest check of this module: Dovecot's answers for the same messages. Debian's
// dovecot-imapd is run in PREAUTH mode on a pipe (no listener, nothing left running) over a
// temporary maildir holding the fixtures; its BODYSTRUCTURE, BODY, ENVELOPE, BODY[...] sections and
// BINARY are compared with ours. Skipped when Dovecot is not installed, except in CI.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { ImapValue } from '../src/imap/value.js';
import * as mime from '../src/mime/index.js';
import { fixture, fixtureNames, imap } from './mime-helpers.js';

const IMAP = '/usr/lib/dovecot/imap';
const skip = !existsSync(IMAP) && !process.env.CI ? 'dovecot-imapd is not installed' : false;

/**
 * Where we differ from Dovecot 2.3 on purpose: `replace` edits its serialised BODYSTRUCTURE, BODY
 * and ENVELOPE into ours; `extraCrlf` lists sections where its answer has a CRLF more than ours;
 * `ours` gives our answer for sections where Dovecot's is not one we want.
 */
const KNOWN: Record<string, { replace?: [string, string][]; extraCrlf?: string[]; ours?: Record<string, string> }> = {
  // HEADER.FIELDS(.NOT) of a header without a blank line: Dovecot answers "\r\n", "", the fields
  // with or without a CRLF after the last one, depending on the case. We always answer a complete
  // header block: each field ends with a line break, then the blank line (CRLF when it has none).
  'empty.eml': { ours: { 'HEADER.FIELDS.NOT (RECEIVED SUBJECT)': '\r\n' } },
  'empty-rfc822.eml': { ours: { '1.HEADER.FIELDS (SUBJECT)': '\r\n' } },
  'no-blank-line.eml': {
    ours: {
      'HEADER.FIELDS (FROM SUBJECT X-NONE)': 'Subject: no blank line\r\nFrom: a@b\r\n\r\n',
      'HEADER.FIELDS.NOT (RECEIVED SUBJECT)': 'From: a@b\r\n\r\n',
    },
  },
  // We percent-encode the plain segment of a merged RFC 2231 value ("isn't it!"), which Dovecot
  // appends raw, making the extended value invalid; and we keep parameters in header order, where
  // Dovecot moves the RFC 2231 ones after the others, sorted by name.
  'rfc2231.eml': {
    replace: [
      ["%2A%2A%2Afun%2A%2A%2A%20isn't it!", '%2A%2A%2Afun%2A%2A%2A%20isn%27t%20it!'],
      [`("Name*" "iso-8859-1''caf%E9.txt" "charset*" "iso-8859-1'fr'" "charset" "us-ascii")`,
        `("charset*" "iso-8859-1'fr'" "Name*" "iso-8859-1''caf%E9.txt" "charset" "us-ascii")`],
    ],
  },
  // Empty elements of an address list (", ,,") are no addresses (RFC 5322 4.4 allows them only as
  // syntax); Dovecot reports each as (NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN").
  'odd-addresses.eml': {
    replace: [['(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN") (NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN") ("Foo"', '("Foo"']],
  },
  // Content-ID and Content-Location are trimmed: blanks around them (here a trailing blank and a
  // folded line) are not part of the msg-id or URI. Dovecot keeps them.
  'param-comments.eml': {
    replace: [['"<a@b> "', '"<a@b>"'], ['" http://x/y"', '"http://x/y"']],
  },
  // "--c--" CRLF "--b--": RFC 2046's grammar gives that CRLF to the outer delimiter (delimiter :=
  // CRLF dash-boundary; the inner close-delimiter's [CRLF epilogue] is absent), so the inner
  // message ends at "--c--". Dovecot counts the CRLF in the message/rfc822 part as well.
  'rfc822-multipart.eml': {
    replace: [['"7bit" 172 (NIL "inner"', '"7bit" 170 (NIL "inner"'], ['"boundary" "c") NIL NIL NIL) 12 NIL', '"boundary" "c") NIL NIL NIL) 11 NIL'],
      ['"mixed") 12) "mixed")', '"mixed") 11) "mixed")']],
    extraCrlf: ['2', '2.TEXT'],
  },
};

// --- a reader for Dovecot's responses: just enough of RFC 3501's grammar ---

type Parsed = null | number | string | Buffer | Parsed[];

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  atEnd(): boolean { return this.pos >= this.buf.length; }
  peek(): number { return this.buf[this.pos]!; }
  line(): string {
    const i = this.buf.indexOf('\r\n', this.pos);
    const end = i < 0 ? this.buf.length : i;
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 2;
    return s;
  }
  value(): Parsed {
    while (this.peek() === 0x20) this.pos++;
    const c = this.peek();
    if (c === 0x28) {
      this.pos++;
      const list: Parsed[] = [];
      for (;;) {
        while (this.peek() === 0x20) this.pos++;
        if (this.peek() === 0x29) { this.pos++; return list; }
        list.push(this.value());
      }
    }
    if (c === 0x22) {
      const out: number[] = [];
      this.pos++;
      while (this.peek() !== 0x22) {
        if (this.peek() === 0x5c) this.pos++;
        out.push(this.buf[this.pos++]!);
      }
      this.pos++;
      return Buffer.from(out).toString('utf8');
    }
    if (c === 0x7b || (c === 0x7e && this.buf[this.pos + 1] === 0x7b)) {
      const close = this.buf.indexOf('}', this.pos);
      const n = Number(this.buf.toString('latin1', this.pos + (c === 0x7e ? 2 : 1), close));
      const start = close + 3;
      this.pos = start + n;
      return this.buf.subarray(start, start + n);
    }
    // An atom, with [...] kept whole ("BODY[HEADER.FIELDS (FROM)]").
    const start = this.pos;
    let depth = 0;
    while (!this.atEnd()) {
      const d = this.peek();
      if (d === 0x5b) depth++;
      else if (d === 0x5d) depth--;
      else if (depth === 0 && (d === 0x20 || d === 0x29 || d === 0x28 || d === 0x0d)) break;
      this.pos++;
    }
    const atom = this.buf.toString('latin1', start, this.pos);
    if (atom === 'NIL') return null;
    if (/^\d+$/.test(atom)) return Number(atom);
    return atom;
  }
}

interface Session {
  /** FETCH items by message sequence number: item name -> value. */
  fetched: Map<number, Map<string, Parsed>>;
  /** Tagged completions: tag -> "OK ..." / "NO [UNKNOWN-CTE] ...". */
  tagged: Map<string, string>;
}

async function runDovecot(messages: Buffer[], commands: string[]): Promise<Session> {
  const dir = mkdtempSync(join(tmpdir(), 'nymote-dovecot-'));
  try {
    const maildir = join(dir, 'Maildir');
    for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, d), { recursive: true });
    // Zero-padded names: Dovecot numbers a new maildir's messages in file name order.
    messages.forEach((m, i) => writeFileSync(join(maildir, 'cur', `${String(1000 + i)}.fixture:2,S`), m));
    // Dovecot refuses to touch mail as root, so as root it runs as nobody on a world-writable dir.
    const root = process.getuid?.() === 0;
    const uid = root ? 65534 : process.getuid!();
    const gid = root ? 65534 : process.getgid!();
    if (root) for (const d of [dir, maildir, ...['cur', 'new', 'tmp'].map((x) => join(maildir, x))]) chmodSync(d, 0o777);
    const conf = join(dir, 'dovecot.conf');
    writeFileSync(conf, [
      `mail_location = maildir:${maildir}`, `log_path = ${join(dir, 'log')}`, 'ssl = no',
      `mail_uid = ${uid}`, `mail_gid = ${gid}`, 'first_valid_uid = 0', 'first_valid_gid = 0', '',
    ].join('\n'));
    // Through cat: imap wants real pipes (Node's stdio pipes are sockets, on which it takes itself
    // for inetd's). LOGOUT goes last, once every answer is in: imap drops what it has not read yet
    // when its input ends.
    const child = spawn('/bin/sh', ['-c', 'cat | "$1" -c "$2" 2>&1 | cat', 'sh', IMAP, conf],
      { env: { USER: 'nymote', HOME: dir, PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    const chunks: Buffer[] = [];
    const lastTag = commands.length ? commands[commands.length - 1]!.split(' ')[0]! : 'a';
    let seen = '';
    const timer = setTimeout(() => child.kill(), 60000);
    child.stdout.on('data', (d: Buffer) => {
      chunks.push(d);
      seen = (seen + d.toString('latin1')).slice(-4096);
      if (new RegExp(`(^|\r\n)${lastTag} (OK|NO|BAD)`).test(seen) && child.stdin.writable) child.stdin.end('z LOGOUT\r\n');
    });
    child.stdin.write(['a SELECT INBOX', ...commands, ''].join('\r\n'));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    const out = Buffer.concat(chunks);
    const log = existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8') : '';
    assert.equal(status, 0, `dovecot imap failed: ${out.toString()}${log}`);
    const reader = new Reader(out);
    const session: Session = { fetched: new Map(), tagged: new Map() };
    while (!reader.atEnd()) {
      const start = reader.pos;
      const m = /^\* (\d+) FETCH \(/.exec(out.toString('latin1', start, start + 40));
      if (m) {
        reader.pos = start + m[0].length - 1;
        const items = reader.value() as Parsed[];
        reader.line();
        const seq = Number(m[1]);
        const map = session.fetched.get(seq) ?? new Map<string, Parsed>();
        for (let i = 0; i + 1 < items.length; i += 2) map.set(items[i] as string, items[i + 1]!);
        session.fetched.set(seq, map);
        continue;
      }
      const line = reader.line();
      const t = /^(\S+) (OK|NO|BAD)(.*)$/.exec(line);
      if (t && t[1] !== '*') session.tagged.set(t[1]!, t[2]! + t[3]!);
    }
    return session;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Dovecot's value in the same form as ours (strings decoded as UTF-8) for imap(). */
function normal(v: Parsed): ImapValue {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (Array.isArray(v)) return v.map(normal);
  return v;
}

/** Every part number in a structure, depth first, including those inside message/rfc822 parts. */
function partNumbers(root: mime.MimePart): number[][] {
  const out: number[][] = [];
  const walk = (p: mime.MimePart, prefix: number[], top: boolean): void => {
    const inner = !top && p.message ? p.message : top ? p : null;
    if (!inner) return;
    if (inner.parts.length) {
      inner.parts.forEach((c, i) => { out.push([...prefix, i + 1]); walk(c, [...prefix, i + 1], false); });
    } else {
      out.push([...prefix, 1]);
      if (inner.message) walk(inner, [...prefix, 1], false);
    }
  };
  walk(root, [], true);
  return out;
}

const names = fixtureNames();
const stored = names.map((n) => fixture(n));
/** What we parse: Dovecot answers as if the stored message had CRLF line ends. */
const ours = stored.map((raw) => mime.toCrlf(raw));
let session: Session;
const binaryTags = new Map<string, { seq: number; part: number[] }>();

before(async () => {
  if (skip) return;
  const commands: string[] = [];
  ours.forEach((raw, i) => {
    const seq = i + 1;
    const root = mime.parseStructure(raw);
    const sections = ['HEADER', 'TEXT', 'HEADER.FIELDS (FROM SUBJECT X-NONE)', 'HEADER.FIELDS.NOT (RECEIVED SUBJECT)', '9', '9.MIME'];
    for (const p of partNumbers(root)) {
      const n = p.join('.');
      sections.push(n, `${n}.MIME`);
      const part = mime.findPart(root, p)!;
      if (part.message) sections.push(`${n}.HEADER`, `${n}.TEXT`, `${n}.HEADER.FIELDS (SUBJECT)`);
      // BINARY of leaves only: for a message/rfc822 part Dovecot also decodes the parts inside and
      // rewrites their headers; RFC 3516 asks only for the part's own encoding to be undone.
      if (!part.parts.length && !part.message) {
        const tag = `bin${seq}x${n}`;
        binaryTags.set(tag, { seq, part: p });
        commands.push(`${tag} FETCH ${seq} (BINARY.PEEK[${n}])`, `size${tag} FETCH ${seq} (BINARY.SIZE[${n}])`);
      }
    }
    commands.push(`f${seq} FETCH ${seq} (BODYSTRUCTURE BODY ENVELOPE RFC822.SIZE ${sections.map((s) => `BODY.PEEK[${s}]`).join(' ')})`);
  });
  session = await runDovecot(stored, commands);
});

function hasUnknownCte(p: mime.MimePart): boolean {
  if (!p.parts.length && !p.message) return !mime.knownEncoding(p.encoding);
  return p.parts.some(hasUnknownCte) || (p.message !== null && hasUnknownCte(p.message));
}

function parseSection(s: string): mime.SectionSpec {
  const m = /^((?:\d+\.)*\d+)?\.?(HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME)?(?: \((.*)\))?$/.exec(s)!;
  const spec: mime.SectionSpec = { part: m[1] ? m[1].split('.').map(Number) : [] };
  if (m[2]) spec.text = m[2] as mime.SectionText;
  if (m[3]) spec.fields = m[3].split(' ');
  return spec;
}

for (const [i, name] of names.entries()) {
  test(`Dovecot agrees on ${name}: BODYSTRUCTURE, BODY, ENVELOPE, sections, BINARY`, { skip }, () => {
    const seq = i + 1;
    const raw = ours[i]!;
    const root = mime.parseStructure(raw);
    const got = session.fetched.get(seq);
    assert.ok(got, `no FETCH response for ${name}: ${session.tagged.get(`f${seq}`)}`);
    const known = KNOWN[name] ?? {};
    const theirs = (item: string): string => {
      let s = imap(normal(got.get(item)!));
      for (const [a, b] of known.replace ?? []) s = s.replace(a, b);
      return s;
    };
    assert.equal(imap(mime.bodyStructure(raw, root)), theirs('BODYSTRUCTURE'));
    assert.equal(imap(mime.bodyStructure(raw, root, false)), theirs('BODY'));
    assert.equal(imap(mime.envelope(raw, root.headers)), theirs('ENVELOPE'));
    assert.equal(raw.length, got.get('RFC822.SIZE'));
    let sections = 0;
    for (const [item, value] of got) {
      const m = /^BODY\[(.*)\]$/.exec(item);
      if (!m) continue;
      sections++;
      const mine = Buffer.from(mime.sectionBytes(raw, root, parseSection(m[1]!)));
      let expected = (value as Buffer).toString('latin1');
      if (known.extraCrlf?.includes(m[1]!)) expected = expected.replace(/\r\n$/, '');
      expected = known.ours?.[m[1]!] ?? expected;
      assert.equal(mine.toString('latin1'), expected, `BODY[${m[1]}] of ${name}`);
    }
    assert.ok(sections >= 6);
    for (const [tag, { seq: s, part }] of binaryTags) {
      if (s !== seq) continue;
      const status = session.tagged.get(tag) ?? '';
      const mine = mime.binarySection(raw, root, part);
      const size = mime.binarySize(raw, root, part);
      if ('error' in mine) {
        assert.match(status, /^NO \[UNKNOWN-CTE\]/, `BINARY[${part.join('.')}] of ${name}`);
        assert.ok(typeof size === 'object');
        continue;
      }
      assert.match(status, /^OK/);
      const n = part.join('.');
      const theirBytes = session.fetched.get(seq)!.get(`BINARY[${n}]`) as Buffer;
      assert.ok(Buffer.from(mine.bytes).equals(theirBytes), `BINARY[${n}] of ${name}`);
      // Dovecot 2.3 answers BINARY.SIZE of any part with NO [UNKNOWN-CTE] when some other part of
      // the message has an encoding it does not know (it sizes the whole message): not a rule.
      const sizeStatus = session.tagged.get(`size${tag}`) ?? '';
      if (sizeStatus.startsWith('NO [UNKNOWN-CTE]') && hasUnknownCte(root)) assert.equal(size, mine.bytes.length);
      else assert.equal(size, session.fetched.get(seq)!.get(`BINARY.SIZE[${n}]`), `BINARY.SIZE[${n}] of ${name}`);
    }
  });
}

