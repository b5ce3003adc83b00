// kafkajs batches per send() call, so its fastest way is large message arrays
// with several calls in flight on the one connection.

import kafkajs from 'kafkajs';
import SnappyCodec from 'kafkajs-snappy';
import type { BenchCodec } from '../job.js';
import { pump, runClient } from './harness.js';

const { Kafka, CompressionTypes, CompressionCodecs, Partitioners, logLevel } = kafkajs;
// kafkajs has gzip built in and takes other codecs as plugins: kafkajs-snappy
// (snappyjs) is pure JavaScript; its lz4 and zstd plugins need a native build
// (lz4, cppzst), so those workloads have no kafkajs row (bench/peers.ts).
CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;
const CODECS: Partial<Record<BenchCodec, kafkajs.CompressionTypes>> = { gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy };
const CHUNK = 1000;
const CONCURRENCY = 8;

await runClient(async (job, records) => {
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: job.bootstrap.split(','), logLevel: logLevel.ERROR });
  const producer = kafka.producer({ idempotent: false, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const compression = job.compression ? CODECS[job.compression] : CompressionTypes.None;
  if (compression === undefined) throw new Error(`kafkajs runner: no ${job.compression} codec without a native build`);
  const send = (from: number, to: number) => {
    const messages = [];
    for (let i = from; i < to; i++) messages.push({ key: records.key(i), value: records.value(i) });
    return producer.send({ topic: job.topic, messages, acks: -1, compression });
  };
  return {
    how: `producer.send({ topic, messages, acks: -1 }) with ${CHUNK} messages per call and ${CONCURRENCY} calls in flight; idempotent off, ${job.compression ? `compression ${job.compression}${job.compression === 'snappy' ? ' (kafkajs-snappy)' : ''}` : 'no compression'}, DefaultPartitioner`,
    ackedPer: 'send call',
    sendAll: (n) => pump(n, CHUNK, CONCURRENCY, send),
    sendNow: (from, to, acked, failed) => void send(from, to).then(() => acked(from, to), failed),
    close: () => producer.disconnect(),
  };
});
