/**
 * Longest common subsequence matching for the line merge: Myers' O((N+M)·D) algorithm in its
 * linear-space form (find where a forward and a backward search meet, then solve both halves), so a
 * large rewrite of a large text costs time but not memory. Sequences are numbers so comparisons are
 * cheap; callers intern their lines first.
 */

/**
 * For each element of `a`, the index of the element of `b` it is paired with in a longest common
 * subsequence, or −1 when it is not in it. Pairs are strictly increasing on both sides.
 */
export function matchSequences(a: readonly number[], b: readonly number[]): Int32Array {
  const match = new Int32Array(a.length).fill(-1);
  solve(a, 0, a.length, b, 0, b.length, match);
  return match;
}

function solve(a: readonly number[], a0: number, a1: number, b: readonly number[], b0: number, b1: number, match: Int32Array): void {
  // A common prefix and suffix are matched directly: cheap, and typical edits touch a small middle.
  while (a0 < a1 && b0 < b1 && a[a0] === b[b0]) match[a0++] = b0++;
  while (a1 > a0 && b1 > b0 && a[a1 - 1] === b[b1 - 1]) match[--a1] = --b1;
  if (a0 === a1 || b0 === b1 || !shareAny(a, a0, a1, b, b0, b1)) return;
  const split = bisect(a, a0, a1, b, b0, b1);
  // The split is strictly inside for any pair with a common element; the check only guards the recursion.
  if (split === undefined || (split[0] === a0 && split[1] === b0) || (split[0] === a1 && split[1] === b1)) return;
  // Each half has at most half the edits, so the recursion is only O(log D) deep.
  solve(a, a0, split[0], b, b0, split[1], match);
  solve(a, split[0], a1, b, split[1], b1, match);
}

/** Whether the ranges have any element in common; a full rewrite is then settled in linear time. */
function shareAny(a: readonly number[], a0: number, a1: number, b: readonly number[], b0: number, b1: number): boolean {
  const seen = new Set<number>();
  for (let j = b0; j < b1; j++) seen.add(b[j]!);
  for (let i = a0; i < a1; i++) if (seen.has(a[i]!)) return true;
  return false;
}

/**
 * One edit on diagonal k (x − y = k) of an n×m grid, from the furthest x reached on diagonals k−1 and
 * k+1 with one edit fewer (−1: not reachable). Moving down (an insertion from b) keeps x; moving right
 * (a deletion from a) adds one; the further one is taken. Moves that would leave the grid are refused,
 * so every recorded point is on a real edit path. Returns −1 when neither move is possible.
 */
function step(left: number, right: number, k: number, n: number, m: number): number {
  const down = right >= 0 && right - (k + 1) < m ? right : -1;
  const across = left >= 0 && left < n ? left + 1 : -1;
  return Math.max(down, across);
}

/**
 * Runs the search from the start (on a, b) and from the end (on both reversed) one edit at a time until
 * the furthest-reaching paths overlap on a diagonal; the meeting point lies on a shortest edit path,
 * about halfway along it. Returns that point in absolute indices.
 */
function bisect(a: readonly number[], a0: number, a1: number, b: readonly number[], b0: number, b1: number): [number, number] | undefined {
  const n = a1 - a0;
  const m = b1 - b0;
  const delta = n - m;
  // Forward and backward diagonals k and delta − k are the same diagonal; which search can detect the
  // meeting depends on the parity of delta.
  const oddDelta = delta % 2 !== 0;
  const max = n + m;
  const off = max + 1;
  const forward = new Int32Array(2 * max + 3).fill(-1);
  const backward = new Int32Array(2 * max + 3).fill(-1);
  for (let d = 0; d <= max; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = d === 0 ? 0 : step(forward[off + k - 1]!, forward[off + k + 1]!, k, n, m);
      if (x < 0) {
        forward[off + k] = -1;
        continue;
      }
      let y = x - k;
      while (x < n && y < m && a[a0 + x] === b[b0 + y]) {
        x++;
        y++;
      }
      forward[off + k] = x;
      const kb = delta - k;
      if (oddDelta && kb >= -(d - 1) && kb <= d - 1) {
        const u = backward[off + kb]!;
        if (u >= 0 && x + u >= n) return [a0 + x, b0 + y];
      }
    }
    for (let k = -d; k <= d; k += 2) {
      // u, w count elements consumed from the ends of a and b.
      let u = d === 0 ? 0 : step(backward[off + k - 1]!, backward[off + k + 1]!, k, n, m);
      if (u < 0) {
        backward[off + k] = -1;
        continue;
      }
      let w = u - k;
      while (u < n && w < m && a[a1 - 1 - u] === b[b1 - 1 - w]) {
        u++;
        w++;
      }
      backward[off + k] = u;
      const kf = delta - k;
      if (!oddDelta && kf >= -d && kf <= d) {
        const x = forward[off + kf]!;
        if (x >= 0 && x + u >= n) return [a1 - u, b1 - w];
      }
    }
  }
  return undefined;
}
