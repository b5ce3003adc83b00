// Draws the results as one SVG: first a row of small panels with every
// client at its own defaults, one panel per throughput workload; then a panel
// per workload, one bar per client (median, with a line from the slowest to
// the fastest round), and the latency panel with p50 drawn inside p99. The
// first-program runs are in the report only. Turned into a PNG too when
// rsvg-convert (Debian package librsvg2-bin) is installed.

import { spawnSync } from 'node:child_process';
import { peersOf, summarize, type PeerInfo, type Results, type Spread, type Workload } from './model.js';

const WIDTH = 1060;
const LABEL_W = 350;
const BAR_W = 470;
const ROW_H = 24;
const GAP = 6;
const TITLE_H = 34;
const PANEL_GAP = 18;
const GRID_LABEL_W = 310;
const GRID_HEAD_H = 22;
/** Room right of a grid bar for its "638.3k". */
const GRID_TEXT_W = 56;
// Fixed per client, so a client keeps its colour when BENCH_PEERS picks a few.
const COLORS: Record<string, string> = {
  kafkajs: '#8c8c8c',
  platformatic: '#e8a33d',
  'platformatic-defaults': '#f3c98b',
  kafkats: '#5aa469',
  'node-rdkafka': '#a0522d',
  kcat: '#3d3d3d',
  java: '#c0504d',
  'java-defaults': '#e39a97',
  'ours-worker': '#2f6db5',
  'ours-main': '#6fa8dc',
  'ours-kafkajs': '#9fc5e8',
};

const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

interface Bar {
  label: string;
  color: string;
  value: Spread | null;
  inner: Spread | null;
  text: string;
}

function panel(y: number, title: string, bars: Bar[]): { svg: string; height: number } {
  const max = Math.max(...bars.map((b) => b.value?.max ?? 0), 1e-9);
  const x0 = LABEL_W;
  const scale = (v: number) => (v / max) * BAR_W;
  const parts = [`<text x="12" y="${y + 22}" class="title">${esc(title)}</text>`];
  bars.forEach((b, i) => {
    const top = y + TITLE_H + i * (ROW_H + GAP);
    const mid = top + ROW_H / 2;
    parts.push(`<text x="${x0 - 10}" y="${mid + 5}" text-anchor="end">${esc(b.label)}</text>`);
    if (!b.value) {
      parts.push(`<text x="${x0 + 6}" y="${mid + 5}" class="muted">${esc(b.text)}</text>`);
      return;
    }
    const w = scale(b.value.median);
    parts.push(`<rect x="${x0}" y="${top}" width="${w.toFixed(1)}" height="${ROW_H}" fill="${b.color}" opacity="${b.inner ? 0.45 : 1}"/>`);
    if (b.inner) parts.push(`<rect x="${x0}" y="${top + 5}" width="${scale(b.inner.median).toFixed(1)}" height="${ROW_H - 10}" fill="${b.color}"/>`);
    if (b.value.max > b.value.min) {
      parts.push(`<line x1="${x0 + scale(b.value.min)}" x2="${x0 + scale(b.value.max)}" y1="${mid}" y2="${mid}" class="range"/>`);
    }
    parts.push(`<text x="${x0 + Math.max(w, scale(b.value.max)) + 8}" y="${mid + 5}">${esc(b.text)}</text>`);
  });
  return { svg: parts.join('\n'), height: TITLE_H + bars.length * (ROW_H + GAP) + PANEL_GAP };
}

/** Why a client has no bar, short enough for the chart; the report has the whole reason. */
function missing(r: Results, w: Workload, p: PeerInfo): string {
  if (p.unavailable) return 'not run: see the report';
  return r.cells[w.id]?.[p.id]?.unsupported ?? 'could not run';
}

/** Two words for the grid: '–' where the client takes no part in the workload. */
function shortWhy(r: Results, w: Workload, p: PeerInfo): string {
  const cell = r.cells[w.id]?.[p.id];
  if (!cell) return '–';
  if (p.unavailable) return 'not run';
  return cell.unsupported ? 'not supported' : 'failed';
}

function color(p: PeerInfo): string {
  return COLORS[p.id] ?? '#8e6bbf';
}

function bars(r: Results, w: Workload): Bar[] {
  return peersOf(r, w).map((p) => {
    const s = summarize(w, r.cells[w.id]?.[p.id]);
    if (w.mode === 'latency') {
      const text = s.p99Ms && s.p50Ms ? `p50 ${fmt.format(s.p50Ms.median)} ms · p99 ${fmt.format(s.p99Ms.median)} ms` : missing(r, w, p);
      return { label: p.label, color: color(p), value: s.p99Ms, inner: s.p50Ms, text };
    }
    const text = s.recordsPerSec ? `${fmt.format(s.recordsPerSec.median / 1000)}k rec/s` : missing(r, w, p);
    return { label: p.label, color: color(p), value: s.recordsPerSec, inner: null, text };
  });
}

