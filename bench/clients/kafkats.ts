// @kafkats/client has its own accumulator (lingerMs, maxBatchBytes) and one
// promise per send() call; arrays of messages keep that per-call cost low, and
// several calls in flight keep its batches full. One call's messages stay in
// one batch, so 1000 per call is about the most that fits 1 KiB values under
// the broker's 1 MiB batch limit (10,000 x 100 B fails with MessageTooLarge).
// Single-message calls cost more the more are outstanding (16,000 at once took
// 43 s on the 2-core bench machine) and fall behind at 20,000/s, so the
// latency run sends arrays too.

import { KafkaClient } from '@kafkats/client';
import { pump, runClient } from './harness.js';

const CHUNK = 1000;
const CONCURRENCY = 8;

await runClient(async (job, records) => {
  const client = new KafkaClient({ brokers: job.bootstrap.split(','), clientId: 'bench-kafkats' });
  await client.connect();
  const producer = client.producer({ acks: 'all', lingerMs: 5, maxBatchBytes: 16384, compression: 'none', idempotent: false });
  const send = (from: number, to: number) => {
    const messages = [];
    for (let i = from; i < to; i++) messages.push({ key: records.key(i), value: records.value(i) });
    return producer.send(job.topic, messages);
  };
  return {
    how: `producer.send(topic, messages) with ${CHUNK} messages per call and ${CONCURRENCY} calls in flight; acks all, lingerMs 5, maxBatchBytes 16384, idempotent off, no compression`,
    ackedPer: 'send call',
    sendAll: (n) => pump(n, CHUNK, CONCURRENCY, send),
    sendNow: (from, to, acked, failed) => void send(from, to).then(() => acked(from, to), failed),
    close: async () => {
      await producer.disconnect();
      await client.disconnect();
    },
  };
});
