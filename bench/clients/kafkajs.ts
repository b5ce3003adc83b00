// kafkajs batches per send() call, so its fastest way is large message arrays
// with several calls in flight on the one connection.

import kafkajs from 'kafkajs';
import { pump, runClient } from './harness.js';

const { Kafka, CompressionTypes, Partitioners, logLevel } = kafkajs;
const CHUNK = 1000;
const CONCURRENCY = 8;

await runClient(async (job, records) => {
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: job.bootstrap.split(','), logLevel: logLevel.ERROR });
  const producer = kafka.producer({ idempotent: false, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const send = (from: number, to: number) => {
    const messages = [];
    for (let i = from; i < to; i++) messages.push({ key: records.key(i), value: records.value(i) });
    return producer.send({ topic: job.topic, messages, acks: -1, compression: CompressionTypes.None });
  };
  return {
    how: `producer.send({ topic, messages, acks: -1 }) with ${CHUNK} messages per call and ${CONCURRENCY} calls in flight; idempotent off, no compression, DefaultPartitioner`,
    ackedPer: 'send call',
    sendAll: (n) => pump(n, CHUNK, CONCURRENCY, send),
    sendNow: (from, to, acked, failed) => void send(from, to).then(() => acked(from, to), failed),
    close: () => producer.disconnect(),
  };
});
