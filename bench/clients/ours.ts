// kafka-producer-ts: fire-and-forget send() into the accumulator, then one
// flush(); per-record callbacks give per-record acks for the latency run.

import { KafkaProducer } from '../../src/index.js';
import { runClient } from './harness.js';

await runClient(async (job, records) => {
  const worker = job.options.worker === true;
  const producer = new KafkaProducer({ bootstrapServers: job.bootstrap, acks: 'all', lingerMs: 5, batchSize: 16384, compressionType: 'none', worker });
  const record = (i: number) => ({ topic: job.topic, key: records.key(i), value: records.value(i) });
  return {
    how: `send(record) without awaiting, then await flush(); acks all, lingerMs 5, batchSize 16384, no compression, worker ${worker}`,
    ackedPer: 'record',
    sendAll: async (n) => {
      for (let i = 0; i < n; i++) producer.send(record(i));
      await producer.flush();
    },
    sendNow: (from, to, acked, failed) => {
      for (let i = from; i < to; i++) producer.send(record(i), (err) => (err ? failed(err) : acked(i, i + 1)));
    },
    close: () => producer.close(),
  };
});
