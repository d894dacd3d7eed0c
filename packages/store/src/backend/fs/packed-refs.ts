// The packed-refs file: "<id> <name>" lines, each optionally followed by "^<id>", the object an annotated
// tag finally points at ("peeled"). The header line lists traits that tell readers what to expect.
import { StoreError } from '../../errors.js';
import { isObjectId, type ObjectId } from '../../git/id.js';
import { compareRefNames, isValidRefName } from './ref-names.js';

export interface PackedRef {
  id: ObjectId;
  peeled?: ObjectId;
}

export interface PackedRefs {
  /** From the "# pack-refs with:" header: "peeled", "fully-peeled", "sorted". */
  traits: Set<string>;
  refs: Map<string, PackedRef>;
}

export function emptyPackedRefs(): PackedRefs {
  return { traits: new Set(), refs: new Map() };
}

const HEADER = '# pack-refs with:';

export function parsePackedRefs(text: string, file: string): PackedRefs {
  const out = emptyPackedRefs();
  let last: PackedRef | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (i === 0 && line.startsWith(HEADER)) {
        for (const t of line.slice(HEADER.length).trim().split(/\s+/)) if (t) out.traits.add(t);
      }
      continue;
    }
    if (line.startsWith('^')) {
      const peeled = line.slice(1);
      if (!last || !isObjectId(peeled)) throw bad(file, i, line);
      last.peeled = peeled;
      continue;
    }
    const id = line.slice(0, 40);
    const name = line.slice(41);
    if (!isObjectId(id) || line[40] !== ' ' || !isValidRefName(name)) throw bad(file, i, line);
    last = { id };
    out.refs.set(name, last);
  }
  return out;
}

function bad(file: string, i: number, line: string): StoreError {
  return new StoreError('invalid-ref', `${file}:${i + 1}: unreadable packed-refs line "${line}"`, { file, line: i + 1 });
}

/** Serializes in git's sorted order, which git relies on to binary-search the file. */
export function formatPackedRefs(p: PackedRefs): string {
  const traits = new Set(p.traits);
  traits.add('sorted');
  const order = ['peeled', 'fully-peeled', 'sorted'].filter((t) => traits.has(t));
  for (const t of traits) if (!order.includes(t)) order.push(t);
  let s = `${HEADER} ${order.join(' ')} \n`;
  for (const name of [...p.refs.keys()].sort(compareRefNames)) {
    const r = p.refs.get(name)!;
    s += `${r.id} ${name}\n`;
    if (r.peeled) s += `^${r.peeled}\n`;
  }
  return s;
}
