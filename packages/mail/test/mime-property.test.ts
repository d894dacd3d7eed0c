// Property tests: random and mutated messages never make the parser throw, every range it reports
// lies inside the message and inside its parent, and the sections add up to the message.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import * as mime from '../src/mime/index.js';
import { fixture, fixtureNames, imap } from './mime-helpers.js';

const fixtures = fixtureNames().map((n) => fixture(n));

/** Byte-level damage: cut, insert noise or MIME-ish tokens, duplicate, and swap line ends. */
const mutation = fc.oneof(
  fc.record({ op: fc.constant('cut' as const), at: fc.nat(), len: fc.nat(200) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), data: fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc.constantFrom('\r\n', '\n', '--', '\r\n\r\n', 'Content-Type: multipart/mixed; boundary=x\r\n', '--x\r\n', '--x--',
      'Content-Type: message/rfc822\r\n\r\n', '=?utf-8?B?', '"', '(', '<', ':;', ' boundary*0="a";').map((s) => Buffer.from(s, 'latin1')),
  ) }),
  fc.record({ op: fc.constant('dup' as const), at: fc.nat(), len: fc.nat(500) }),
  fc.record({ op: fc.constant('lf' as const) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(raw: Buffer, ops: Mutation[]): Buffer {
  let b = raw;
  for (const m of ops) {
    const at = b.length ? ('at' in m ? m.at % (b.length + 1) : 0) : 0;
    if (m.op === 'cut') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
    else if (m.op === 'insert') b = Buffer.concat([b.subarray(0, at), m.data, b.subarray(at)]);
    else if (m.op === 'dup') b = Buffer.concat([b.subarray(0, at + m.len), b.subarray(at)]);
    else b = Buffer.from(b.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
  }
  return b;
}

/** Every part with its part number, the way IMAP numbers them. */
function numbered(root: mime.MimePart): { part: number[]; p: mime.MimePart }[] {
  const out: { part: number[]; p: mime.MimePart }[] = [];
  const walk = (p: mime.MimePart, prefix: number[], top: boolean): void => {
    const inner = top ? p : p.message;
    if (!inner) return;
    if (inner.parts.length) {
      inner.parts.forEach((c, i) => { out.push({ part: [...prefix, i + 1], p: c }); walk(c, [...prefix, i + 1], false); });
    } else {
      out.push({ part: [...prefix, 1], p: inner });
    }
  };
  walk(root, [], true);
  return out;
}

function checkRanges(p: mime.MimePart, lo: number, hi: number): void {
  assert.ok(lo <= p.start && p.start <= p.bodyStart && p.bodyStart <= p.end && p.end <= hi, `part ${p.start}/${p.bodyStart}/${p.end} outside ${lo}..${hi}`);
  for (const f of p.headers) assert.ok(p.start <= f.start && f.start < f.valueStart && f.end <= p.bodyStart + 2);
  let prev = p.bodyStart;
  for (const c of p.parts) {
    checkRanges(c, prev, p.end);
    prev = c.end;
  }
  if (p.message) checkRanges(p.message, p.bodyStart, p.end);
}

function checkMessage(raw: Buffer): void {
  const root = mime.parseStructure(raw);
  checkRanges(root, 0, raw.length);
  imap(mime.bodyStructure(raw, root));
  imap(mime.bodyStructure(raw, root, false));
  imap(mime.envelope(raw, root.headers));
  const header = mime.sectionBytes(raw, root, { part: [], text: 'HEADER' });
  const body = mime.sectionBytes(raw, root, { part: [], text: 'TEXT' });
  assert.ok(Buffer.concat([header, body]).equals(raw), 'HEADER + TEXT is the message');
  for (const { part, p } of numbered(root)) {
    const mimeHeader = mime.sectionBytes(raw, root, { part, text: 'MIME' });
    const content = mime.sectionBytes(raw, root, { part });
    assert.ok(Buffer.concat([mimeHeader, content]).equals(raw.subarray(p.start, p.end)), `MIME + body of ${part.join('.')}`);
    mime.sectionBytes(raw, root, { part, text: 'HEADER.FIELDS', fields: ['subject', 'from'] });
    mime.sectionBytes(raw, root, { part, text: 'HEADER.FIELDS.NOT', fields: ['subject'] });
    mime.sectionBytes(raw, root, { part, text: 'TEXT' });
    const bin = mime.binarySection(raw, root, part);
    const size = mime.binarySize(raw, root, part);
    if ('bytes' in bin) assert.equal(size, bin.bytes.length);
    else assert.deepEqual(size, bin);
  }
  mime.messageText(raw, root);
  mime.summarize(raw);
}

test('mutated fixtures: no throw, ranges nested, sections add up', () => {
  fc.assert(fc.property(fc.nat(fixtures.length - 1), fc.array(mutation, { maxLength: 6 }), (i, ops) => {
    checkMessage(mutate(fixtures[i]!, ops));
  }), { numRuns: 400 });
});

test('random bytes and random MIME-ish text: no throw, ranges nested', () => {
  const token = fc.constantFrom('\r\n', '\n', '--b', '--b--', '--c', 'Content-Type: multipart/mixed; boundary=b', 'Content-Type: multipart/alternative; boundary="c"',
    'Content-Type: message/rfc822', 'Content-Transfer-Encoding: base64', 'Content-Transfer-Encoding: quoted-printable', 'From: "a" <b@c>, d:;',
    'Subject: =?utf-8?q?x?=', 'aGVsbG8=', '=3D=\r\n', ' ', ':', 'x');
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }).map((u) => Buffer.from(u)),
    fc.array(token, { maxLength: 60 }).map((t) => Buffer.from(t.join(''), 'latin1'))), (raw) => {
    checkMessage(raw);
  }), { numRuns: 600 });
});

