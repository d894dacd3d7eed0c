// Reading loose ref files (refs/heads/main, HEAD): either "<id>\n" or "ref: <name>\n".
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../../errors.js';
import { isObjectId, type ObjectId } from '../../git/id.js';
import { errnoCode, isNotFound, readSmallFile } from './files.js';
import { isValidRefName } from './ref-names.js';

export type LooseRef = { id: ObjectId } | { symbolic: string };

export function parseLooseRef(text: string, name: string, file: string): LooseRef {
  if (text.startsWith('ref:')) {
    const target = text.slice(4).trim();
    if (isValidRefName(target)) return { symbolic: target };
  } else {
    const id = text.slice(0, 40).toLowerCase();
    // Git accepts anything after the id that starts with whitespace.
    if (isObjectId(id) && (text.length === 40 || /\s/.test(text[40]!))) return { id };
  }
  throw new StoreError('invalid-ref', `ref ${name} (${file}) holds neither an object id nor "ref: <name>": "${text.slice(0, 60)}"`, {
    ref: name,
    file,
  });
}

/** Errors that mean "there is no loose ref here": missing, a parent is a file, or it is a directory. */
/** Not a loose ref: no file, or a directory of refs ("refs/heads/a" when "refs/heads/a/b" exists). */
function isAbsent(e: unknown): boolean {
  return isNotFound(e) || errnoCode(e) === 'EISDIR';
}

/**
 * The loose ref `name`, or undefined when there is no such file. Synchronous, like every read of these
 * few-byte files (see files.ts): a ref read is on the path of every store read and write.
 */
export function readLooseRef(dir: string, name: string): LooseRef | undefined {
  const file = join(dir, name);
  let text: string;
  try {
    text = readSmallFile(file);
  } catch (e) {
    if (isAbsent(e)) return undefined;
    throw e;
  }
  return parseLooseRef(text, name, file);
}

/**
 * Every loose ref under `sub` ("refs" or "refs/heads"), relative names as keys. Lock files, temp files and
 * refs that do not parse are skipped, as git skips them when it lists refs; they are reported when read
 * by name. Synchronous, as git lists refs: a directory listing and a read per ref are microseconds each,
 * where thread-pool round trips made listing a few hundred refs take tens of milliseconds.
 */
export function walkLooseRefs(dir: string, sub: string): Map<string, LooseRef> {
  const out = new Map<string, LooseRef>();
  const visit = (rel: string): void => {
    let entries;
    try {
      entries = readdirSync(join(dir, rel), { withFileTypes: true });
    } catch (e) {
      if (isAbsent(e)) return;
      throw e;
    }
    for (const ent of entries) {
      const name = `${rel}/${ent.name}`;
      if (ent.isDirectory()) visit(name);
      else if (ent.isFile() && isValidRefName(name)) {
        try {
          const r = readLooseRef(dir, name);
          if (r) out.set(name, r);
        } catch {
          // unparsable or unreadable: skipped, see above
        }
      }
    }
  };
  visit(sub);
  return out;
}
