// npm run bench: side-by-side producer benchmarks against one local broker.
// Each client runs in its own child process per run, on a fresh topic; runs
// are interleaved client by client within each round, so a slow drift of the
// machine or the broker spreads over every client instead of one.
//
//   BENCH_ROUNDS=5      rounds per workload (default 3)
//   BENCH_QUICK=1       smoke mode: a tenth of the records, one round unless BENCH_ROUNDS says otherwise
//   BENCH_PEERS=a,b     only these clients (ids in bench/peers.ts: kafkajs, platformatic, platformatic-defaults,
//                       kafkats, node-rdkafka, kcat, java, java-defaults, ours-worker, ours-main, ours-kafkajs, java-256k,
//                       ours-worker-256k, ours-first, kafka-python)
//   BENCH_WORKLOADS=a,b only these workloads (ids below: 100b, 100b-keyed, 1k, 1k-keyed, 1k-lz4, 1k-zstd,
//                       1k-snappy, 1k-gzip, latency, first-await, first-all, first-callback)
//   KAFKA_BROKERS       use this cluster instead of the local one
//
// Clients that are not npm dependencies (node-rdkafka, kcat, kafka-python)
// are installed by bench/peers.ts at the start, into the cache; one that
// cannot be installed gets rows saying why.

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { broker, type Broker } from './broker.js';
import { renderChart, toPng } from './chart.js';
import type { BenchCodec, Job, RunResult } from './job.js';
import { machine, ROOT } from './machine.js';
import type { Cell, Results, Workload } from './model.js';
import { peers, type Peer } from './peers.js';
import { renderReport } from './report.js';
import { THROUGHPUT_SIZES, type ThroughputId } from './throughput-workloads.js';
import { topicLogBytes } from './wire-bytes.js';
import { Topics } from '../scripts/kafka/topics.js';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 3)));
const SCALE = QUICK ? 10 : 1;
const PARTITIONS = 6;
const LATENCY_RATE = 20_000;
const LATENCY_SECONDS = 10;
const FIRST_PROGRAM_RECORDS = 10_000;
/** Sent before the latency run's clock starts, as fast as the client goes (see bench/throughput-workloads.ts). */
const WARMUP_LATENCY = 20_000;
const RESULTS_DIR = path.join(ROOT, 'bench', 'results');

function throughput(id: ThroughputId, title: string): Workload {
  const s = THROUGHPUT_SIZES[id];
  return { id, title, mode: 'throughput', records: s.records / SCALE, valueSize: s.valueSize, keyed: s.keyed, rate: 0, warmupRecords: s.warmupRecords / SCALE };
}

/** 1 KiB JSON-like values, keyless, every client asked for `codec`. */
function compressed(codec: BenchCodec): Workload {
  return { ...throughput('1k', `1 KiB JSON values, keyless, ${codec}`), id: `1k-${codec}`, compression: codec, values: 'json' };
}

/** The clients the compressed workloads run: ours, librdkafka twice (node-rdkafka, kcat), the Java producer and kafkajs, each at its defaults plus the codec. */
const COMPRESSED_PEERS = new Set(['ours-worker', 'node-rdkafka', 'kcat', 'java-defaults', 'kafkajs']);

function firstProgram(id: string, way: Workload['way'], title: string): Workload {
  return { id, title, mode: 'first-program', records: FIRST_PROGRAM_RECORDS / SCALE, valueSize: 100, keyed: false, rate: 0, warmupRecords: 0, way };
}

const ALL_WORKLOADS: Workload[] = [
  throughput('100b', '100 B values, keyless'),
  throughput('100b-keyed', '100 B values, keyed'),
  throughput('1k', '1 KiB values, keyless'),
  throughput('1k-keyed', '1 KiB values, keyed'),
  compressed('lz4'),
  compressed('zstd'),
  compressed('snappy'),
  compressed('gzip'),
  {
    id: 'latency',
    title: `Latency at ${LATENCY_RATE.toLocaleString('en-US')} records/s, 100 B, keyless`,
    mode: 'latency',
    records: (LATENCY_RATE * LATENCY_SECONDS) / SCALE,
    valueSize: 100,
    keyed: false,
    rate: LATENCY_RATE,
    warmupRecords: WARMUP_LATENCY / SCALE,
  },
  firstProgram('first-await', 'await-each', 'await each send'),
  firstProgram('first-all', 'all-then-await', 'all sends, then await them all'),
  firstProgram('first-callback', 'callback-flush', 'sends with a callback, then flush'),
];

function listed(name: string): string[] | null {
  return process.env[name]?.split(',').map((s) => s.trim()) ?? null;
}

function workloads(): Workload[] {
  const only = listed('BENCH_WORKLOADS');
  const unknown = only?.filter((id) => !ALL_WORKLOADS.some((w) => w.id === id)) ?? [];
  if (unknown.length) throw new Error(`BENCH_WORKLOADS names no such workload: ${unknown.join(', ')}; the ids are ${ALL_WORKLOADS.map((w) => w.id).join(', ')}`);
  return only ? ALL_WORKLOADS.filter((w) => only.includes(w.id)) : ALL_WORKLOADS;
}

/** The run's deadline: generous, as a timeout is a failure, not a measurement. */
function deadline(w: Workload): number {
  if (w.mode === 'latency') return 120_000 + (w.records * 1000) / w.rate + w.warmupRecords * 0.2;
  // An awaited send per record is a round trip each, a few milliseconds at worst.
  if (w.mode === 'first-program') return 120_000 + w.records * 20;
  return 120_000 + (w.records + w.warmupRecords) * 0.2;
}

