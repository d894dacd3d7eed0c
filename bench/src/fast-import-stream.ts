import { AUTHOR, type BenchRecord } from './dataset.js';

/**
 * The `git fast-import` stream for the records: one commit per record on `branch`, each carrying its
 * value inline. Commits and trees come out byte-identical to the other contenders'.
 */
export function fastImportStream(records: Iterable<BenchRecord>, branch = 'refs/heads/main'): Buffer {
  const parts: Buffer[] = [];
  const person = `${AUTHOR.name} <${AUTHOR.email}>`;
  for (const r of records) {
    const message = Buffer.from(r.message, 'utf8');
    parts.push(
      Buffer.from(
        `commit ${branch}\n` +
          `author ${person} ${r.time} +0000\n` +
          `committer ${person} ${r.time} +0000\n` +
          `data ${message.length}\n`,
        'utf8',
      ),
      message,
      Buffer.from(`M 100644 inline ${r.key}\ndata ${r.value.length}\n`, 'utf8'),
      Buffer.from(r.value),
      Buffer.from('\n'),
    );
  }
  parts.push(Buffer.from('done\n'));
  return Buffer.concat(parts);
}
