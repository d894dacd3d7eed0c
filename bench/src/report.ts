import { formatMs } from './timing.js';
import type { Measure, Row } from './types.js';

function formatMeasure(m: Measure): string {
  if ('perSecond' in m) return `${m.perSecond >= 100 ? Math.round(m.perSecond).toLocaleString('en-US') : m.perSecond.toFixed(1)}/s`;
  return 'ms' in m ? formatMs(m.ms) : `${m.mb.toFixed(1)} MB`;
}

/** "12.3× faster" / "1.8× slower" from a speed-up (peer time / our time). */
function formatSpeedup(s: number): string {
  const digits = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  return s >= 1 ? `${digits(s)}× faster` : `${digits(1 / s)}× slower`;
}

function formatTarget(t: number): string {
  return t >= 1 ? `≥ ${t}× faster` : `≤ ${1 / t}× slower`;
}

function speedup(row: Row): number | undefined {
  if (!row.peer) return undefined;
  const [a, b] = [row.ours, row.peer.result];
  if ('ms' in a && 'ms' in b) return b.ms / a.ms;
  // A higher rate is better: the speed-up is ours over theirs.
  if ('perSecond' in a && 'perSecond' in b) return a.perSecond / b.perSecond;
  return undefined;
}

const escape = (s: string) => s.replace(/\|/g, '\\|');

/** The results as one markdown table. */
export function renderTable(rows: readonly Row[]): string {
  const head = ['Benchmark', 'Task', 'Ours', 'Peer', 'Peer result', 'Ours vs peer', 'Target', 'Met'];
  const body = rows.map((r) => {
    const s = speedup(r);
    const met = s === undefined || r.target === undefined ? '' : s >= r.target ? 'yes' : '**no**';
    return [
      r.bench, r.task, formatMeasure(r.ours), r.peer?.name ?? '—', r.peer ? formatMeasure(r.peer.result) : '—',
      s === undefined ? '—' : formatSpeedup(s), r.target === undefined ? '' : formatTarget(r.target), met,
    ].map(escape);
  });
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...body.map(line)].join('\n');
}
