/**
 * Sequence sets (RFC 3501 / RFC 9051 `sequence-set`). The parser keeps `*` symbolic and `$` (the
 * saved search result, SEARCHRES RFC 5182, part of IMAP4rev2) as a marker: only the session knows
 * the mailbox's largest number or UID and what the last `SEARCH RETURN (SAVE)` kept.
 */

/** A message number or UID; `'*'` is the largest one in use in the mailbox. */
export type SeqNumber = number | '*';
/** `start:end` in whichever order the client wrote it (RFC 3501: `4:2` is `2:4`); one number has start === end. */
export interface SeqRange { start: SeqNumber; end: SeqNumber }
/** A parsed sequence set: its ranges as written, or `'$'` for the saved search result. */
export type SequenceSet = SeqRange[] | '$';

/** The largest value a sequence number or UID can take (nz-number is 32 bits). */
export const MAX_UID = 0xffffffff;

/**
 * Resolves a symbolic set against a mailbox whose largest number (or UID) is `max` (0 when empty):
 * sorted, disjoint `[start, end]` ranges. `*` is `max`; as RFC 3501 says, `n:*` with n > max still
 * means the range max..n, so a UID set `100:*` on a mailbox whose last UID is 50 matches UID 50.
 * Numbers above `max` are kept (a UID set may name UIDs that no longer exist); callers intersect.
 */
export function resolveSequenceSet(set: SeqRange[], max: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const r of set) {
    const a = r.start === '*' ? max : r.start;
    const b = r.end === '*' ? max : r.end;
    if (a === 0 && b === 0) continue;
    ranges.push(a <= b ? [Math.max(a, 1), b] : [Math.max(b, 1), a]);
  }
  ranges.sort((x, y) => x[0] - y[0]);
  const out: Array<[number, number]> = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

/** Whether `n` is in the set resolved against `max` (see resolveSequenceSet for `*`). */
export function sequenceSetHas(set: SeqRange[], n: number, max: number): boolean {
  for (const r of set) {
    const a = r.start === '*' ? max : r.start;
    const b = r.end === '*' ? max : r.end;
    if (n >= Math.min(a, b) && n <= Math.max(a, b)) return true;
  }
  return false;
}

/**
 * Writes numbers as a compact sequence set, `1:5,7,9:10`. Sorted and deduplicated by default (for
 * VANISHED, ESEARCH ALL, MODIFIED); with `{ keepOrder: true }` only consecutive ascending runs are
 * joined and the order is kept, which COPYUID needs (RFC 4315: the source and destination sets
 * pair up element by element). Empty input gives an empty string, which is not a valid set: the
 * caller decides what to send then.
 */
export function compressSequenceSet(numbers: Iterable<number>, options: { keepOrder?: boolean } = {}): string {
  let list = Array.from(numbers);
  if (!options.keepOrder) {
    list.sort((a, b) => a - b);
    list = list.filter((n, i) => i === 0 || n !== list[i - 1]);
  }
  const parts: string[] = [];
  let i = 0;
  while (i < list.length) {
    const start = list[i]!;
    let j = i;
    while (j + 1 < list.length && list[j + 1] === list[j]! + 1) j++;
    parts.push(j === i ? String(start) : `${start}:${list[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Writes a parsed (symbolic) set back in its wire form. */
export function formatSequenceSet(set: SequenceSet): string {
  if (set === '$') return '$';
  return set.map((r) => (r.start === r.end ? String(r.start) : `${r.start}:${r.end}`)).join(',');
}