/** The headline row: clients at their defaults down, throughput workloads across, each column on its own scale. */
function defaultsRow(y: number, r: Results): { svg: string; height: number } | null {
  // Compressed workloads ask every client for a codec: not its defaults.
  const ws = r.workloads.filter((w) => w.mode === 'throughput' && !w.compression);
  const clients = r.peers.filter((p) => p.atDefaults && ws.some((w) => r.cells[w.id]?.[p.id]));
  if (ws.length === 0 || clients.length === 0) return null;
  const colW = (WIDTH - GRID_LABEL_W - 12) / ws.length;
  const parts = [`<text x="12" y="${y + 22}" class="title">Every client at its own defaults: records/s, each column on its own scale (higher is better)</text>`];
  ws.forEach((w, i) => {
    const x0 = GRID_LABEL_W + i * colW;
    const rates = clients.map((p) => summarize(w, r.cells[w.id]?.[p.id]).recordsPerSec);
    const max = Math.max(...rates.map((s) => s?.max ?? 0), 1e-9);
    const scale = (v: number) => (v / max) * (colW - GRID_TEXT_W - 8);
    parts.push(`<text x="${x0}" y="${y + TITLE_H + 12}" class="muted">${esc(w.title)}</text>`);
    rates.forEach((s, j) => {
      const p = clients[j] as PeerInfo;
      const top = y + TITLE_H + GRID_HEAD_H + j * (ROW_H + GAP);
      const mid = top + ROW_H / 2;
      if (!s) {
        parts.push(`<text x="${x0 + 6}" y="${mid + 5}" class="muted">${shortWhy(r, w, p)}</text>`);
        return;
      }
      parts.push(`<rect x="${x0}" y="${top}" width="${scale(s.median).toFixed(1)}" height="${ROW_H}" fill="${color(p)}"/>`);
      if (s.max > s.min) parts.push(`<line x1="${x0 + scale(s.min)}" x2="${x0 + scale(s.max)}" y1="${mid}" y2="${mid}" class="range"/>`);
      parts.push(`<text x="${x0 + scale(s.max) + 6}" y="${mid + 5}">${fmt.format(s.median / 1000)}k</text>`);
    });
  });
  clients.forEach((p, j) => {
    const mid = y + TITLE_H + GRID_HEAD_H + j * (ROW_H + GAP) + ROW_H / 2;
    parts.push(`<text x="${GRID_LABEL_W - 10}" y="${mid + 5}" text-anchor="end">${esc(p.label)}</text>`);
  });
  return { svg: parts.join('\n'), height: TITLE_H + GRID_HEAD_H + clients.length * (ROW_H + GAP) + PANEL_GAP };
}

export function renderChart(r: Results): string {
  let y = 64;
  const panels: string[] = [];
  const headline = defaultsRow(y, r);
  if (headline) {
    panels.push(headline.svg);
    y += headline.height;
  }
  for (const w of r.workloads) {
    if (w.mode === 'first-program') continue;
    const title =
      w.mode === 'latency' ? `${w.title}: send-to-ack ms, p50 dark inside p99 (lower is better)` : `${w.title}: records/s (higher is better)`;
    const p = panel(y, title, bars(r, w));
    panels.push(p.svg);
    y += p.height;
  }
  const heading = `Kafka producers, median of ${r.rounds} round${r.rounds > 1 ? 's' : ''}${r.quick ? ' (quick mode, not for comparisons)' : ''}`;
  const sub = `${r.machine.cores} cores (${r.machine.cpu}), Node.js ${r.machine.node}, Kafka ${r.broker}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="DejaVu Sans, Arial, sans-serif" font-size="13">`,
    '<style>.title{font-weight:bold;font-size:14px}.muted{fill:#888;font-style:italic}.range{stroke:#222;stroke-width:1.5}.head{font-size:15px;font-weight:bold}</style>',
    `<rect width="${WIDTH}" height="${y}" fill="#fff"/>`,
    `<text x="12" y="24" class="head">${esc(heading)}</text>`,
    `<text x="12" y="44" class="muted">${esc(sub)}</text>`,
    ...panels,
    '</svg>',
    '',
  ].join('\n');
}

/** Writes `png` from `svg` with rsvg-convert; false when it is not installed or fails. */
export function toPng(svg: string, png: string): boolean {
  const res = spawnSync('rsvg-convert', ['-b', 'white', '-o', png, svg], { encoding: 'utf8' });
  return res.status === 0;
}
