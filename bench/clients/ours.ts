// kafka-producer-ts: fire-and-forget send() into the accumulator, then one
// flush(); per-record callbacks give per-record acks for the latency run.
// Unawaited sends report failures only through 'deliveryError' and metrics(),
// so the run checks those rather than pass with records missing.

import { KafkaProducer } from '../../src/index.js';
import { runClient } from './harness.js';

await runClient(async (job, records) => {
  const worker = job.options.worker === true;
  const batchSize = typeof job.options.batchSize === 'number' ? job.options.batchSize : 16384;
  // Off only when asked (bench:eos compares the two); acks stays 'all' either way.
  const enableIdempotence = job.options.enableIdempotence !== false;
  const producer = new KafkaProducer({ bootstrapServers: job.bootstrap, acks: 'all', lingerMs: 5, batchSize, compressionType: job.compression ?? 'none', worker, enableIdempotence });
  const record = (i: number) => ({ topic: job.topic, key: records.key(i), value: records.value(i) });
  // Like the other clients' connect(): metadata, connections and the producer id before the clock starts.
  await producer.partitionsFor(job.topic);
  let firstError: Error | null = null;
  producer.on('deliveryError', (err: Error) => (firstError ??= err));
  return {
    how: `await partitionsFor(topic) before timing (as others connect()); send(record) without awaiting, yielding to the event loop every 1000 records as a server handling requests would and awaiting ready() while sends wait for buffer memory, then await flush(); ${enableIdempotence ? 'idempotent (the default)' : 'enableIdempotence false'}, acks all, lingerMs 5, batchSize ${batchSize}, ${job.compression ? `compressionType ${job.compression}` : 'no compression'}, worker ${worker}`,
    ackedPer: 'record',
    sendAll: async (n) => {
      for (let i = 0; i < n; i++) {
        // Waiting sends are bounded: pace as the README says.
        if (producer.needsDrain) await producer.ready();
        producer.send(record(i));
        if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
      }
      await producer.flush();
      const failed = producer.metrics().recordsFailed;
      if (failed > 0) throw new Error(`${failed} of ${n} records failed, the first with: ${firstError?.message}`);
    },
    sendNow: (from, to, acked, failed) => {
      for (let i = from; i < to; i++) producer.send(record(i), (err) => (err ? failed(err) : acked(i, i + 1)));
    },
    close: () => producer.close(),
  };
});
