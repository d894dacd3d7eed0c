// Summarizes V8 CPU profiles (node --cpu-prof): the functions with the most self time and the most
// inclusive time, as % of all samples.
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/dist/run.js --only writes
//   node bench/dist/src/tools/profile-summary.js [--top N] [--filter packages/store] /tmp/prof/*.cpuprofile
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function frameName(n: ProfileNode): string {
  const { functionName, url, lineNumber } = n.callFrame;
  let where = url;
  if (url.startsWith('file://')) where = relative(process.cwd(), fileURLToPath(url));
  const fn = functionName || '(anonymous)';
  return where ? `${where}:${lineNumber + 1} ${fn}` : fn;
}

function summarize(profile: CpuProfile): { self: Map<string, number>; total: Map<string, number>; ms: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let ms = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    ms += dt;
    const leaf = byId.get(id)!;
    self.set(frameName(leaf), (self.get(frameName(leaf)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const name = frameName(byId.get(cur)!);
      if (seen.has(name)) continue;
      seen.add(name);
      total.set(name, (total.get(name) ?? 0) + dt);
    }
  });
  return { self, total, ms };
}

function top(m: Map<string, number>, ms: number, n: number, filter: string | undefined): string[] {
  return [...m]
    .filter(([k]) => !filter || k.includes(filter))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / ms).toFixed(1).padStart(5)}%  ${v.toFixed(0).padStart(7)} ms  ${k}`);
}

async function main(argv: string[]): Promise<void> {
  let n = 25;
  let filter: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--top') n = Number(argv[++i]);
    else if (argv[i] === '--filter') filter = argv[++i];
    else files.push(argv[i]!);
  }
  if (files.length === 0) throw new Error('usage: profile-summary.js [--top N] [--filter TEXT] FILE.cpuprofile...');
  for (const f of files) {
    const { self, total, ms } = summarize(JSON.parse(await readFile(f, 'utf8')) as CpuProfile);
    const lines = [
      `# ${f}: ${ms.toFixed(0)} ms sampled${filter ? `, frames matching "${filter}"` : ''}`,
      '## self time', ...top(self, ms, n, filter),
      '## inclusive time', ...top(total, ms, n, filter),
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }
}

await main(process.argv.slice(2));