function uniqueTopic(label: string): string {
  return `bench-${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** One run on a fresh topic, checked against what actually landed. */
async function runOnce(topics: Topics, b: Broker, peer: Peer, w: Workload): Promise<RunResult> {
  const bootstrap = b.bootstrap;
  const topic = uniqueTopic(`${w.id}-${peer.info.id}`);
  await topics.create(topic, PARTITIONS);
  try {
    const options = w.way ? { way: w.way } : {};
    const codec = w.compression ? { compression: w.compression, values: w.values } : {};
    const job: Job = { mode: w.mode, bootstrap, topic, records: w.records, valueSize: w.valueSize, keyed: w.keyed, rate: w.rate, warmupRecords: w.warmupRecords, ...codec, options };
    const result = await peer.run(job, deadline(w));
    if (!result.ok) return result;
    const landed = await topics.count(topic, PARTITIONS);
    const sent = w.records + result.warmupRecords;
    if (landed !== sent) return { ok: false, error: `the topic holds ${landed} of ${sent} records sent (${result.warmupRecords} of them to warm up)` };
    const bytes = topicLogBytes(b.logDirs, topic, PARTITIONS);
    return { ...result, wireBytesPerRecord: bytes === null ? null : bytes / sent };
  } finally {
    await topics.delete(topic).catch((err: Error) => process.stderr.write(`bench: could not delete ${topic}: ${err.message}\n`));
  }
}

/** Lets each peer that times itself from outside measure its start-up; one that cannot is left out, saying why. */
async function calibrate(topics: Topics, bootstrap: string, list: Peer[]): Promise<void> {
  for (const p of list) {
    if (!p.calibrate || p.info.unavailable) continue;
    const topic = uniqueTopic(`calibration-${p.info.id}`);
    await topics.create(topic, 1);
    try {
      await p.calibrate(bootstrap, topic);
    } catch (err) {
      p.info.unavailable = `could not measure its start-up: ${(err as Error).message}`;
      process.stderr.write(`bench: ${p.info.label} is left out (its rows say so): ${p.info.unavailable}\n`);
    } finally {
      await topics.delete(topic);
    }
  }
}

function progress(w: Workload, round: string, peer: Peer, r: RunResult): void {
  const what = !r.ok
    ? `FAILED ${r.error.split('\n')[0]}`
    : w.mode === 'latency'
      ? `p50 ${r.latency?.p50Ms.toFixed(1)} ms, p99 ${r.latency?.p99Ms.toFixed(1)} ms (after the first second ${r.latency?.p99SteadyMs?.toFixed(1) ?? 'n/a'} ms)`
      : `${Math.round(w.records / (r.wallMs / 1000)).toLocaleString('en-US')} records/s`;
  process.stdout.write(`[${w.id}] ${round} ${peer.info.label}: ${what}\n`);
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const chosen = workloads();
  const b = await broker();
  const topics = new Topics(b.bootstrap, 'kafka-producer-ts-bench');
  let list: Peer[] = [];
  try {
    list = peers(b, listed('BENCH_PEERS'));
    await calibrate(topics, b.bootstrap, list);
    const cells: Record<string, Record<string, Cell>> = {};
    for (const w of chosen) {
      const row: Record<string, Cell> = (cells[w.id] = {});
      const taking = list.filter((p) => p.modes.includes(w.mode) && (!w.compression || COMPRESSED_PEERS.has(p.info.id)));
      for (const p of taking) row[p.info.id] = { runs: [], failures: [], unsupported: p.info.unavailable ? null : p.unsupported(w) };
      const runnable = taking.filter((p) => !p.info.unavailable && row[p.info.id]?.unsupported === null);
      for (const p of runnable) progress(w, 'warm-up', p, await runOnce(topics, b, p, w));
      for (let round = 1; round <= ROUNDS; round++) {
        for (const p of runnable) {
          const r = await runOnce(topics, b, p, w);
          progress(w, `round ${round}/${ROUNDS}`, p, r);
          const cell = row[p.info.id] as Cell;
          if (r.ok) {
            cell.runs.push(r);
            p.info.how ??= r.how;
          } else {
            cell.failures.push(r.error);
          }
        }
      }
    }

    const results: Results = {
      startedAt,
      finishedAt: new Date().toISOString(),
      quick: QUICK,
      rounds: ROUNDS,
      machine: machine(),
      broker: b.description,
      workloads: chosen,
      peers: list.map((p) => p.info),
      cells,
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    const svg = path.join(RESULTS_DIR, 'LATEST.svg');
    writeFileSync(path.join(RESULTS_DIR, 'LATEST.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(svg, renderChart(results));
    const png = toPng(svg, path.join(RESULTS_DIR, 'LATEST.png'));
    writeFileSync(path.join(RESULTS_DIR, 'LATEST.md'), renderReport(results, png ? 'LATEST.png' : 'LATEST.svg'));
    process.stdout.write(`bench: wrote ${path.relative(ROOT, RESULTS_DIR)}/LATEST.md, LATEST.json, LATEST.svg${png ? ', LATEST.png' : ''}\n`);
  } finally {
    for (const p of list) p.dispose?.();
    await topics.close();
    await b.stop();
  }
}

await main();
