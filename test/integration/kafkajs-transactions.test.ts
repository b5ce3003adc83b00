// kafkajs's transaction and idempotence tests (src/producer/index.spec.js's
// 'transactions', src/producer/__tests__/concurrentTransaction.spec.js and
// idempotentProduceMessages.spec.js: the cases without mocks) written again
// against kafka-producer-ts/kafkajs on the real broker. kafkajs's spies on
// its internals are replaced by reading the outcome: committed offsets and
// end offsets through kafkajs's own admin client, records through kcat.

import kafkajs from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it, inject } from 'vitest';
import { Kafka, KafkaJSNonRetriableError, logLevel, type PartitionerArgs, type Producer, type ProducerConfig } from 'kafka-producer-ts/kafkajs';
import { createTopic, kcatConsumeAtLeast, uniqueTopic } from '../support/kafka-tools.js';

const env = inject('kafka');
const producers: Producer[] = [];
const admin = new kafkajs.Kafka({ clientId: 'kafkajs-spec-admin', brokers: [env.bootstrap], logLevel: kafkajs.logLevel.NOTHING }).admin();

const createModPartitioner =
  () =>
  ({ partitionMetadata, message }: PartitionerArgs): number =>
    ((parseInt(String(message.key).replace(/[^\d]/g, ''), 10) || 0) % 3) % partitionMetadata.length;

function newProducer(config: ProducerConfig = {}): Producer {
  const producer = new Kafka({ clientId: 'kafkajs-spec', brokers: [env.bootstrap], logLevel: logLevel.NOTHING }).producer(config);
  producers.push(producer);
  return producer;
}

/** Retries an assertion for a few seconds: a commit's offsets and markers land just after it returns. */
async function eventually(check: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await check();
    } catch (err) {
      if (attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

beforeAll(() => admin.connect());
afterAll(() => admin.disconnect());
afterEach(async () => {
  await Promise.all(producers.splice(0).map((p) => p.disconnect()));
});

describe('Producer > transactions (kafkajs index.spec.js)', () => {
  let topic: string;
  let transactionalId: string;

  async function connected(): Promise<Producer> {
    topic = uniqueTopic('kafkajs-txn');
    transactionalId = uniqueTopic('kafkajs-txn-id');
    await createTopic(env.bootstrap, topic, 1);
    const producer = newProducer({ createPartitioner: createModPartitioner, transactionalId });
    await producer.connect();
    return producer;
  }

  const ended = new KafkaJSNonRetriableError('Cannot continue to use transaction once ended');

  it.each(['commit', 'abort'] as const)('transaction flow %s', async (endFn) => {
    const producer = await connected();
    const txn = await producer.transaction();
    await expect(producer.transaction()).rejects.toEqual(
      new KafkaJSNonRetriableError('There is already an ongoing transaction for this producer. Please end the transaction before beginning another.'),
    );
    await txn.send({ topic, messages: [{ key: '2', value: '2' }] });
    await txn.sendBatch({ topicMessages: [{ topic, messages: [{ key: '2', value: '2' }] }] });
    await txn[endFn]();
    await expect(txn.send(undefined as never)).rejects.toEqual(ended);
    await expect(txn.sendBatch(undefined as never)).rejects.toEqual(ended);
    await expect(txn.commit()).rejects.toEqual(ended);
    await expect(txn.abort()).rejects.toEqual(ended);
    expect(await producer.transaction()).toBeTruthy();
    // Beyond kafkajs's case: read_committed sees the two records only if committed.
    if (endFn === 'commit') expect(await kcatConsumeAtLeast(env.bootstrap, topic, 2, 20_000, 'read_committed')).toHaveLength(2);
  });

  it('allows sending messages outside a transaction', async () => {
    const producer = await connected();
    await producer.transaction();
    await producer.send({ topic, messages: [{ key: 'key', value: 'value' }] });
    await producer.sendBatch({ topicMessages: [{ topic, messages: [{ key: 'key', value: 'value' }] }] });
  });

  // kafkajs spies on its eosManager and cluster; here the group's committed offsets are read back.
  it('supports sending offsets', async () => {
    topic = uniqueTopic('kafkajs-txn-offsets');
    await createTopic(env.bootstrap, topic, 2);
    const producer = newProducer({ transactionalId: uniqueTopic('kafkajs-txn-id') });
    await producer.connect();
    const consumerGroupId = uniqueTopic('kafkajs-group');
    const topics = [{ topic, partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '10' }] }];
    const txn = await producer.transaction();
    await txn.sendOffsets({ consumerGroupId, topics });
    await txn.commit();
    await eventually(async () => {
      const [fetched] = await admin.fetchOffsets({ groupId: consumerGroupId, topics: [topic] });
      expect(fetched?.partitions.sort((a, b) => a.partition - b.partition)).toEqual([expect.objectContaining({ partition: 0, offset: '5' }), expect.objectContaining({ partition: 1, offset: '10' })]);
    });
  });

  describe('without operations', () => {
    it('does not throw an error when aborting transaction', async () => {
      const producer = await connected();
      await expect((await producer.transaction()).abort()).resolves.toBeUndefined();
    });

    it('does not throw an error when commiting transaction', async () => {
      const producer = await connected();
      await expect((await producer.transaction()).commit()).resolves.toBeUndefined();
    });

    it('allows createing transaction when the previous was aborted without any operations made in it', async () => {
      const producer = await connected();
      await (await producer.transaction()).abort();
      await expect(producer.transaction()).resolves.toBeTruthy();
    });

    it('allows createing transaction when the previous was commited without any operations made in it', async () => {
      const producer = await connected();
      await (await producer.transaction()).commit();
      await expect(producer.transaction()).resolves.toBeTruthy();
    });

    // kafkajs reads the end offset through its cluster object; its admin gives the same number.
    it("transaction that is created after a transaction that hasn't made any operations should work", async () => {
      const producer = await connected();
      await (await producer.transaction()).abort();
      const transaction = await producer.transaction();
      await transaction.send({ topic, messages: [{ value: 'value', partition: 0 }, { value: 'value', partition: 0 }] });
      await transaction.commit();
      await eventually(async () => {
        // Two records and the commit marker.
        expect(await admin.fetchTopicOffsets(topic)).toEqual([expect.objectContaining({ partition: 0, offset: '3' })]);
      });
    });
  });
});

