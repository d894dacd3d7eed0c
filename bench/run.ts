// `npm run bench` / `node bench/dist/run.js [--quick] [--only NAME[,NAME]] [--keep]`: runs the benchmarks
// and prints one markdown table on stdout (progress goes to stderr).
import { loadavg } from 'node:os';
import { parseArgs, type Options } from './src/config.js';
import { Fixtures } from './src/fixtures.js';
import { fileCreationCost, header } from './src/header.js';
import { renderTable } from './src/report.js';
import type { Benchmark, Context, Row } from './src/types.js';
import { Workspace } from './src/workspace.js';
import { writesBench } from './src/bench-writes.js';
import { importBench } from './src/bench-import.js';
import { writesMemoryBench } from './src/bench-writes-memory.js';
import { readKeysBench } from './src/bench-read-keys.js';
import { readLogBench } from './src/bench-read-log.js';
import { readListBench } from './src/bench-read-list.js';
import { keyHistoryBench } from './src/bench-key-history.js';
import { rssBench } from './src/bench-rss.js';
import { syncBench } from './src/bench-sync.js';
import { davBench } from './src/bench-dav.js';
import { daemonBench } from './src/bench-daemon.js';
import { imapBench } from './src/bench-imap.js';
import { formatMs } from './src/timing.js';

const BENCHMARKS: readonly Benchmark[] = [
  writesBench, importBench, writesMemoryBench, readKeysBench, readLogBench, readListBench, keyHistoryBench, rssBench, syncBench, davBench, imapBench, daemonBench,
];

/** Names that select several benchmarks at once. */
const GROUPS: Readonly<Record<string, readonly string[]>> = {
  reads: ['read-keys', 'read-log', 'read-list'],
  writes: ['writes-disk', 'import', 'writes-memory'],
};

function select(options: Options): Benchmark[] {
  if (!options.only) return [...BENCHMARKS];
  const names = new Set<string>();
  for (const n of options.only) {
    if (BENCHMARKS.some((b) => b.name === n)) names.add(n);
    else if (n in GROUPS) for (const g of GROUPS[n]!) names.add(g);
    else throw new Error(`no benchmark "${n}"; choose from ${[...BENCHMARKS.map((b) => b.name), ...Object.keys(GROUPS)].join(', ')}`);
  }
  return BENCHMARKS.filter((b) => names.has(b.name));
}

function usage(): string {
  return [
    'usage: node bench/dist/run.js [--quick] [--only NAME[,NAME...]] [--keep]',
    '  --quick   about ten times smaller (a quick check, not for numbers)',
    '  --only    run only these benchmarks (a group name selects several):',
    ...BENCHMARKS.map((b) => `              ${b.name.padEnd(14)} ${b.description}`),
    ...Object.entries(GROUPS).map(([g, ns]) => `              ${g.padEnd(14)} = ${ns.join(', ')}`),
    '  --keep    keep the temporary repositories and print where they are',
  ].join('\n');
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(usage() + '\n');
    return;
  }
  const chosen = select(options);
  const workspace = await Workspace.create(options.keep);
  const started = performance.now();
  const loadAtStart = loadavg();
  const createCost = fileCreationCost(workspace.root);
  const ctx: Context = {
    sizes: options.sizes,
    workspace,
    fixtures: new Fixtures(),
    progress: (m) => process.stderr.write(`[${formatMs(performance.now() - started).padStart(8)}] ${m}\n`),
  };
  const rows: Row[] = [];
  try {
    for (const b of chosen) {
      ctx.progress(`== ${b.name}: ${b.description}`);
      rows.push(...(await b.run(ctx)));
    }
  } finally {
    await workspace.dispose();
  }
  process.stdout.write(`${await header(options, loadAtStart, createCost, workspace.spread)}\n${renderTable(rows)}\n`);
  ctx.progress(`done in ${formatMs(performance.now() - started)}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
