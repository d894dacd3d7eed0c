// Flags as IMAP defines them (RFC 3501 2.3.2, RFC 9051 2.3.2): system flags start with "\" and are
// case-insensitive; keywords are atoms, compared case-insensitively too by most clients, kept as given.

const SYSTEM = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'];
const BY_LOWER = new Map(SYSTEM.map((f) => [f.toLowerCase(), f]));

/** The flags a client may set and keep (\Recent is the server's, per session). */
export const PERMANENT_FLAGS = [...SYSTEM];

/** A flag in its canonical spelling; throws on one a client cannot store. */
export function canonicalFlag(flag: string): string {
  if (flag.startsWith('\\')) {
    const known = BY_LOWER.get(flag.toLowerCase());
    if (!known) throw new Error(`${flag} is not a flag that can be stored`);
    return known;
  }
  // atom-char minus the atom-specials that may not appear in a flag (RFC 3501 9: flag-keyword = atom).
  if (!/^[!#$&'+,\-.0-9:;<=>?@A-Z^_`a-z|~]+$/.test(flag)) throw new Error(`"${flag}" is not a valid keyword`);
  return flag;
}

/** A sorted, duplicate-free flag list (case-insensitive for system flags and keywords alike). */
export function normalizeFlags(flags: Iterable<string>): string[] {
  const out = new Map<string, string>();
  for (const f of flags) {
    const c = canonicalFlag(f);
    if (!out.has(c.toLowerCase())) out.set(c.toLowerCase(), c);
  }
  return [...out.values()].sort();
}

export type FlagOp = 'set' | 'add' | 'remove';

export function applyFlags(current: readonly string[], op: FlagOp, flags: readonly string[]): string[] {
  if (op === 'set') return normalizeFlags(flags);
  const lower = new Set(flags.map((f) => f.toLowerCase()));
  if (op === 'remove') return current.filter((f) => !lower.has(f.toLowerCase()));
  return normalizeFlags([...current, ...flags]);
}

export const sameFlags = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((f, i) => f === b[i]);
