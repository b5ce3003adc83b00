// @platformatic/kafka sends one Produce request per broker per send() call,
// so like kafkajs it is fastest with large message arrays. More calls are in
// flight than its connection's 5 in-flight requests, so the next request is
// already built when one is answered. With options.defaults the producer
// gets no settings but the broker list: then it is not idempotent and acks
// is LEADER (1), its defaults, where the other row asks for ALL like the
// other clients.

import { ProduceAcks, Producer } from '@platformatic/kafka';
import { pump, runClient } from './harness.js';

const CHUNK = 2000;
const CONCURRENCY = 8;

await runClient(async (job, records) => {
  const defaults = job.options.defaults === true;
  const connection = { clientId: 'bench-platformatic', bootstrapBrokers: job.bootstrap.split(',') };
  const settings = { acks: ProduceAcks.ALL, idempotent: false, compression: 'none', autocreateTopics: false } as const;
  const producer = new Producer(defaults ? connection : { ...connection, ...settings });
  const send = (from: number, to: number) => {
    const messages = [];
    for (let i = from; i < to; i++) messages.push({ topic: job.topic, key: records.key(i) ?? undefined, value: records.value(i) });
    return producer.send({ messages });
  };
  return {
    how: `producer.send({ messages }) with ${CHUNK} messages per call and ${CONCURRENCY} calls in flight; ${defaults ? 'no settings but clientId and bootstrapBrokers, so its defaults: idempotent off, acks LEADER (1), no compression' : 'acks ALL, idempotent off, no compression'}, Buffer (no-op) serializers`,
    ackedPer: 'send call',
    sendAll: (n) => pump(n, CHUNK, CONCURRENCY, send),
    sendNow: (from, to, acked, failed) => void send(from, to).then(() => acked(from, to), failed),
    close: () => producer.close(),
  };
});
