/** Text values: whole-text (atomic) merge and a line-based three-way merge (diff3). */
import { conflict, ok, type ContentType, type Merge } from './types.js';
import { atomic } from './option.js';
import { matchSequences } from './diff.js';
import { decodeText } from './codec.js';
import { utf8 } from '../git/bytes.js';

/**
 * Text as one atomic value: a one-sided change wins, equal changes agree, different concurrent changes
 * conflict ("concurrent edits"). Commutative, idempotent, merge(b, b, x) = merge(b, x, b) = x.
 */
export const text: Merge<string> = atomic<string>((a, b) => a === b, 'concurrent edits: both sides changed the text differently');

/** Lines including their "\n", so joining gives back the text exactly (a missing final newline too). */
function splitLines(s: string): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < s.length) {
    const nl = s.indexOf('\n', start);
    const end = nl < 0 ? s.length : nl + 1;
    out.push(s.slice(start, end));
    start = end;
  }
  return out;
}

function sameRange(x: readonly number[], x0: number, x1: number, y: readonly number[], y0: number, y1: number): boolean {
  if (x1 - x0 !== y1 - y0) return false;
  for (let i = 0; i < x1 - x0; i++) if (x[x0 + i] !== y[y0 + i]) return false;
  return true;
}

/** Names a region of base lines [from, to) for people, 1-based like editors. */
function describe(from: number, to: number): string {
  if (from === to) return from === 0 ? 'insertions at the start' : `insertions after line ${from}`;
  return to - from === 1 ? `line ${from + 1}` : `lines ${from + 1}-${to}`;
}

/**
 * A line-based three-way merge in the style of diff3. Each side is matched against base by a longest
 * common subsequence of lines; the lines matched in all three are stable, and the regions between them
 * are taken from whichever side changed them. A region changed differently on both sides conflicts,
 * with the base line numbers in the message ("concurrent edits to the same lines of the base: lines 3-5,
 * insertions after line 9"); edits
 * must be separated by at least one unchanged line to merge (like git, adjacent edits conflict).
 * Lines keep their "\n", so a changed final newline is a change to the last line. No base (both sides
 * added the text) merges against an empty base. Commutative (both sides are treated alike), idempotent,
 * and merge(b, b, x) = merge(b, x, b) = x.
 */
export const lines: Merge<string> = (base, ours, theirs) => {
  if (ours === theirs) return ok(ours);
  if (base === ours) return ok(theirs);
  if (base === theirs) return ok(ours);
  const ids = new Map<string, number>();
  const intern = (l: string): number => {
    let id = ids.get(l);
    if (id === undefined) ids.set(l, (id = ids.size));
    return id;
  };
  const oursLines = splitLines(ours);
  const theirsLines = splitLines(theirs);
  const B = splitLines(base ?? '').map(intern);
  const O = oursLines.map(intern);
  const T = theirsLines.map(intern);
  const mo = matchSequences(B, O);
  const mt = matchSequences(B, T);

  const out: string[] = [];
  const conflicts: string[] = [];
  let b = 0;
  let o = 0;
  let t = 0;
  for (;;) {
    // A stable run: base lines matched to the next lines of both sides.
    let i = 0;
    while (b + i < B.length && mo[b + i] === o + i && mt[b + i] === t + i) i++;
    if (i > 0) {
      for (let j = 0; j < i; j++) out.push(oursLines[o + j]!);
      b += i;
      o += i;
      t += i;
      continue;
    }
    if (b === B.length && o === O.length && t === T.length) break;
    // An unstable region runs up to the next base line matched on both sides (or to the end).
    let l = b;
    while (l < B.length && (mo[l]! < 0 || mt[l]! < 0)) l++;
    const oEnd = l < B.length ? mo[l]! : O.length;
    const tEnd = l < B.length ? mt[l]! : T.length;
    if (sameRange(B, b, l, O, o, oEnd)) out.push(...theirsLines.slice(t, tEnd));
    else if (sameRange(B, b, l, T, t, tEnd) || sameRange(O, o, oEnd, T, t, tEnd)) out.push(...oursLines.slice(o, oEnd));
    else conflicts.push(describe(b, l));
    b = l;
    o = oEnd;
    t = tEnd;
  }
  if (conflicts.length) return conflict(`concurrent edits to the same lines of the base: ${conflicts.join(', ')}`);
  return ok(out.join(''));
};

function textContentType(name: string, merge: Merge<string>): ContentType<string> {
  return { name, encode: (value) => utf8(value), decode: (bytes) => decodeText(name, bytes), merge };
}

/** UTF-8 text merged as a whole (`text`). Decode rejects invalid UTF-8. */
export const textType: ContentType<string> = textContentType('text', text);

/** UTF-8 text merged line by line (`lines`). Decode rejects invalid UTF-8. */
export const linesType: ContentType<string> = textContentType('lines', lines);
