// The Java producer as Kafka ships it for this purpose: ProducerPerformance
// from the broker's own jars. It prints its own throughput and latency (with
// the job's warm-up records sent first, through its --warmup-records, and
// left out of the steady-state line read here); CPU and peak RSS come from
// GNU time (bench/gnu-time.ts), less what a 1-record run costs, so JVM
// start-up and producer set-up are not charged to the records, as they are
// not for the Node clients. GNU time cannot tell warm-up records from timed
// ones, so the CPU is shared out over all records sent, warm-up included:
// a little more per record than the steady state costs.

import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeRecords } from './clients/harness.js';
import { runTimed, usageOf } from './gnu-time.js';
import type { Job, RunResult } from './job.js';
import { tailOf } from './proc.js';

/** The settings of the Java rows matched to the Node clients': acks=all, linger.ms=5, no compression, idempotence off. */
export function matchedProps(batchSize: number): string[] {
  return ['acks=all', 'linger.ms=5', `batch.size=${batchSize}`, 'compression.type=none', 'enable.idempotence=false'];
}

export const JAVA_UNSUPPORTED_KEYED = 'ProducerPerformance sends keyless records only';

interface Summary {
  recordsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export class JavaProducer {
  readonly #libsDir: string;
  readonly #props: string[];
  #startupCpuMs: number | null = null;

  /** `props` are the --producer-props after bootstrap.servers; none: the client's own defaults. */
  constructor(libsDir: string, props: string[]) {
    this.#libsDir = libsDir;
    this.#props = props;
  }

  get how(): string {
    const props = this.#props.length
      ? this.#props.join(' ')
      : "bootstrap.servers only, so kafka-clients' defaults (acks=all, enable.idempotence=true, linger.ms=5, batch.size=16384, compression.type=none)";
    return `ProducerPerformance --throughput -1 (or the offered rate) --warmup-records (the workload's) --producer-props ${props}, with compression.type=<codec> and the JSON values as --payload-file in the compressed workloads; -Xmx512M as Kafka's perf-test script; keyless records only; CPU per record averaged over warm-up and timed records`;
  }

  /** Measures the CPU of a 1-record run on `topic`, to subtract from every later run. */
  async calibrate(bootstrap: string, topic: string): Promise<void> {
    const out = await this.#exec(bootstrap, topic, 1, 0, ['--record-size', '100'], this.#props, -1, 120_000);
    this.#startupCpuMs = usageOf(out)?.cpuMs ?? null;
  }

  async run(job: Job, timeoutMs: number): Promise<RunResult> {
    const throughput = job.mode === 'latency' ? job.rate : -1;
    const payload = job.values === 'json' ? ['--payload-file', payloadFile(job)] : ['--record-size', String(job.valueSize)];
    const props = job.compression ? [...this.#props.filter((p) => !p.startsWith('compression.type=')), `compression.type=${job.compression}`] : this.#props;
    const out = await this.#exec(job.bootstrap, job.topic, job.records, job.warmupRecords, payload, props, throughput, timeoutMs);
    if (out.timedOut) return { ok: false, error: `timed out after ${timeoutMs / 1000} s` };
    const summary = parseSummary(out.stdout);
    if (out.code !== 0 || !summary) return { ok: false, error: `exit ${out.code}: ${tailOf(out.stdout + out.stderr)}` };
    const usage = usageOf(out);
    return {
      ok: true,
      how: this.how,
      wallMs: (job.records / summary.recordsPerSec) * 1000,
      warmupRecords: job.warmupRecords,
      cpuMs: usage && this.#startupCpuMs !== null ? (Math.max(0, usage.cpuMs - this.#startupCpuMs) * job.records) / (job.records + job.warmupRecords) : null,
      maxRssMb: usage?.maxRssMb ?? null,
      loopP99Ms: null,
      latency: job.mode === 'latency' ? { p50Ms: summary.p50Ms, p99Ms: summary.p99Ms, per: 'record (from its send() call)' } : null,
    };
  }

  /** `records` timed after `warmupRecords` that are not (ProducerPerformance counts both in --num-records). */
  #exec(bootstrap: string, topic: string, records: number, warmupRecords: number, payload: string[], props: string[], throughput: number, timeoutMs: number) {
    const args = [
      '-Xmx512M',
      '-cp',
      path.join(this.#libsDir, '*'),
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(records + warmupRecords),
      ...(warmupRecords > 0 ? ['--warmup-records', String(warmupRecords)] : []),
      ...payload,
      '--throughput',
      String(throughput),
      '--producer-props',
      `bootstrap.servers=${bootstrap}`,
      ...props,
    ];
    return runTimed('java', args, timeoutMs);
  }
}

/** The job's values, one per line, for --payload-file (ProducerPerformance picks one at random per record): the same bytes every run. */
function payloadFile(job: Job): string {
  const file = path.join(os.tmpdir(), `kafka-producer-ts-bench-java-payloads-${job.valueSize}.txt`);
  const records = makeRecords({ ...job, keyed: false });
  const values: Buffer[] = [];
  for (let i = 0; i < 1024; i++) values.push(records.value(i), Buffer.from('\n'));
  writeFileSync(file, Buffer.concat(values));
  return file;
}

/**
 * The final line: "N records sent, R records/sec (M MB/sec), A ms avg
 * latency, X ms max latency, P ms 50th, ... ms 99th, ..."; with warm-up
 * records, the steady-state line ("N steady state records sent, ...") comes
 * last.
 */
function parseSummary(stdout: string): Summary | null {
  const lines = stdout.split('\n').filter((l) => l.includes(' ms 50th'));
  const m = /records sent, ([\d.]+) records\/sec.* (\d+) ms 50th, \d+ ms 95th, (\d+) ms 99th/.exec(lines.at(-1) ?? '');
  return m ? { recordsPerSec: Number(m[1]), p50Ms: Number(m[2]), p99Ms: Number(m[3]) } : null;
}
