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
