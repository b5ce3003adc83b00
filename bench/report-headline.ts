// The report's headline: every client at its own defaults on the throughput
// workloads, with our producer's ratios to the fastest other Node.js client
// and to kcat, and the latency run beside the best per-call client.

import { bestPerCall, peersOf, summarize, type PeerInfo, type Results, type Spread, type Summary, type Workload } from './model.js';
import { median, ratio } from './report-format.js';

function rate(r: Results, w: Workload, peer: PeerInfo | undefined): Spread | null {
  return peer ? summarize(w, r.cells[w.id]?.[peer.id]).recordsPerSec : null;
}

/** Ours at its defaults in workload `w`. */
function ours(r: Results, w: Workload): PeerInfo | undefined {
  return peersOf(r, w).find((p) => p.kind === 'ours' && p.atDefaults);
}

/** The other Node.js client at its defaults with the highest median records/s in `w`. */
function fastestNode(r: Results, w: Workload): { peer: PeerInfo; rate: Spread } | null {
  let best: { peer: PeerInfo; rate: Spread } | null = null;
  for (const peer of peersOf(r, w)) {
    const s = peer.kind === 'node' && peer.atDefaults ? rate(r, w, peer) : null;
    if (s && (!best || s.median > best.rate.median)) best = { peer, rate: s };
  }
  return best;
}

function throughputMatrix(r: Results, ws: Workload[]): string[] {
  const atDefaults = r.peers.filter((p) => p.atDefaults && ws.some((w) => r.cells[w.id]?.[p.id]));
  const oneKiB = ws.filter((w) => w.valueSize === 1024);
  const head = ['client, at its defaults', ...ws.map((w) => `${w.title}: records/s`), ...oneKiB.map((w) => `${w.title}: CPU s / M records`)];
  const lines = [`| ${head.join(' | ')} |`, `|---|${'---:|'.repeat(head.length - 1)}`];
  for (const p of atDefaults) {
    const cell = (w: Workload, pick: 'recordsPerSec' | 'cpuSecPerMillion') => {
      const c = r.cells[w.id]?.[p.id];
      if (!c) return '–';
      if (c.runs.length === 0) return p.unavailable ? 'not run' : c.unsupported === null ? 'failed' : 'not supported';
      return median(summarize(w, c)[pick]);
    };
    lines.push(`| ${p.label} | ${[...ws.map((w) => cell(w, 'recordsPerSec')), ...oneKiB.map((w) => cell(w, 'cpuSecPerMillion'))].join(' | ')} |`);
  }
  const vsNode = ws.map((w) => {
    const best = fastestNode(r, w);
    return best ? `${ratio(rate(r, w, ours(r, w)), best.rate)} (${best.peer.label})` : '–';
  });
  const vsKcat = ws.map((w) => ratio(rate(r, w, ours(r, w)), rate(r, w, r.peers.find((p) => p.id === 'kcat'))));
  const blank = oneKiB.map(() => '');
  lines.push(`| **ours ÷ fastest other Node.js client** | ${[...vsNode, ...blank].join(' | ')} |`);
  lines.push(`| **ours ÷ kcat** | ${[...vsKcat, ...blank].join(' | ')} |`);
  return lines;
}

function latencySummary(r: Results, w: Workload): string[] {
  const me = ours(r, w);
  const s = me ? summarize(w, r.cells[w.id]?.[me.id]) : null;
  const best = bestPerCall(r, w);
  const b = best ? summarize(w, r.cells[w.id]?.[best.peer.id]) : null;
  const row = (label: string, x: Summary | null) =>
    `| ${label} | ${x?.latencyPer ?? 'n/a'} | ${median(x?.p50Ms ?? null)} | ${median(x?.p99Ms ?? null)} | ${median(x?.p99SteadyMs ?? null)} | ${median(x?.loopP99Ms ?? null)} |`;
  return [
    `${w.title}, ours beside the client acknowledged per send call with the lowest p50:`,
    '',
    '| client | acknowledged per | p50 ms | p99 ms | p99 after the first second, ms | event-loop p99 ms |',
    '|---|---|---:|---:|---:|---:|',
    row(me?.label ?? 'kafka-producer-ts: no run', s),
    row(best?.peer.label ?? 'best per-call client: none ran', b),
    `| **ours ÷ best per-call** | | ${ratio(s?.p50Ms ?? null, b?.p50Ms ?? null)} | ${ratio(s?.p99Ms ?? null, b?.p99Ms ?? null)} | ${ratio(s?.p99SteadyMs ?? null, b?.p99SteadyMs ?? null)} | |`,
  ];
}

export function defaultsSection(r: Results): string[] {
  // Compressed workloads ask every client for a codec: not its defaults (bench/report-compressed.ts).
  const throughput = r.workloads.filter((w) => w.mode === 'throughput' && !w.compression);
  const latency = r.workloads.find((w) => w.mode === 'latency');
  const out = [
    '### Every client at its own defaults',
    '',
    'Each client with no producer settings but where the broker is (the rows marked "yes" under "at its defaults" in Clients), each still sent its fastest documented way. "ours" is kafka-producer-ts at its defaults; the ratios divide medians of the same interleaved run.',
    '',
  ];
  if (throughput.length) out.push(...throughputMatrix(r, throughput), '');
  if (latency) out.push(...latencySummary(r, latency), '');
  return out;
}
