// npm run bench: side-by-side producer benchmarks against one local broker.
// Each client runs in its own child process per run, on a fresh topic; runs
// are interleaved client by client within each round, so a slow drift of the
// machine or the broker spreads over every client instead of one.
//
//   BENCH_ROUNDS=5   rounds per workload (default 3)
//   BENCH_QUICK=1    smoke mode: a tenth of the records, one round unless BENCH_ROUNDS says otherwise
//   BENCH_PEERS=a,b  only these clients (ids: kafkajs, platformatic, kafkats, java, ours-worker, ours-main, java-256k, ours-worker-256k)
//   KAFKA_BROKERS    use this cluster instead of the local one

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { broker, type Broker } from './broker.js';
import { renderChart, toPng } from './chart.js';
import { JAVA_UNSUPPORTED_KEYED, JavaProducer } from './java.js';
import type { Job, RunResult } from './job.js';
import { machine, ourVersion, packageVersion, ROOT } from './machine.js';
import type { Cell, PeerInfo, Results, Workload } from './model.js';
import { lastJsonLine, runProcess } from './proc.js';
import { renderReport } from './report.js';
import { Topics } from '../scripts/kafka/topics.js';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 3)));
const SCALE = QUICK ? 10 : 1;
const PARTITIONS = 6;
const LATENCY_RATE = 20_000;
const LATENCY_SECONDS = 10;
const RESULTS_DIR = path.join(ROOT, 'bench', 'results');

const WORKLOADS: Workload[] = [
  { id: '100b', title: '100 B values, keyless', mode: 'throughput', records: 1_000_000 / SCALE, valueSize: 100, keyed: false, rate: 0 },
  { id: '100b-keyed', title: '100 B values, keyed', mode: 'throughput', records: 1_000_000 / SCALE, valueSize: 100, keyed: true, rate: 0 },
  { id: '1k', title: '1 KiB values, keyless', mode: 'throughput', records: 200_000 / SCALE, valueSize: 1024, keyed: false, rate: 0 },
  { id: '1k-keyed', title: '1 KiB values, keyed', mode: 'throughput', records: 200_000 / SCALE, valueSize: 1024, keyed: true, rate: 0 },
  {
    id: 'latency',
    title: `Latency at ${LATENCY_RATE.toLocaleString('en-US')} records/s, 100 B, keyless`,
    mode: 'latency',
    records: (LATENCY_RATE * LATENCY_SECONDS) / SCALE,
    valueSize: 100,
    keyed: false,
    rate: LATENCY_RATE,
  },
];

interface Peer {
  info: PeerInfo;
  /** Why keyed workloads are skipped; null when the client sends keys. */
  keyedUnsupported: string | null;
  run(job: Job, timeoutMs: number): Promise<RunResult>;
}

/** A Node client: its runner script under dist/bench/clients, in a fresh process per run. */
function nodePeer(id: string, label: string, version: string, script: string, options: Record<string, unknown> = {}): Peer {
  const file = path.join(ROOT, 'dist', 'bench', 'clients', script);
  return {
    info: { id, label, version, how: null },
    keyedUnsupported: null,
    async run(job, timeoutMs) {
      const out = await runProcess(process.execPath, [file, JSON.stringify({ ...job, options })], timeoutMs);
      return lastJsonLine<RunResult>(out, timeoutMs);
    },
  };
}

/** Peers with a 256 KiB batch size: how far each goes when allowed batches like the ones the per-call clients send. */
const BIG_BATCH = 262_144;

interface JavaPeer extends Peer {
  java: JavaProducer;
}

function javaPeer(id: string, label: string, b: Broker, java: JavaProducer): JavaPeer {
  return {
    info: { id, label, version: `kafka-clients ${b.version}`, how: java.how },
    keyedUnsupported: JAVA_UNSUPPORTED_KEYED,
    run: (job, t) => java.run(job, t),
    java,
  };
}

