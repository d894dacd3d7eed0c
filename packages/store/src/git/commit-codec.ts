import { fromUtf8, utf8 } from './bytes.js';
import type { ObjectId } from './id.js';
import { StoreError } from '../errors.js';

/** An author or committer line. The time zone is kept as git wrote it ("+0100", "-0000") so commits round-trip. */
export interface Person {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  time: number;
  tz: string;
}

export interface Commit {
  tree: ObjectId;
  parents: ObjectId[];
  author: Person;
  committer: Person;
  message: string;
  /** Headers we do not interpret (gpgsig, encoding, mergetag), kept verbatim in order, for round-trips. */
  extraHeaders?: [string, string][];
}

/** Minutes east of UTC as git's "+HHMM". */
export function formatTz(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const a = Math.abs(offsetMinutes);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}${String(a % 60).padStart(2, '0')}`;
}

export function tzMinutes(tz: string): number {
  const sign = tz.startsWith('-') ? -1 : 1;
  return sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(3, 5)));
}

/** Git refuses names or emails containing '<', '>' or newlines; so do we, naming the field. */
export function checkPerson(p: Person, field = 'author'): void {
  for (const [k, v] of [['name', p.name], ['email', p.email]] as const) {
    if (/[<>\n]/.test(v)) throw new StoreError('invalid-object', `${field} ${k} may not contain <, > or newline: "${v}"`, { field });
  }
  if (!Number.isInteger(p.time) || p.time < 0) throw new StoreError('invalid-object', `${field} time must be whole seconds`, { field });
  if (!/^[+-]\d{4}$/.test(p.tz)) throw new StoreError('invalid-object', `${field} time zone must look like +0100`, { field });
}

function formatPerson(p: Person): string {
  return `${p.name} <${p.email}> ${p.time} ${p.tz}`;
}

const PERSON_RE = /^(.*?) ?<([^>]*)> (\d+) ([+-]\d{4})$/;

export function parsePerson(s: string, id = '?'): Person {
  const m = PERSON_RE.exec(s);
  if (!m) throw new StoreError('invalid-object', `commit ${id}: bad person line "${s}"`, { id });
  return { name: m[1]!, email: m[2]!, time: Number(m[3]), tz: m[4]! };
}

export function encodeCommit(c: Commit): Uint8Array {
  checkPerson(c.author, 'author');
  checkPerson(c.committer, 'committer');
  let s = `tree ${c.tree}\n`;
  for (const p of c.parents) s += `parent ${p}\n`;
  s += `author ${formatPerson(c.author)}\ncommitter ${formatPerson(c.committer)}\n`;
  for (const [k, v] of c.extraHeaders ?? []) s += `${k} ${v.replace(/\n/g, '\n ')}\n`;
  s += `\n${c.message}`;
  return utf8(s);
}

export function decodeCommit(body: Uint8Array, id = '?'): Commit {
  const text = fromUtf8(body);
  const end = text.indexOf('\n\n');
  const head = end < 0 ? text : text.slice(0, end);
  const message = end < 0 ? '' : text.slice(end + 2);
  let tree: string | undefined;
  const parents: string[] = [];
  let author: Person | undefined;
  let committer: Person | undefined;
  const extra: [string, string][] = [];
  for (const line of head.split('\n')) {
    if (line.startsWith(' ') && extra.length > 0) {
      const last = extra[extra.length - 1]!;
      last[1] += '\n' + line.slice(1);
      continue;
    }
    const sp = line.indexOf(' ');
    const key = line.slice(0, sp);
    const value = line.slice(sp + 1);
    if (key === 'tree' && tree === undefined) tree = value;
    else if (key === 'parent') parents.push(value);
    else if (key === 'author' && !author) author = parsePerson(value, id);
    else if (key === 'committer' && !committer) committer = parsePerson(value, id);
    else extra.push([key, value]);
  }
  if (!tree || !author || !committer) {
    throw new StoreError('invalid-object', `commit ${id}: missing tree, author or committer`, { id });
  }
  const c: Commit = { tree, parents, author, committer, message };
  if (extra.length) c.extraHeaders = extra;
  return c;
}

/** The object an annotated tag points at; enough to follow tags that `git` created in a repository we read. */
export function decodeTagTarget(body: Uint8Array, id = '?'): { object: ObjectId; type: string } {
  const text = fromUtf8(body);
  const obj = /^object ([0-9a-f]{40})$/m.exec(text);
  const type = /^type (\w+)$/m.exec(text);
  if (!obj || !type) throw new StoreError('invalid-object', `tag ${id}: missing object or type`, { id });
  return { object: obj[1]!, type: type[1]! };
}
