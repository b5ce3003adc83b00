// @kafkats/client has its own accumulator (lingerMs, maxBatchBytes) and one
// promise per send() call; arrays of messages keep that per-call cost low, and
// several calls in flight keep its batches full.

import { KafkaClient } from '@kafkats/client';
import { pump, runClient } from './harness.js';

const CHUNK = 1000;
const CONCURRENCY = 8;

await runClient(async (job, records) => {
  const client = new KafkaClient({ brokers: job.bootstrap.split(','), clientId: 'bench-kafkats' });
  await client.connect();
  const producer = client.producer({ acks: 'all', lingerMs: 5, maxBatchBytes: 16384, compression: 'none', idempotent: false });
  const message = (i: number) => ({ key: records.key(i), value: records.value(i) });
  const send = (from: number, to: number) => {
    const messages = [];
    for (let i = from; i < to; i++) messages.push(message(i));
    return producer.send(job.topic, messages);
  };
  return {
    how: `producer.send(topic, messages) with ${CHUNK} messages per call and ${CONCURRENCY} calls in flight; acks all, lingerMs 5, maxBatchBytes 16384, idempotent off, no compression`,
    ackedPer: 'record',
    sendAll: (n) => pump(n, CHUNK, CONCURRENCY, send),
    sendNow: (from, to, acked, failed) => {
      for (let i = from; i < to; i++) producer.send(job.topic, message(i)).then(() => acked(i, i + 1), failed);
    },
    close: async () => {
      await producer.disconnect();
      await client.disconnect();
    },
  };
});
