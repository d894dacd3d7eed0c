import { Failure } from '../report.js';
import { splitLines, type Io } from '../io.js';

/**
 * The password: the first line of stdin (so it never shows in `ps` or the shell's history), e.g.
 * `printf '%s\n' "$PASSWORD" | nymote user add alice`.
 */
export async function readPassword(io: Io, who: string): Promise<string> {
  for await (const line of splitLines(io.stdin)) return new TextDecoder('utf-8', { fatal: true }).decode(line);
  throw new Failure(`no password for ${who} on stdin (give it as the first line, e.g. printf '%s\\n' "$PASSWORD" | nymote user ...)`);
}
