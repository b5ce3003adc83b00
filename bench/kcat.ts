// kcat's producer (kcat -P: librdkafka in C, at its defaults), as a proxy
// for what this machine and broker allow a client. It reads the records one
// per line (key, a tab, the value) from a file written before the run, and
// exits once every record is acknowledged; kcat prints no timings, so wall
// time and CPU are the whole process's (GNU time, bench/gnu-time.ts) less
// those of a 1-record run: start-up, connection and metadata are not charged
// to the records, as they are not for the other clients.

import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeRecords } from './clients/harness.js';
import { runTimed, usageOf } from './gnu-time.js';
import type { Job, RunResult } from './job.js';
import { tailOf } from './proc.js';

export const KCAT_UNSUPPORTED_LATENCY = 'kcat -P reports no per-record acknowledgement times';

const CALIBRATION_RUNS = 3;
const TAB = Buffer.from('\t');
const NEWLINE = Buffer.from('\n');

interface Cost {
  wallMs: number;
  cpuMs: number | null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** "kcat 1.7.1, librdkafka 2.0.2", from `kcat -V`. */
export function kcatVersion(kcat: string): string {
  const out = spawnSync(kcat, ['-V'], { encoding: 'utf8' }).stdout ?? '';
  const kcatV = /Version ([\w.-]+)/.exec(out)?.[1] ?? 'unknown';
  const rdV = /librdkafka ([\w.-]+)/.exec(out)?.[1] ?? 'unknown';
  return `kcat ${kcatV}, librdkafka ${rdV}`;
}

export class KcatProducer {
  readonly #kcat: string;
  /** Input files by records, value size and keys: written once, reused by every round, removed by dispose(). */
  readonly #files = new Map<string, string>();
  #startup: Cost | null = null;

  constructor(kcat: string) {
    this.#kcat = kcat;
  }

  get how(): string {
    return (
      `kcat -P -b <bootstrap> -t <topic> -l <file> (-K '\\t' when keyed): librdkafka's defaults (acks all, linger.ms 5, batch.num.messages 10000, batch.size 1000000, idempotence off, consistent_random partitioner), plus -z <codec> in the compressed workloads; ` +
      `records read one per line from a file written before the run; wall time and CPU are the process's less the median of ${CALIBRATION_RUNS} 1-record runs (start-up, connection, metadata)`
    );
  }

  /** Measures what 1-record runs on `topic` cost, to subtract from every later run. */
  async calibrate(bootstrap: string, topic: string): Promise<void> {
    const costs: Cost[] = [];
    for (let i = 0; i < CALIBRATION_RUNS; i++) {
      const job: Job = { mode: 'throughput', bootstrap, topic, records: 1, valueSize: 100, keyed: false, rate: 0, warmupRecords: 0, options: {} };
      const t0 = performance.now();
      const out = await runTimed(this.#kcat, this.#args(job), 60_000);
      if (out.code !== 0) throw new Error(`kcat could not send 1 record: exit ${out.code}: ${tailOf(out.stderr)}`);
      costs.push({ wallMs: performance.now() - t0, cpuMs: usageOf(out)?.cpuMs ?? null });
    }
    const cpu = costs.map((c) => c.cpuMs).filter((c): c is number => c !== null);
    this.#startup = { wallMs: median(costs.map((c) => c.wallMs)), cpuMs: cpu.length === costs.length ? median(cpu) : null };
  }

  async run(job: Job, timeoutMs: number): Promise<RunResult> {
    if (!this.#startup) return { ok: false, error: 'kcat was not calibrated' };
    const t0 = performance.now();
    const out = await runTimed(this.#kcat, this.#args(job), timeoutMs);
    const wallMs = performance.now() - t0;
    if (out.timedOut) return { ok: false, error: `timed out after ${timeoutMs / 1000} s` };
    if (out.code !== 0) return { ok: false, error: `exit ${out.code}: ${tailOf(out.stdout + out.stderr)}` };
    const usage = usageOf(out);
    const startupCpu = this.#startup.cpuMs;
    return {
      ok: true,
      how: this.how,
      wallMs: Math.max(1, wallMs - this.#startup.wallMs),
      // C, with no compiler to warm: its start-up is subtracted instead.
      warmupRecords: 0,
      cpuMs: usage && startupCpu !== null ? Math.max(0, usage.cpuMs - startupCpu) : null,
      maxRssMb: usage?.maxRssMb ?? null,
      loopP99Ms: null,
      latency: null,
    };
  }

  /** Removes the input files. */
  dispose(): void {
    for (const file of this.#files.values()) rmSync(file, { force: true });
    this.#files.clear();
  }

  #args(job: Job): string[] {
    const args = ['-P', '-b', job.bootstrap, '-t', job.topic, '-l', this.#input(job), ...(job.compression ? ['-z', job.compression] : [])];
    return job.keyed ? [...args, '-K', '\\t'] : args;
  }

  #input(job: Job): string {
    const id = `${job.records}-${job.valueSize}-${job.keyed ? 'keyed' : 'keyless'}-${job.values ?? 'printable'}`;
    const known = this.#files.get(id);
    if (known) return known;
    // The records every runner sends (printable or JSON values, so no tab or newline inside one).
    const records = makeRecords(job);
    const lines: Buffer[] = [];
    for (let i = 0; i < job.records; i++) {
      const key = records.key(i);
      if (key) lines.push(key, TAB);
      lines.push(records.value(i), NEWLINE);
    }
    const file = path.join(os.tmpdir(), `kafka-producer-ts-bench-kcat-${process.pid}-${id}.txt`);
    writeFileSync(file, Buffer.concat(lines));
    this.#files.set(id, file);
    return file;
  }
}

