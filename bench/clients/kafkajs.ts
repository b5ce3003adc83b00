// kafkajs batches per send() call, so its fastest way is large message arrays
// with several calls in flight on the one connection. With options.adapter
// the same code runs on kafka-producer-ts/kafkajs, our kafkajs-compatible
// API: what a kafkajs user gets by changing the import.

import kafkajs from 'kafkajs';
import SnappyCodec from 'kafkajs-snappy';
import type { BenchCodec } from '../job.js';
import { pump, runClient } from './harness.js';

// kafkajs has gzip built in and takes other codecs as plugins: kafkajs-snappy
// (snappyjs) is pure JavaScript; its lz4 and zstd plugins need a native build
// (lz4, cppzst), so those workloads have no kafkajs row (bench/peers.ts). The
// adapter has every codec built in.
kafkajs.CompressionCodecs[kafkajs.CompressionTypes.Snappy] = SnappyCodec;
const KAFKAJS_CODECS: Partial<Record<BenchCodec, kafkajs.CompressionTypes>> = { gzip: kafkajs.CompressionTypes.GZIP, snappy: kafkajs.CompressionTypes.Snappy };
const ADAPTER_CODECS: Record<BenchCodec, kafkajs.CompressionTypes> = {
  gzip: kafkajs.CompressionTypes.GZIP,
  snappy: kafkajs.CompressionTypes.Snappy,
  lz4: kafkajs.CompressionTypes.LZ4,
  zstd: kafkajs.CompressionTypes.ZSTD,
};
const CHUNK = 1000;
const CONCURRENCY = 8;

await runClient(async (job, records) => {
  const adapter = job.options.adapter === true;
  // The adapter's types are kafkajs's own names; the code below is written once for both.
  const { Kafka, CompressionTypes, Partitioners, logLevel } = adapter ? ((await import('../../src/kafkajs/index.js')) as unknown as typeof kafkajs) : kafkajs;
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: job.bootstrap.split(','), logLevel: logLevel.ERROR });
  const producer = kafka.producer({ idempotent: false, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const compression = job.compression ? (adapter ? ADAPTER_CODECS : KAFKAJS_CODECS)[job.compression] : CompressionTypes.None;
  if (compression === undefined) throw new Error(`kafkajs runner: no ${job.compression} codec without a native build`);
  const send = (from: number, to: number) => {
    const messages = [];
    for (let i = from; i < to; i++) messages.push({ key: records.key(i), value: records.value(i) });
    return producer.send({ topic: job.topic, messages, acks: -1, compression });
  };
  return {
    how: `${adapter ? 'kafka-producer-ts/kafkajs (the import changed, nothing else): ' : ''}producer.send({ topic, messages, acks: -1 }) with ${CHUNK} messages per call and ${CONCURRENCY} calls in flight; idempotent off, ${job.compression ? `compression ${job.compression}${job.compression === 'snappy' && !adapter ? ' (kafkajs-snappy)' : ''}` : 'no compression'}, DefaultPartitioner`,
    ackedPer: 'send call',
    sendAll: (n) => pump(n, CHUNK, CONCURRENCY, send),
    sendNow: (from, to, acked, failed) => void send(from, to).then(() => acked(from, to), failed),
    close: () => producer.disconnect(),
  };
});
