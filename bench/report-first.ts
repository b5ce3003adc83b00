// The report's first-program section: 10,000 messages sent the three ways a
// first program sends them, our producer beside kafka-python, both at their
// defaults, one table with a row per way and client.

import { peersOf, spread, summarize, type Results, type Workload } from './model.js';
import { failedRow, failureNotes, median, ratio, runsText, withRange } from './report-format.js';

export function firstProgramSection(r: Results): string[] {
  const ws = r.workloads.filter((w) => w.mode === 'first-program');
  if (ws.length === 0) return [];
  const records = (ws[0] as Workload).records.toLocaleString('en-US');
  const lines = [
    `## First program: ${records} messages, three ways`,
    '',
    `A user's first program: ${records} keyless 100 B messages to a 6-partition topic, sent one of three ways, every producer setting at its default on both sides (Clients says which defaults). Timed from the first send to the last acknowledgement; the producer is created and has the topic's metadata before the clock starts.`,
    '',
    '| way | client | wall s median (min–max) | records/s | vs kafka-python | CPU s | peak RSS MiB | event-loop p99 ms | runs ok |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const w of ws) {
    const python = summarize(w, r.cells[w.id]?.['kafka-python']).recordsPerSec;
    for (const p of peersOf(r, w)) {
      const failed = failedRow(r, w, p.id, 9, [w.title]);
      if (failed) {
        lines.push(failed);
        continue;
      }
      const runs = r.cells[w.id]?.[p.id]?.runs ?? [];
      const s = summarize(w, r.cells[w.id]?.[p.id]);
      const wall = spread(runs.map((run) => run.wallMs / 1000));
      const cpu = spread(runs.map((run) => (run.cpuMs === null ? null : run.cpuMs / 1000)));
      lines.push(
        `| ${w.title} | ${p.label} | ${withRange(wall)} | ${median(s.recordsPerSec)} | ${ratio(s.recordsPerSec, python)} | ${median(cpu)} | ${median(s.maxRssMb)} | ${median(s.loopP99Ms)} | ${runsText(r, w, p.id)} |`,
      );
    }
  }
  for (const w of ws) lines.push(...failureNotes(r, w));
  return [...lines, ''];
}
