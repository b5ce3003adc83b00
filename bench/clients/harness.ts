// The part every Node runner shares: read the job, build the records and
// send the job's warm-up records before the clock starts (the client's own
// way, acknowledged, to the same topic), time the run from the first send
// to the last ack, measure CPU, peak RSS and event-loop delay inside this
// process, and print one JSON line. A runner only says how its client sends.

import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Job, RunMetrics, RunResult } from '../job.js';
import { jsonValues } from '../json-values.js';

/** Distinct values cycled through, so no client gets one shared buffer yet memory stays small. */
const VALUE_POOL = 1024;
const KEY_SPACE = 10_000;

export interface Records {
  value(i: number): Buffer;
  key(i: number): Buffer | null;
}

/** A client that only sends everything at once (the first-program runners). */
export interface TimedClient {
  /** One sentence for the report: the API used and its settings. */
  how: string;
  /** Produces records [0, n) the client's fastest way (or the job's way); resolves once every one is acknowledged. */
  sendAll(n: number): Promise<void>;
  close(): Promise<void>;
}

/** A client that also takes part in the latency run. */
export interface BenchClient extends TimedClient {
  /** What one ack covers in latency mode: a record, or a whole send call. */
  ackedPer: 'record' | 'send call';
  /** Sends records [from, to) now and reports each acknowledged range to `acked`. */
  sendNow(from: number, to: number, acked: (a: number, b: number) => void, failed: (err: unknown) => void): void;
}

/** `size` random printable ASCII bytes (33 to 126), the values every runner sends. */
export function printable(size: number): Buffer {
  const b = randomBytes(size);
  for (let i = 0; i < size; i++) b[i] = 33 + ((b[i] as number) % 94);
  return b;
}

/** The records of a job (printable or JSON-like values), made before the clock starts; bench/kcat.ts writes the same ones to kcat's input. */
export function makeRecords(job: Job): Records {
  const values = job.values === 'json' ? jsonValues(VALUE_POOL, job.valueSize) : Array.from({ length: VALUE_POOL }, () => printable(job.valueSize));
  const keys = job.keyed ? Array.from({ length: KEY_SPACE }, (_, i) => Buffer.from(`key-${i}`)) : null;
  return {
    value: (i) => values[i % VALUE_POOL] as Buffer,
    key: (i) => (keys ? (keys[i % KEY_SPACE] as Buffer) : null),
  };
}

/** Runs `send` over [0, n) in chunks, at most `concurrency` chunks unacknowledged at once. */
export async function pump(n: number, chunk: number, concurrency: number, send: (from: number, to: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) {
      const from = next;
      next = Math.min(n, from + chunk);
      await send(from, next);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/**
 * Offers records at job.rate per second on a 1 ms tick. A record's latency
 * runs from when it was due, not from when the tick got to it, so a client
 * that stalls the event loop pays for the stall (no coordinated omission).
 * Besides the whole run's p99, the p99 of the records due after the first
 * second: in a fresh process the first records meet code not yet compiled
 * and a broker answering the connection's first requests slowly, which
 * makes the whole run's p99 a measure of start-up.
 */
function offerAtRate(client: BenchClient, job: Job): Promise<{ p50Ms: number; p99Ms: number; p99SteadyMs: number | null }> {
  const n = job.records;
  const interval = 1000 / job.rate;
  const latencies = new Float64Array(n);
  let sent = 0;
  let acked = 0;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const onAck = (a: number, b: number): void => {
      const now = performance.now();
      for (let i = a; i < b; i++) latencies[i] = now - (t0 + i * interval);
      acked += b - a;
      if (acked === n) {
        const steady = n > job.rate ? latencies.slice(job.rate).sort() : null;
        latencies.sort();
        resolve({ p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), p99SteadyMs: steady ? percentile(steady, 99) : null });
      }
    };
    const tick = (): void => {
      const due = Math.min(n, Math.floor((performance.now() - t0) / interval) + 1);
      if (due > sent) {
        client.sendNow(sent, due, onAck, reject);
        sent = due;
      }
      if (sent < n) setTimeout(tick, 1);
    };
    tick();
  });
}

/**
 * Sends the job's warm-up records the way the timed section will (all at
 * once, or through sendNow with per-record acknowledgements for the latency
 * run), and waits for every acknowledgement.
 */
async function warmUp(client: BenchClient | TimedClient, job: Job): Promise<void> {
  const n = job.warmupRecords;
  if (n === 0) return;
  if (job.mode !== 'latency' || !('sendNow' in client)) return client.sendAll(n);
  await new Promise<void>((resolve, reject) => {
    let acked = 0;
    client.sendNow(0, n, (from, to) => {
      acked += to - from;
      if (acked === n) resolve();
    }, reject);
  });
}

/** The timed section: everything at once, or the latency run (which needs a BenchClient). */
async function drive(client: BenchClient | TimedClient, job: Job): Promise<RunMetrics['latency']> {
  if (job.mode !== 'latency') {
    await client.sendAll(job.records);
    return null;
  }
  if (!('sendNow' in client)) throw new Error('this runner has no latency mode');
  return { ...(await offerAtRate(client, job)), per: client.ackedPer };
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause === undefined ? '' : ` (cause: ${describe(err.cause)})`;
  return `${err.name}: ${err.message}${cause}`;
}

function finish(result: RunResult): void {
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(result.ok ? 0 : 1));
}

export async function runClient(make: (job: Job, records: Records) => Promise<BenchClient | TimedClient>): Promise<void> {
  try {
    const job = JSON.parse(process.argv[2] ?? '') as Job;
    const records = makeRecords(job);
    const client = await make(job, records);
    await warmUp(client, job);
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const latency = await drive(client, job);
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    loop.disable();
    await client.close();
    const metrics: RunMetrics = {
      ok: true,
      how: client.how,
      wallMs,
      warmupRecords: job.warmupRecords,
      cpuMs: (cpu.user + cpu.system) / 1000,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      loopP99Ms: loop.percentile(99) / 1e6,
      latency,
    };
    finish(metrics);
  } catch (err) {
    finish({ ok: false, error: describe(err) });
  }
}
