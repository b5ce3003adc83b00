// kafka-producer-ts in transactions: initTransactions() and the topic's
// metadata before the clock (as the Java program does), then per transaction
// beginTransaction(), fire-and-forget send() of each record and
// commitTransaction(), which flushes and rejects if any record failed, so no
// per-record callback is needed to notice a loss.

import { KafkaProducer } from '../../src/index.js';
import type { TxnJob, TxnResult } from '../txn-job.js';
import { printable } from './harness.js';

/** Distinct values cycled through, as in the throughput runners (and the Java program). */
const VALUE_POOL = 1024;

function median(xs: Float64Array): number {
  const s = xs.slice().sort();
  return s.length % 2 ? (s[s.length >> 1] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
}

async function run(job: TxnJob): Promise<TxnResult> {
  const values = Array.from({ length: VALUE_POOL }, () => printable(job.valueSize));
  // Defaults otherwise: worker thread, lingerMs 5, batchSize 16384, acks all, idempotent (a transactional producer must be).
  const producer = new KafkaProducer({ bootstrapServers: job.bootstrap, transactionalId: job.transactionalId });
  try {
    await producer.initTransactions();
    await producer.partitionsFor(job.topic);
    const commits = new Float64Array(job.transactions);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let i = 0;
    for (let t = 0; t < job.transactions; t++) {
      producer.beginTransaction();
      for (let r = 0; r < job.recordsPerTransaction; r++, i++) {
        // Waiting sends are bounded: pace as the README says (a transaction of 1,000 small records never waits).
        if (producer.needsDrain) await producer.ready();
        producer.send({ topic: job.topic, value: values[i % VALUE_POOL] as Buffer });
      }
      const c0 = performance.now();
      await producer.commitTransaction();
      commits[t] = performance.now() - c0;
    }
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return {
      ok: true,
      wallMs,
      transactions: job.transactions,
      records: i,
      commitP50Ms: median(commits),
      cpuMs: (cpu.user + cpu.system) / 1000,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      transactionVersion: producer.metrics().transactionVersion,
    };
  } finally {
    await producer.close();
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return `${err.name}: ${err.message}${err.cause === undefined ? '' : ` (cause: ${describe(err.cause)})`}`;
}

const result = await run(JSON.parse(process.argv[2] ?? '') as TxnJob).catch((err: unknown): TxnResult => ({ ok: false, error: describe(err) }));
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(result.ok ? 0 : 1));
