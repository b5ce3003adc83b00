// Number formats and the rows every table of bench/results/LATEST.md shares:
// medians with their range, ratios, and the rows of clients without a run.

import type { Results, Spread, Workload } from './model.js';

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function num(x: number): string {
  if (x >= 100) return int.format(x);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

export function withRange(s: Spread | null): string {
  if (!s) return 'n/a';
  return s.min === s.max ? num(s.median) : `${num(s.median)} (${num(s.min)}–${num(s.max)})`;
}

export function median(s: Spread | null): string {
  return s ? num(s.median) : 'n/a';
}

/** a's median over b's, as "1.23×"; '–' when either has no runs. */
export function ratio(a: Spread | null, b: Spread | null): string {
  return a && b ? `${(a.median / b.median).toFixed(2)}×` : '–';
}

export function cellText(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function runsText(r: Results, w: Workload, peer: string): string {
  const cell = r.cells[w.id]?.[peer];
  const ok = cell?.runs.length ?? 0;
  return `${ok}/${ok + (cell?.failures.length ?? 0)}`;
}

/** Rows for clients without a completed run: why it was left out, "not supported", or "could not run" with the first error. */
export function failedRow(r: Results, w: Workload, peer: string, columns: number, lead: string[] = []): string | null {
  const cell = r.cells[w.id]?.[peer];
  if (!cell || cell.runs.length > 0) return null;
  const info = r.peers.find((p) => p.id === peer);
  const what = info?.unavailable ?? (cell.unsupported === null ? `could not run: ${cell.failures[0] ?? 'no run'}` : `not supported: ${cell.unsupported}`);
  const cells = [...lead, info?.label ?? peer, cellText(what)];
  return `| ${cells.join(' | ')} |${' |'.repeat(columns - cells.length)}`;
}

/** Failed runs of clients that also had good ones: the medians leave them out, so say so. */
export function failureNotes(r: Results, w: Workload): string[] {
  const notes: string[] = [];
  for (const p of r.peers) {
    const cell = r.cells[w.id]?.[p.id];
    if (!cell || cell.runs.length === 0) continue;
    for (const f of cell.failures) notes.push(`- ${p.label}: failed run: ${cellText(f)}`);
  }
  return notes.length ? ['', ...notes] : [];
}
