// Renders the collected runs as bench/results/LATEST.md.

import { machineTable } from './machine.js';
import { bestPerCall, peersOf, summarize, type Results, type Workload } from './model.js';
import { compressedSection } from './report-compressed.js';
import { firstProgramSection } from './report-first.js';
import { cellText, failedRow, failureNotes, median, num, ratio, runsText, withRange } from './report-format.js';
import { defaultsSection } from './report-headline.js';

function throughputTable(r: Results, w: Workload): string[] {
  const head = '| client | records/s median (min–max) | MB/s | vs kafkajs | vs Java (idempotence off) | vs kcat | CPU s / M records | peak RSS MiB | event-loop p99 ms | runs ok |';
  const lines = [`### ${w.title}`, '', `${w.records.toLocaleString('en-US')} records timed, after ${w.warmupRecords.toLocaleString('en-US')} sent to warm up.`, '', head, '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
  const rate = (id: string) => summarize(w, r.cells[w.id]?.[id]).recordsPerSec;
  const [kafkajs, java, kcat] = [rate('kafkajs'), rate('java'), rate('kcat')];
  for (const p of peersOf(r, w)) {
    const failed = failedRow(r, w, p.id, 10);
    if (failed) {
      lines.push(failed);
      continue;
    }
    const s = summarize(w, r.cells[w.id]?.[p.id]);
    lines.push(
      `| ${p.label} | ${withRange(s.recordsPerSec)} | ${median(s.mbPerSec)} | ${ratio(s.recordsPerSec, kafkajs)} | ${ratio(s.recordsPerSec, java)} | ${ratio(s.recordsPerSec, kcat)} | ${median(s.cpuSecPerMillion)} | ${median(s.maxRssMb)} | ${median(s.loopP99Ms)} | ${runsText(r, w, p.id)} |`,
    );
  }
  return [...lines, ...failureNotes(r, w), ''];
}

function latencyTable(r: Results, w: Workload): string[] {
  const best = bestPerCall(r, w);
  const lines = [
    `### ${w.title}`,
    '',
    `${w.records.toLocaleString('en-US')} records offered at ${w.rate.toLocaleString('en-US')}/s on a 1 ms tick, after ${w.warmupRecords.toLocaleString('en-US')} sent as fast as the client goes to warm up. A record's latency runs from when it was due to its acknowledgement. Clients acknowledged per record send each record on its own; the others make one send call per tick with the records due, and every record in the call gets the call's latency. The p99 after the first second leaves out the records due in the timed run's first second.`,
    '',
    best
      ? `The best client acknowledged per send call is ${best.peer.label} (p50 ${num(best.p50.median)} ms): the column "p50 vs best per-call" divides each p50 by its.`
      : 'No client acknowledged per send call completed a run, so there is no "p50 vs best per-call".',
    '',
    '| client | p50 ms median (min–max) | p50 vs best per-call | p99 ms median (min–max) | p99 after the first second, ms | acknowledged per | event-loop p99 ms | runs ok |',
    '|---|---:|---:|---:|---:|---|---:|---:|',
  ];
  for (const p of peersOf(r, w)) {
    const failed = failedRow(r, w, p.id, 8);
    if (failed) {
      lines.push(failed);
      continue;
    }
    const s = summarize(w, r.cells[w.id]?.[p.id]);
    lines.push(
      `| ${p.label} | ${withRange(s.p50Ms)} | ${ratio(s.p50Ms, best?.p50 ?? null)} | ${withRange(s.p99Ms)} | ${withRange(s.p99SteadyMs)} | ${s.latencyPer ?? 'n/a'} | ${median(s.loopP99Ms)} | ${runsText(r, w, p.id)} |`,
    );
  }
  return [...lines, ...failureNotes(r, w), ''];
}

export function renderReport(r: Results, chartFile: string): string {
  const mode = r.quick
    ? `quick smoke mode (BENCH_QUICK=1: a tenth of the records, ${r.rounds} round${r.rounds > 1 ? 's' : ''}); not for comparisons`
    : `${r.rounds} rounds, clients interleaved within each round`;
  const out = [
    '# Producer benchmarks',
    '',
    `Measured by \`npm run bench\` from ${r.startedAt} to ${r.finishedAt}: ${mode}. Each client also made one warm-up run per workload, not counted. Every run is a fresh process, and before its clock starts it sends the workload's warm-up records to the same topic, its own way, and waits for their acknowledgements (the first programs excepted: they are about a program's whole life); kcat, in C with no compiler to warm up, has the cost of 1-record runs subtracted instead, and the Java producer uses ProducerPerformance's --warmup-records.`,
    '',
    '## Machine',
    '',
    ...machineTable(r.machine, r.broker),
    '',
    '## Clients',
    '',
    '| client | version | at its defaults | how it is driven |',
    '|---|---|---|---|',
    ...r.peers.map((p) => `| ${p.label} | ${p.version} | ${p.atDefaults ? 'yes' : 'no'} | ${cellText(p.unavailable ?? p.how ?? 'no successful run')} |`),
    '',
    '## Results',
    '',
    `![throughput and latency per client](${chartFile})`,
    '',
    ...defaultsSection(r),
  ];
  for (const w of r.workloads) {
    if (w.mode === 'throughput' && !w.compression) out.push(...throughputTable(r, w));
    if (w.mode === 'latency') out.push(...latencyTable(r, w));
  }
  out.push(...compressedSection(r));
  out.push(...firstProgramSection(r));
  out.push(
    '## How it is measured',
    '',
    '- Every client runs in its own child process; each run writes to a fresh 6-partition topic that is deleted afterwards.',
    "- A run counts only if the sum of the topic's latest offsets (ListOffsets) equals the records sent; a run that lost or duplicated records is reported as failed, not as fast.",
    '- Wall time runs from the first send to the last acknowledgement; records/s and MB/s (10^6 bytes of values) follow from it. Connecting before the first send is not timed.',
    '- Values are random printable ASCII, 1024 distinct values per size generated before timing; keyed workloads use keys `key-${i % 10000}`. The compressed workloads send 1024 distinct JSON-like events instead (bench/json-values.ts: gzip about 4x, lz4 and snappy about 2.5x), and their wire bytes per record are what the topic\'s log files hold after the run over the records sent (batch headers and compression included; the broker stores batches as the producer sent them).',
    '- Every row asks for acks from all in-sync replicas (acks=all) but @platformatic/kafka at its defaults, whose default is acks 1 (the leader only).',
    '- "At its defaults": the client is given where the broker is and nothing that changes how it batches, acknowledges, retries or compresses; the way it is driven (message arrays per call, calls in flight) is still its fastest documented one, as Clients says.',
    '- CPU is user + system time of the whole client process during the timed section (all its threads, so a worker thread or librdkafka\'s threads count); peak RSS is the process maximum.',
    '- Event-loop p99 is `monitorEventLoopDelay` (1 ms resolution) on the main thread during the timed section, for every Node.js client; the Java producer, kcat and kafka-python have no Node.js event loop (n/a).',
    '- The Java producer is Kafka\'s `ProducerPerformance`. It sends keyless records only, so it has no keyed rows. Its CPU and peak RSS come from GNU time, less the CPU of a 1-record run (JVM start-up and producer set-up); its latency is measured from its own send() call.',
    '- kcat (`kcat -P`, librdkafka in C at its defaults) stands for what a client can get from this machine and broker. It reads the records from a file written before the run; its wall time and CPU are the whole process\'s (GNU time) less the median of three 1-record runs (start-up, connection, metadata). It reports no per-record acknowledgement times, so it has no latency row.',
    '- node-rdkafka and kcat are librdkafka, whose default partitioner for keys is CRC32-based (consistent_random), not the Java client\'s murmur2: keyed records spread differently, over the same 6 partitions.',
    '- node-rdkafka, kcat and kafka-python are not dependencies of the project: `npm run bench` installs them into `~/.cache/kafka-producer-ts` (node-rdkafka built from source with its own package.json, kcat from Debian, kafka-python in a virtual environment); one that cannot be installed has rows saying why.',
    '- The first-program runs time the same steps on both sides: kafka-python in its own Python process (CPU from `time.process_time()`, every thread), ours as every other Node.js row.',
    '- The broker runs on the same 2 cores as the client, so every number includes the broker competing for CPU.',
    '',
  );
  return out.join('\n');
}
