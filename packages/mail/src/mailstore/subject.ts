/**
 * The Subject and From of a message, for commit messages only ("Deliver “Lunch?” from ann@…"): the
 * first header block, unfolded, encoded words left as they are, shortened. Never throws.
 */
export function headerLine(raw: Uint8Array, field: string, max = 60): string | undefined {
  const head = Buffer.from(raw.subarray(0, Math.min(raw.length, 64 * 1024))).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const block = (end < 0 ? head : head.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const m = new RegExp(`^${field}:[ \\t]*(.*)$`, 'im').exec(block);
  if (!m) return undefined;
  const value = m[1]!.trim();
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}
