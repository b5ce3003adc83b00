// @platformatic/kafka sends one Produce request per broker per send() call,
// so like kafkajs it is fastest with large message arrays. More calls are in
// flight than its connection's 5 in-flight requests, so the next request is
// already built when one is answered.

import { ProduceAcks, Producer } from '@platformatic/kafka';
import { pump, runClient } from './harness.js';

const CHUNK = 2000;
const CONCURRENCY = 8;

await runClient(async (job, records) => {
  const producer = new Producer({
    clientId: 'bench-platformatic',
    bootstrapBrokers: job.bootstrap.split(','),
    acks: ProduceAcks.ALL,
    idempotent: false,
    compression: 'none',
    autocreateTopics: false,
  });
  const send = (from: number, to: number) => {
    const messages = [];
    for (let i = from; i < to; i++) messages.push({ topic: job.topic, key: records.key(i) ?? undefined, value: records.value(i) });
    return producer.send({ messages });
  };
  return {
    how: `producer.send({ messages }) with ${CHUNK} messages per call and ${CONCURRENCY} calls in flight; acks ALL, idempotent off, no compression, Buffer (no-op) serializers`,
    ackedPer: 'send call',
    sendAll: (n) => pump(n, CHUNK, CONCURRENCY, send),
    sendNow: (from, to, acked, failed) => void send(from, to).then(() => acked(from, to), failed),
    close: () => producer.close(),
  };
});