function peers(b: Broker): Peer[] {
  const all: Peer[] = [
    nodePeer('kafkajs', 'kafkajs', packageVersion('kafkajs'), 'kafkajs.js'),
    nodePeer('platformatic', '@platformatic/kafka', packageVersion('@platformatic/kafka'), 'platformatic.js'),
    nodePeer('kafkats', '@kafkats/client', packageVersion('@kafkats/client'), 'kafkats.js'),
    javaPeer('java', 'Java producer', b, new JavaProducer(b.libsDir)),
    nodePeer('ours-worker', 'kafka-producer-ts (worker)', ourVersion(), 'ours.js', { worker: true }),
    nodePeer('ours-main', 'kafka-producer-ts (main thread)', ourVersion(), 'ours.js', { worker: false }),
    javaPeer('java-256k', 'Java producer, batch.size 256 KiB', b, new JavaProducer(b.libsDir, BIG_BATCH)),
    nodePeer('ours-worker-256k', 'kafka-producer-ts (worker), batchSize 256 KiB', ourVersion(), 'ours.js', { worker: true, batchSize: BIG_BATCH }),
  ];
  const only = process.env.BENCH_PEERS?.split(',').map((s) => s.trim());
  return only ? all.filter((p) => only.includes(p.info.id)) : all;
}

function uniqueTopic(label: string): string {
  return `bench-${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** One run on a fresh topic, checked against what actually landed. */
async function runOnce(topics: Topics, bootstrap: string, peer: Peer, w: Workload): Promise<RunResult> {
  const topic = uniqueTopic(`${w.id}-${peer.info.id}`);
  await topics.create(topic, PARTITIONS);
  try {
    const job: Job = { mode: w.mode, bootstrap, topic, records: w.records, valueSize: w.valueSize, keyed: w.keyed, rate: w.rate, options: {} };
    const timeoutMs = 120_000 + w.records * (w.mode === 'latency' ? 1000 / w.rate : 0.2);
    const result = await peer.run(job, timeoutMs);
    if (!result.ok) return result;
    const landed = await topics.count(topic, PARTITIONS);
    if (landed !== w.records) return { ok: false, error: `the topic holds ${landed} of ${w.records} records sent` };
    return result;
  } finally {
    await topics.delete(topic).catch((err: Error) => process.stderr.write(`bench: could not delete ${topic}: ${err.message}\n`));
  }
}

function progress(w: Workload, round: string, peer: Peer, r: RunResult): void {
  const what = !r.ok
    ? `FAILED ${r.error.split('\n')[0]}`
    : w.mode === 'latency'
      ? `p50 ${r.latency?.p50Ms.toFixed(1)} ms, p99 ${r.latency?.p99Ms.toFixed(1)} ms`
      : `${Math.round(w.records / (r.wallMs / 1000)).toLocaleString('en-US')} records/s`;
  process.stdout.write(`[${w.id}] ${round} ${peer.info.label}: ${what}\n`);
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const b = await broker();
  const topics = new Topics(b.bootstrap, 'kafka-producer-ts-bench');
  try {
    const list = peers(b);
    for (const p of list) {
      if (!('java' in p)) continue;
      const calibration = uniqueTopic('java-calibration');
      await topics.create(calibration, 1);
      await (p as JavaPeer).java.calibrate(b.bootstrap, calibration);
      await topics.delete(calibration);
    }
    const cells: Record<string, Record<string, Cell>> = {};
    for (const w of WORKLOADS) {
      const row: Record<string, Cell> = (cells[w.id] = {});
      for (const p of list) row[p.info.id] = { runs: [], failures: [], unsupported: w.keyed ? p.keyedUnsupported : null };
      const runnable = list.filter((p) => row[p.info.id]?.unsupported === null);
      for (const p of runnable) progress(w, 'warm-up', p, await runOnce(topics, b.bootstrap, p, w));
      for (let round = 1; round <= ROUNDS; round++) {
        for (const p of runnable) {
          const r = await runOnce(topics, b.bootstrap, p, w);
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
      workloads: WORKLOADS,
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
    await topics.close();
    await b.stop();
  }
}

await main();
