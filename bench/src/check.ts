/** Fails the run when two contenders disagree: a benchmark only counts if they did the same work. */
export function expectSame<T>(what: string, expected: T, actual: T, who: string): void {
  const a = JSON.stringify(expected);
  const b = JSON.stringify(actual);
  if (a !== b) {
    const show = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}…` : s);
    throw new Error(`${what}: ${who} disagrees\n  expected ${show(a)}\n  got      ${show(b)}`);
  }
}

export function expectSameBytes(what: string, expected: readonly Uint8Array[], actual: readonly (Uint8Array | undefined)[], who: string): void {
  if (expected.length !== actual.length) throw new Error(`${what}: ${who} returned ${actual.length} values, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const x = actual[i];
    if (!x || Buffer.compare(Buffer.from(expected[i]!), Buffer.from(x)) !== 0) throw new Error(`${what}: ${who} returned a wrong value at #${i}`);
  }
}
