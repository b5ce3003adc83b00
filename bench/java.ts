// The Java producer as Kafka ships it for this purpose: ProducerPerformance
// from the broker's own jars. It prints its own throughput and latency; CPU
// and peak RSS come from GNU time when it is installed (Debian package
// `time`), less what a 1-record run costs, so JVM start-up and producer set-up
// are not charged to the records, as they are not for the Node clients.

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Job, RunResult } from './job.js';
import { runProcess, tailOf } from './proc.js';

const GNU_TIME = '/usr/bin/time';
const TIME_MARK = 'BENCH_TIME';
function producerProps(batchSize: number): string[] {
  return ['acks=all', 'linger.ms=5', `batch.size=${batchSize}`, 'compression.type=none', 'enable.idempotence=false'];
}

export const JAVA_UNSUPPORTED_KEYED = 'ProducerPerformance sends keyless records only';

export function javaHow(batchSize: number): string {
  return `ProducerPerformance --throughput -1 (or the offered rate) --producer-props ${producerProps(batchSize).join(' ')}; -Xmx512M as Kafka's perf-test script; keyless records only`;
}

interface Usage {
  cpuMs: number;
  maxRssMb: number;
}

interface Summary {
  recordsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export class JavaProducer {
  readonly #libsDir: string;
  readonly #batchSize: number;
  readonly #timed = existsSync(GNU_TIME);
  #startupCpuMs: number | null = null;

  constructor(libsDir: string, batchSize = 16384) {
    this.#libsDir = libsDir;
    this.#batchSize = batchSize;
  }

  get how(): string {
    return javaHow(this.#batchSize);
  }

  /** Measures the CPU of a 1-record run on `topic`, to subtract from every later run. */
  async calibrate(bootstrap: string, topic: string): Promise<void> {
    const out = await this.#exec(bootstrap, topic, 1, 100, -1, 120_000);
    this.#startupCpuMs = this.#usage(out.stderr)?.cpuMs ?? null;
  }

  async run(job: Job, timeoutMs: number): Promise<RunResult> {
    const throughput = job.mode === 'latency' ? job.rate : -1;
    const out = await this.#exec(job.bootstrap, job.topic, job.records, job.valueSize, throughput, timeoutMs);
    if (out.timedOut) return { ok: false, error: `timed out after ${timeoutMs / 1000} s` };
    const summary = parseSummary(out.stdout);
    if (out.code !== 0 || !summary) return { ok: false, error: `exit ${out.code}: ${tailOf(out.stdout + out.stderr)}` };
    const usage = this.#usage(out.stderr);
    return {
      ok: true,
      how: this.how,
      wallMs: (job.records / summary.recordsPerSec) * 1000,
      cpuMs: usage && this.#startupCpuMs !== null ? Math.max(0, usage.cpuMs - this.#startupCpuMs) : null,
      maxRssMb: usage?.maxRssMb ?? null,
      loopP99Ms: null,
      latency: job.mode === 'latency' ? { p50Ms: summary.p50Ms, p99Ms: summary.p99Ms, per: 'record (from its send() call)' } : null,
    };
  }

  #exec(bootstrap: string, topic: string, records: number, size: number, throughput: number, timeoutMs: number) {
    const java = [
      'java',
      '-Xmx512M',
      '-cp',
      path.join(this.#libsDir, '*'),
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(records),
      '--record-size',
      String(size),
      '--throughput',
      String(throughput),
      '--producer-props',
      `bootstrap.servers=${bootstrap}`,
      ...producerProps(this.#batchSize),
    ];
    return this.#timed ? runProcess(GNU_TIME, ['-f', `${TIME_MARK} %U %S %M`, ...java], timeoutMs) : runProcess('java', java.slice(1), timeoutMs);
  }

  #usage(stderr: string): Usage | null {
    const m = new RegExp(`^${TIME_MARK} ([\\d.]+) ([\\d.]+) (\\d+)$`, 'm').exec(stderr);
    if (!m) return null;
    return { cpuMs: (Number(m[1]) + Number(m[2])) * 1000, maxRssMb: Number(m[3]) / 1024 };
  }
}

/** The final line: "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, P ms 50th, ... ms 99th, ...". */
function parseSummary(stdout: string): Summary | null {
  const lines = stdout.split('\n').filter((l) => l.includes(' ms 50th'));
  const m = /records sent, ([\d.]+) records\/sec.* (\d+) ms 50th, \d+ ms 95th, (\d+) ms 99th/.exec(lines.at(-1) ?? '');
  return m ? { recordsPerSec: Number(m[1]), p50Ms: Number(m[2]), p99Ms: Number(m[3]) } : null;
}