describe('Producer > Transactional producer (kafkajs concurrentTransaction.spec.js)', () => {
  it('when there is an ongoing transaction on connect: retries initProducerId to cancel the ongoing transaction', async () => {
    const topic = uniqueTopic('kafkajs-concurrent');
    const transactionalId = uniqueTopic('kafkajs-concurrent-id');
    await createTopic(env.bootstrap, topic, 1);
    const message = { key: 'key-1', value: 'value-1' };
    const config = { idempotent: true, transactionalId, transactionTimeout: 100 };
    // Producer 1 opens a transaction and "crashes": it never commits or aborts.
    const producer1 = newProducer(config);
    await producer1.connect();
    const transaction1 = await producer1.transaction();
    await transaction1.send({ topic, messages: [message] });
    // Producer 2, same transactional id, must get past the open transaction.
    const producer2 = newProducer(config);
    await producer2.connect();
    const transaction2 = await producer2.transaction();
    await transaction2.send({ topic, messages: [message] });
    await transaction2.commit();
    expect(await kcatConsumeAtLeast(env.bootstrap, topic, 1, 20_000, 'read_committed')).toHaveLength(1);
  });
});

describe('Producer > Idempotent producer (kafkajs idempotentProduceMessages.spec.js)', () => {
  let topic: string;
  const messages = Array.from({ length: 4 }, (_, i) => ({ key: `key-${i}-${Date.now()}`, value: `${i}` }));

  async function idempotentProducer(): Promise<Producer> {
    topic = uniqueTopic('kafkajs-idempotent');
    await createTopic(env.bootstrap, topic, 1);
    const producer = newProducer({ idempotent: true });
    await producer.connect();
    return producer;
  }

  it('sequential produce() calls > all messages are written to the partition once, in order', async () => {
    const producer = await idempotentProducer();
    for (const m of messages) await producer.send({ acks: -1, topic, messages: [m] });
    const read = await kcatConsumeAtLeast(env.bootstrap, topic, messages.length);
    expect(read.map((m) => m.payload)).toEqual(['0', '1', '2', '3']);
  });

  it('concurrent produce() calls > all messages are written to the partition once', async () => {
    const producer = await idempotentProducer();
    await Promise.all(messages.map((m) => producer.send({ acks: -1, topic, messages: [m] })));
    const read = await kcatConsumeAtLeast(env.bootstrap, topic, messages.length);
    expect(read).toHaveLength(messages.length);
    expect(new Set(read.map((m) => m.payload)).size).toBe(messages.length);
  });
});
