// Renders the collected runs as bench/results/LATEST.md.

import { machineTable } from './machine.js';
import { summarize, type Results, type Spread, type Workload } from './model.js';

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

function ratio(a: Spread | null, b: Spread | null): string {
  return a && b ? `${(a.median / b.median).toFixed(2)}×` : '–';
}

function cellText(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function runsText(r: Results, w: Workload, peer: string): string {
  const cell = r.cells[w.id]?.[peer];
  const ok = cell?.runs.length ?? 0;
  return `${ok}/${ok + (cell?.failures.length ?? 0)}`;
}

/** Rows for clients without a completed run: "not supported", or "could not run" with the first error. */
function failedRow(r: Results, w: Workload, peer: string, columns: number): string | null {
  const cell = r.cells[w.id]?.[peer];
  if (!cell || cell.runs.length > 0) return null;
  const label = r.peers.find((p) => p.id === peer)?.label ?? peer;
  const what = cell.unsupported === null ? `could not run: ${cell.failures[0] ?? 'no run'}` : `not supported: ${cell.unsupported}`;
  return `| ${label} | ${cellText(what)} |${' |'.repeat(columns - 2)}`;
}

function throughputTable(r: Results, w: Workload): string[] {
  const head = '| client | records/s median (min–max) | MB/s | vs kafkajs | vs Java | CPU s / M records | peak RSS MiB | event-loop p99 ms | runs ok |';
  const lines = [`### ${w.title}`, '', `${w.records.toLocaleString('en-US')} records, acks=all.`, '', head, '|---|---:|---:|---:|---:|---:|---:|---:|---:|'];
  const kafkajs = summarize(w, r.cells[w.id]?.kafkajs).recordsPerSec;
  const java = summarize(w, r.cells[w.id]?.java).recordsPerSec;
  for (const p of r.peers) {
    const failed = failedRow(r, w, p.id, 9);
    if (failed) {
      lines.push(failed);
      continue;
    }
    const s = summarize(w, r.cells[w.id]?.[p.id]);
    lines.push(
      `| ${p.label} | ${withRange(s.recordsPerSec)} | ${median(s.mbPerSec)} | ${ratio(s.recordsPerSec, kafkajs)} | ${ratio(s.recordsPerSec, java)} | ${median(s.cpuSecPerMillion)} | ${median(s.maxRssMb)} | ${median(s.loopP99Ms)} | ${runsText(r, w, p.id)} |`,
    );
  }
  return [...lines, ...failureNotes(r, w), ''];
}

function latencyTable(r: Results, w: Workload): string[] {
  const lines = [
    `### ${w.title}`,
    '',
    `${w.records.toLocaleString('en-US')} records offered at ${w.rate.toLocaleString('en-US')}/s on a 1 ms tick. A record's latency runs from when it was due to its acknowledgement. Clients acknowledged per record send each record on its own; the others make one send call per tick with the records due, and every record in the call gets the call's latency.`,
    '',
    '| client | p50 ms median (min–max) | p99 ms median (min–max) | acknowledged per | event-loop p99 ms | runs ok |',
    '|---|---:|---:|---|---:|---:|',
  ];
  for (const p of r.peers) {
    const failed = failedRow(r, w, p.id, 6);
    if (failed) {
      lines.push(failed);
      continue;
    }
    const s = summarize(w, r.cells[w.id]?.[p.id]);
    lines.push(`| ${p.label} | ${withRange(s.p50Ms)} | ${withRange(s.p99Ms)} | ${s.latencyPer ?? 'n/a'} | ${median(s.loopP99Ms)} | ${runsText(r, w, p.id)} |`);
  }
  return [...lines, ...failureNotes(r, w), ''];
}

/** Failed runs of clients that also had good ones: the medians above leave them out, so say so. */
function failureNotes(r: Results, w: Workload): string[] {
  const notes: string[] = [];
  for (const p of r.peers) {
    const cell = r.cells[w.id]?.[p.id];
    if (!cell || cell.runs.length === 0) continue;
    for (const f of cell.failures) notes.push(`- ${p.label}: failed run: ${cellText(f)}`);
  }
  return notes.length ? ['', ...notes] : [];
}

export function renderReport(r: Results, chartFile: string): string {
  const mode = r.quick
    ? `quick smoke mode (BENCH_QUICK=1: a tenth of the records, ${r.rounds} round${r.rounds > 1 ? 's' : ''}); not for comparisons`
    : `${r.rounds} rounds, clients interleaved within each round`;
  const out = [
    '# Producer benchmarks',
    '',
    `Measured by \`npm run bench\` from ${r.startedAt} to ${r.finishedAt}: ${mode}. Each client also made one warm-up run per workload, not counted.`,
    '',
    '## Machine',
    '',
    ...machineTable(r.machine, r.broker),
    '',
    '## Clients',
    '',
    '| client | version | how it is driven |',
    '|---|---|---|',
    ...r.peers.map((p) => `| ${p.label} | ${p.version} | ${cellText(p.how ?? 'no successful run')} |`),
    '',
    '## Results',
    '',
    `![throughput and latency per client](${chartFile})`,
    '',
  ];
  for (const w of r.workloads) out.push(...(w.mode === 'latency' ? latencyTable(r, w) : throughputTable(r, w)));
  out.push(
    '## How it is measured',
    '',
    '- Every client runs in its own child process; each run writes to a fresh 6-partition topic that is deleted afterwards.',
    "- A run counts only if the sum of the topic's latest offsets (ListOffsets) equals the records sent; a run that lost or duplicated records is reported as failed, not as fast.",
    '- Wall time runs from the first send to the last acknowledgement; records/s and MB/s (10^6 bytes of values) follow from it. Connecting before the first send is not timed.',
    '- Values are random printable ASCII, 1024 distinct values per size generated before timing; keyed workloads use keys `key-${i % 10000}`.',
    '- CPU is user + system time of the whole client process during the timed section (all its threads, so a worker thread counts); peak RSS is the process maximum.',
    '- Event-loop p99 is `monitorEventLoopDelay` (1 ms resolution) on the main thread during the timed section.',
    '- The Java producer is Kafka\'s `ProducerPerformance`. It sends keyless records only, so it has no keyed rows. Its CPU and peak RSS come from GNU time, less the CPU of a 1-record run (JVM start-up and producer set-up); its latency is measured from its own send() call.',
    '- The broker runs on the same 2 cores as the client, so every number includes the broker competing for CPU.',
    '',
  );
  return out.join('\n');
}
