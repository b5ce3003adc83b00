// node-rdkafka (librdkafka in C++ bindings) at librdkafka's defaults, loaded
// from the directory the bench installed it into (job.options.dir, see
// bench/setup/node-rdkafka.ts): it is no dependency of the project.
// produce() copies each record into librdkafka's queue and returns. A
// record leaves the queue only once poll() has served its delivery report
// (even with no listener for it), so the loop polls every 1000 records, and
// when produce() throws QUEUE_FULL (100,000 queued, the default) it polls,
// waits a millisecond and tries again. Throughput runs take no
// delivery-report events (dr_cb is off by default) and end with flush(); a
// lost record still fails the run, by the bench's count at the broker. The
// latency run needs per-record acks, so it turns dr_cb on and polls every
// millisecond.

import { createRequire } from 'node:module';
import path from 'node:path';
import { runClient } from './harness.js';

/** The part of node-rdkafka's Producer used here (its own types live in the bench's install directory). */
interface RdProducer {
  connect(options: object, cb: (err: Error | null) => void): void;
  produce(topic: string, partition: null, value: Buffer, key: Buffer | null, timestamp: null, opaque?: number): void;
  flush(timeoutMs: number, cb: (err: Error | null) => void): void;
  poll(): void;
  setPollInterval(ms: number): void;
  on(event: 'delivery-report', listener: (err: Error | null, report: { opaque: number }) => void): void;
  disconnect(cb: (err: Error | null) => void): void;
}

interface RdKafka {
  Producer: new (config: Record<string, unknown>) => RdProducer;
  CODES: { ERRORS: { ERR__QUEUE_FULL: number } };
}

const FLUSH_TIMEOUT_MS = 120_000;

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function callback(fn: (cb: (err: Error | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
}

await runClient(async (job, records) => {
  const dir = job.options.dir;
  if (typeof dir !== 'string') throw new Error('node-rdkafka runner: job.options.dir (where the bench installed node-rdkafka) is missing');
  const kafka = createRequire(path.join(dir, 'package.json'))('node-rdkafka') as RdKafka;
  const QUEUE_FULL = kafka.CODES.ERRORS.ERR__QUEUE_FULL;
  const latency = job.mode === 'latency';
  const codec = job.compression ? { 'compression.codec': job.compression } : {};
  const producer = new kafka.Producer({ 'metadata.broker.list': job.bootstrap, ...codec, ...(latency ? { dr_cb: true } : {}) });
  // Like the other clients' connect(): connections and the topic's metadata before the clock starts.
  await callback((cb) => producer.connect({ topic: job.topic }, cb));
  let report: ((err: Error | null, i: number) => void) | null = null;
  if (latency) {
    producer.on('delivery-report', (err, r) => report?.(err, r.opaque));
    producer.setPollInterval(1);
  }
  return {
    how:
      "new Producer({ 'metadata.broker.list' }), so librdkafka's defaults (acks all, linger.ms 5, batch.num.messages 10000, batch.size 1000000, idempotence off, consistent_random partitioner), plus 'compression.codec' in the compressed workloads; " +
      'connect() before timing; produce(topic, null, value, key) per record, poll() and a yield to the event loop every 1000 records, on QUEUE_FULL (queue.buffering.max.messages 100000) poll(), 1 ms and another try, then flush(); ' +
      'no delivery reports (dr_cb off, the default), except in the latency run: dr_cb true, a delivery-report event per record, setPollInterval(1)',
    ackedPer: 'record',
    sendAll: async (n) => {
      for (let i = 0; i < n; i++) {
        for (;;) {
          try {
            producer.produce(job.topic, null, records.value(i), records.key(i), null);
            break;
          } catch (err) {
            if ((err as { code?: number }).code !== QUEUE_FULL) throw err;
            producer.poll();
            await wait(1);
          }
        }
        if (i % 1000 === 999) {
          producer.poll();
          await new Promise((r) => setImmediate(r));
        }
      }
      await callback((cb) => producer.flush(FLUSH_TIMEOUT_MS, cb));
    },
    sendNow: (from, to, acked, failed) => {
      report = (err, i) => (err ? failed(err) : acked(i, i + 1));
      try {
        for (let i = from; i < to; i++) producer.produce(job.topic, null, records.value(i), records.key(i), null, i);
      } catch (err) {
        failed(err);
      }
    },
    close: () => callback((cb) => producer.disconnect(cb)),
  };
});
