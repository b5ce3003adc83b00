// What the adapter adds to kafkajs's cases, on the real broker: per-send acks
// and compression reach the wire (one producer per setting, DumpLogSegments
// judges), LogAppendTime comes back in the results, a transaction warns that
// it does not compress, and the LegacyPartitioner puts keys where kafkajs's
// own does.

import { createRequire } from 'node:module';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { CompressionTypes, Kafka, logLevel, Partitioners, type LogEntry, type Producer, type ProducerConfig } from 'kafka-producer-ts/kafkajs';
import { createTopic, dumpLogSegments, kcatConsumeAtLeast, partitionLogFiles, uniqueTopic } from '../support/kafka-tools.js';

const env = inject('kafka');
const producers: Producer[] = [];
const entries: LogEntry[] = [];

function newProducer(config: ProducerConfig = {}): Producer {
  const kafka = new Kafka({ clientId: 'kafkajs-settings', brokers: [env.bootstrap], logLevel: logLevel.WARN, logCreator: () => (e) => entries.push(e) });
  const producer = kafka.producer(config);
  producers.push(producer);
  return producer;
}

afterEach(async () => {
  await Promise.all(producers.splice(0).map((p) => p.disconnect()));
  entries.length = 0;
});

describe('kafka-producer-ts/kafkajs on the wire', () => {
  it.skipIf(env.libsDir === null)('sends each compression and acks setting of a send() as asked: codec per batch, idempotent only with acks -1', async () => {
    const topic = uniqueTopic('kafkajs-codecs');
    await createTopic(env.bootstrap, topic, 1);
    const producer = newProducer();
    await producer.connect();
    const codecs = [CompressionTypes.None, CompressionTypes.GZIP, CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD];
    for (const compression of codecs) {
      await producer.send({ topic, compression, messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `${CompressionTypes[compression]}-${i}`.repeat(10) })) });
    }
    await producer.send({ topic, acks: 1, messages: [{ value: 'acks 1' }] });
    const batches = [...(await dumpLogSegments(env, partitionLogFiles(env, topic, 0))).values()].flat();
    expect(batches.map((b) => b['compresscodec'])).toEqual(['none', 'gzip', 'snappy', 'lz4', 'zstd', 'none']);
    // Idempotence is on by default (a producer id on the batch), and off for the acks 1 producer.
    expect(batches.slice(0, 5).every((b) => Number(b['producerId']) >= 0)).toBe(true);
    expect(batches[5]?.['producerId']).toBe('-1');
    expect(await kcatConsumeAtLeast(env.bootstrap, topic, 101)).toHaveLength(101);
  });

  it('takes the brokers from an async function, asked again on each connect()', async () => {
    const topic = uniqueTopic('kafkajs-brokers-fn');
    await createTopic(env.bootstrap, topic, 1);
    let asked = 0;
    const brokers = async () => {
      asked++;
      return [env.bootstrap];
    };
    const producer = new Kafka({ clientId: 'kafkajs-settings', brokers, logLevel: logLevel.NOTHING }).producer();
    producers.push(producer);
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'first' }] });
    await producer.disconnect();
    await producer.connect();
    await expect(producer.send({ topic, messages: [{ value: 'second' }] })).resolves.toEqual([expect.objectContaining({ baseOffset: '1' })]);
    expect(asked).toBe(2);
  });

  it("gives the broker's LogAppendTime for topics that use it", async () => {
    const topic = uniqueTopic('kafkajs-append-time');
    await createTopic(env.bootstrap, topic, 1, { 'message.timestamp.type': 'LogAppendTime' });
    const producer = newProducer();
    await producer.connect();
    const before = Date.now();
    const [result] = await producer.send({ topic, messages: [{ value: 'v' }] });
    const appendTime = Number(result?.logAppendTime);
    expect(appendTime).toBeGreaterThanOrEqual(before);
    expect(appendTime).toBeLessThanOrEqual(Date.now());
  });

  it('warns that a transaction does not compress, and still commits its records', async () => {
    const topic = uniqueTopic('kafkajs-txn-gzip');
    await createTopic(env.bootstrap, topic, 1);
    const producer = newProducer({ transactionalId: uniqueTopic('kafkajs-txn-gzip') });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic, compression: CompressionTypes.GZIP, messages: [{ value: 'v' }] });
    await txn.commit();
    expect(entries.filter((e) => e.label === 'WARN').map((e) => e.log.message)).toEqual([expect.stringMatching(/compression is not applied inside a transaction/)]);
    expect(await kcatConsumeAtLeast(env.bootstrap, topic, 1, 20_000, 'read_committed')).toHaveLength(1);
  });

  it("sends a message with a partition to that partition, with the DefaultPartitioner as with kafkajs's own", async () => {
    const topic = uniqueTopic('kafkajs-explicit-partition');
    await createTopic(env.bootstrap, topic, 3);
    const producer = newProducer();
    await producer.connect();
    const result = await producer.send({ topic, messages: [0, 1, 2, 2, 1].map((partition, i) => ({ key: 'same-key', value: `v${i}`, partition })) });
    expect(result.map((r) => [r.partition, r.baseOffset]).sort()).toEqual([
      [0, '0'],
      [1, '0'],
      [2, '0'],
    ]);
    const read = await kcatConsumeAtLeast(env.bootstrap, topic, 5);
    expect(read.map((m) => [m.payload, m.partition]).sort()).toEqual([
      ['v0', 0],
      ['v1', 1],
      ['v2', 2],
      ['v3', 2],
      ['v4', 1],
    ]);
  });

  it("puts keys where kafkajs's LegacyPartitioner puts them", async () => {
    const topic = uniqueTopic('kafkajs-legacy');
    await createTopic(env.bootstrap, topic, 7);
    const producer = newProducer({ createPartitioner: Partitioners.LegacyPartitioner });
    await producer.connect();
    const keys = Array.from({ length: 50 }, (_, i) => `customer-${i * 7919}`);
    await producer.send({ topic, messages: keys.map((key) => ({ key, value: key })) });
    type Legacy = () => (args: { topic: string; partitionMetadata: { partitionId: number; leader: number }[]; message: { key: string } }) => number;
    const legacy = (createRequire(import.meta.url)('kafkajs') as { Partitioners: { LegacyPartitioner: Legacy } }).Partitioners.LegacyPartitioner();
    const partitionMetadata = Array.from({ length: 7 }, (_, partitionId) => ({ partitionId, leader: 1 }));
    const read = await kcatConsumeAtLeast(env.bootstrap, topic, keys.length);
    expect(read.map((m) => [m.key, m.partition]).sort()).toEqual(keys.map((key) => [key, legacy({ topic, partitionMetadata, message: { key } })]).sort());
  });
});
