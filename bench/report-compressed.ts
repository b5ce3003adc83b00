// The compressed workloads' section: each client at its defaults plus one
// codec, on JSON-like values, with records/s, CPU per million records and
// bytes on the wire per record, each beside node-rdkafka's (librdkafka, the
// fastest client with every codec).

import { peersOf, summarize, type Results, type Summary, type Workload } from './model.js';
import { failedRow, failureNotes, median, ratio, runsText, withRange } from './report-format.js';

const REFERENCE = 'node-rdkafka';

function row(r: Results, w: Workload, id: string, label: string, s: Summary, ref: Summary | null): string {
  const codec = w.compression ?? 'none';
  return `| ${codec} | ${label} | ${withRange(s.recordsPerSec)} | ${ratio(s.recordsPerSec, ref?.recordsPerSec ?? null)} | ${withRange(s.cpuSecPerMillion)} | ${ratio(s.cpuSecPerMillion, ref?.cpuSecPerMillion ?? null)} | ${median(s.wireBytesPerRecord)} | ${ratio(s.wireBytesPerRecord, ref?.wireBytesPerRecord ?? null)} | ${runsText(r, w, id)} |`;
}

export function compressedSection(r: Results): string[] {
  const ws = r.workloads.filter((w) => w.mode === 'throughput' && w.compression);
  if (ws.length === 0) return [];
  const first = ws[0] as Workload;
  const lines = [
    '## Compressed',
    '',
    `${first.records.toLocaleString('en-US')} records of ${first.valueSize} B JSON-like values per run, keyless, after ${first.warmupRecords.toLocaleString('en-US')} sent to warm up; each client at its defaults plus the codec (kafkajs with its pure-JavaScript snappy plugin; its lz4 and zstd plugins need a native build). Ratios divide by ${REFERENCE}'s medians in the same run: records/s above 1 is faster, CPU and wire bytes below 1 are less. Wire bytes per record: the topic's log files after the run over the records sent (warm-up included), so each client's own batch sizes and default level show.`,
    '',
    `| codec | client | records/s median (min–max) | vs ${REFERENCE} | CPU s / M records | vs ${REFERENCE} | wire bytes / record | vs ${REFERENCE} | runs ok |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const notes: string[] = [];
  for (const w of ws) {
    const refCell = r.cells[w.id]?.[REFERENCE];
    const ref = refCell?.runs.length ? summarize(w, refCell) : null;
    for (const p of peersOf(r, w)) {
      const failed = failedRow(r, w, p.id, 9, [w.compression ?? 'none']);
      lines.push(failed ?? row(r, w, p.id, p.label, summarize(w, r.cells[w.id]?.[p.id]), ref));
    }
    notes.push(...failureNotes(r, w));
  }
  return [...lines, ...notes, ''];
}