type Tree = { kind: 'leaf'; text: string } | { kind: 'multi'; children: Tree[] } | { kind: 'msg'; inner: Tree };

const tree = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof({ maxDepth: 5, depthIdentifier: 'tree', withCrossShrink: true },
    fc.array(fc.stringMatching(/^[a-z -]{0,12}$/), { maxLength: 4 }).map((lines): Tree => ({ kind: 'leaf', text: lines.join('\r\n') })),
    fc.array(tie('tree'), { minLength: 1, maxLength: 4 }).map((children): Tree => ({ kind: 'multi', children })),
    tie('tree').map((inner): Tree => ({ kind: 'msg', inner }))),
}));

/** A message for a tree; every multipart has its own boundary. */
function render(t: Tree, n = { b: 0 }): string {
  if (t.kind === 'leaf') return `Content-Type: text/plain\r\n\r\n${t.text}`;
  if (t.kind === 'msg') return `Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n${render(t.inner, n)}`;
  const b = `=_b${n.b++}`;
  return `Content-Type: multipart/mixed; boundary="${b}"\r\n\r\npreamble\r\n` +
    t.children.map((c) => `--${b}\r\n${render(c, n)}\r\n`).join('') + `--${b}--\r\nepilogue`;
}

function same(t: Tree, p: mime.MimePart, raw: Buffer): void {
  if (t.kind === 'leaf') {
    assert.equal(mime.mediaType(p), 'text/plain');
    assert.equal(raw.toString('latin1', p.bodyStart, p.end), t.text);
  } else if (t.kind === 'msg') {
    assert.equal(mime.mediaType(p), 'message/rfc822');
    same(t.inner, p.message!, raw);
  } else {
    assert.equal(p.parts.length, t.children.length);
    t.children.forEach((c, i) => same(c, p.parts[i]!, raw));
  }
}

test('generated MIME trees parse back to the same tree and bodies', () => {
  fc.assert(fc.property(tree.tree, (t) => {
    const raw = Buffer.from(`From: a@b\r\n${render(t)}`, 'latin1');
    same(t, mime.parseStructure(raw), raw);
    checkMessage(raw);
  }), { numRuns: 300 });
});
