// Compile-time checks of kafka-producer-ts/kafkajs (npm run typecheck, never
// executed): code typed with kafkajs's names compiles with only the import
// changed, and what kafkajs's types refuse is refused here too.

import {
  CompressionTypes,
  Kafka,
  KafkaJSProtocolError,
  Partitioners,
  logLevel,
  type Message,
  type Producer,
  type ProducerBatch,
  type RecordMetadata,
  type TopicMessages,
  type Transaction,
} from 'kafka-producer-ts/kafkajs';

interface Order {
  id: string;
  total: number;
}

/** A service's producer as kafkajs users type it. */
class OrderProducer {
  readonly #producer: Producer;

  constructor(brokers: string[] | (() => Promise<string[]>)) {
    const kafka = new Kafka({ clientId: 'orders', brokers, logLevel: logLevel.WARN, retry: { retries: 8, initialRetryTime: 100 } });
    this.#producer = kafka.producer({ createPartitioner: Partitioners.LegacyPartitioner, idempotent: true, transactionalId: 'orders-tx' });
  }

  start(): Promise<void> {
    return this.#producer.connect();
  }

  async sendOrders(orders: Order[]): Promise<RecordMetadata[]> {
    const messages: Message[] = orders.map((o) => ({ key: o.id, value: JSON.stringify(o), headers: { source: ['web', 'api'] }, timestamp: Date.now().toString() }));
    const topicMessages: TopicMessages = { topic: 'orders', messages };
    const batch: ProducerBatch = { topicMessages: [topicMessages], acks: -1, compression: CompressionTypes.GZIP };
    const results = await this.#producer.sendBatch(batch);
    const first: string | undefined = results[0]?.baseOffset;
    void first;
    return results;
  }

  async inTransaction(order: Order): Promise<void> {
    const txn: Transaction = await this.#producer.transaction();
    try {
      await txn.send({ topic: 'orders', messages: [{ value: JSON.stringify(order) }] });
      await txn.sendOffsets({ consumerGroupId: 'g', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '42' }] }] });
      await txn.commit();
    } catch (e) {
      if (e instanceof KafkaJSProtocolError && e.type === 'INVALID_PRODUCER_EPOCH') throw e;
      if (txn.isActive()) await txn.abort();
    }
  }

  stop(): Promise<void> {
    return this.#producer.disconnect();
  }
}
void OrderProducer;

declare const producer: Producer;
const remove: () => void = producer.on(producer.events.CONNECT, (e) => void e.timestamp);
remove();
// @ts-expect-error kafkajs's Message needs a value (null for a tombstone)
void producer.send({ topic: 't', messages: [{ key: 'k' }] });
// @ts-expect-error a message value is a string or a Buffer
void producer.send({ topic: 't', messages: [{ value: 42 }] });
// @ts-expect-error no such event
producer.on('producer.crash', () => {});
