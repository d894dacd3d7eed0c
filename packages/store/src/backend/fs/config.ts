// Just enough of git's config format to check that we can work on a repository: section headers,
// "key = value" lines, comments. (Includes, quoting and continuation lines are not needed for that.)

/** The last value of section.key (both case-insensitive, as in git), or undefined. */
export function configValue(text: string, section: string, key: string): string | undefined {
  let current = '';
  let value: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[;#].*$/, '').trim();
    if (line === '') continue;
    const header = /^\[([^\]\s"]+)(?:\s+"[^"]*")?\]$/.exec(line);
    if (header) {
      current = header[1]!.toLowerCase();
      continue;
    }
    const eq = line.indexOf('=');
    const k = (eq < 0 ? line : line.slice(0, eq)).trim().toLowerCase();
    if (current === section.toLowerCase() && k === key.toLowerCase()) {
      value = eq < 0 ? 'true' : line.slice(eq + 1).trim();
    }
  }
  return value;
}

/** What `git init --bare` writes, minus settings that only matter to a work tree. */
export const BARE_CONFIG = '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n';

// ---- remotes: [remote "NAME"] sections, as `git remote` reads and writes them ----

export interface RemoteConfig {
  name: string;
  url: string | undefined;
  /** Refspecs ("+refs/heads/*:refs/remotes/origin/*"). */
  fetch: string[];
}

const REMOTE_HEADER_RE = /^\s*\[\s*remote\s+"((?:[^"\\\n]|\\.)*)"\s*\]\s*(?:[;#].*)?$/i;
const ANY_HEADER_RE = /^\s*\[/;

/** A config value as git reads it: quotes removed, escapes decoded, a comment outside quotes dropped. */
function parseValue(raw: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && i + 1 < raw.length) {
      const n = raw[++i]!;
      out += n === 'n' ? '\n' : n === 't' ? '\t' : n;
    } else if (!quoted && (c === ';' || c === '#')) break;
    else out += c;
  }
  return quoted ? out : out.trim();
}

/** A value written so git reads it back unchanged: quoted when it has spaces at the ends or comment characters. */
function formatValue(v: string): string {
  const escaped = v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  return /^\s|\s$|[;#]/.test(v) ? `"${escaped}"` : escaped;
}

/** Every [remote "NAME"] section, in file order (several sections of one name are merged, as git does). */
export function parseRemotes(text: string): RemoteConfig[] {
  const byName = new Map<string, RemoteConfig>();
  let current: RemoteConfig | undefined;
  for (const line of text.split('\n')) {
    const header = REMOTE_HEADER_RE.exec(line);
    if (header) {
      const name = header[1]!.replace(/\\(.)/g, '$1');
      current = byName.get(name);
      if (!current) byName.set(name, (current = { name, url: undefined, fetch: [] }));
      continue;
    }
    if (ANY_HEADER_RE.test(line)) {
      current = undefined;
      continue;
    }
    if (!current) continue;
    const m = /^\s*([A-Za-z][A-Za-z0-9-]*)\s*(?:=(.*))?$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const value = parseValue(m[2] ?? '');
    if (key === 'url') current.url = value;
    else if (key === 'fetch') current.fetch.push(value);
  }
  return [...byName.values()];
}

/** Names git accepts for a remote (git remote add's check, close enough: one ref-name component). */
export function isValidRemoteName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) && !name.endsWith('.lock') && !name.includes('..');
}

/** `text` with a new [remote "NAME"] section at the end, fetching every branch to refs/remotes/NAME/*. */
export function addRemoteSection(text: string, name: string, url: string): string {
  const section = `[remote "${name}"]\n\turl = ${formatValue(url)}\n\tfetch = +refs/heads/*:refs/remotes/${name}/*\n`;
  return text === '' || text.endsWith('\n') ? text + section : `${text}\n${section}`;
}

/** `text` without the [remote "NAME"] section(s); every other line is kept as it was. */
export function removeRemoteSection(text: string, name: string): string {
  const out: string[] = [];
  let skipping = false;
  for (const line of text.split('\n')) {
    const header = REMOTE_HEADER_RE.exec(line);
    if (header) skipping = header[1]!.replace(/\\(.)/g, '$1') === name;
    else if (ANY_HEADER_RE.test(line)) skipping = false;
    if (!skipping) out.push(line);
  }
  return out.join('\n');
}
