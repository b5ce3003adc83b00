// Consume-transform-produce, exactly once: a kafkajs consumer reads the input
// topic, and for each batch our transactional producer writes the
// transformed records and the consumer group's next offsets in one
// transaction. Either both count or neither does, so a crash between them
// neither loses nor repeats a record for read_committed readers of the
// output. (kafkajs's consumer is the consumer Node.js users have; this
// package is a producer.)
//
//   KAFKA_BROKERS=localhost:9092 INPUT_TOPIC=orders OUTPUT_TOPIC=orders-upper GROUP_ID=uppercaser \
//     node dist/examples/consume-transform-produce.js
//
// STOP_AFTER=N: stop (and close both) after N records, printing "processed N".

import { Kafka, logLevel, type EachBatchPayload } from 'kafkajs';
import { KafkaProducer } from 'kafka-producer-ts';

const brokers = (process.env.KAFKA_BROKERS ?? 'localhost:9092').split(',');
const input = process.env.INPUT_TOPIC ?? 'orders';
const output = process.env.OUTPUT_TOPIC ?? 'orders-upper';
const groupId = process.env.GROUP_ID ?? 'uppercaser';
const stopAfter = Number(process.env.STOP_AFTER ?? Infinity);

const consumer = new Kafka({ clientId: groupId, brokers, logLevel: logLevel.WARN }).consumer({ groupId });
// One transactional id per input partition set is the classic rule; one instance here needs one id.
const producer = new KafkaProducer({ bootstrapServers: brokers, transactionalId: `${groupId}-${input}` });

function transform(value: Buffer | null): string | null {
  return value === null ? null : value.toString('utf8').toUpperCase();
}

let processed = 0;
let stopping = false;

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await consumer.disconnect();
  await producer.close();
  console.log(`processed ${processed}`);
}

async function eachBatch({ batch }: EachBatchPayload): Promise<void> {
  if (stopping || batch.messages.length === 0) return;
  producer.beginTransaction();
  try {
    // Not awaited one by one: commitTransaction() flushes them and fails if any failed.
    for (const m of batch.messages) producer.send({ topic: output, key: m.key, value: transform(m.value), headers: { 'source-offset': m.offset } });
    const next = Number(batch.lastOffset()) + 1;
    await producer.sendOffsetsToTransaction([{ topic: batch.topic, partition: batch.partition, offset: next }], { groupId });
    await producer.commitTransaction();
  } catch (err) {
    await producer.abortTransaction();
    throw err; // kafkajs retries the batch from the last committed offset
  }
  processed += batch.messages.length;
  if (processed >= stopAfter) setImmediate(() => void stop());
}

await producer.initTransactions();
await consumer.connect();
await consumer.subscribe({ topics: [input], fromBeginning: true });
await consumer.run({ autoCommit: false, eachBatch });
process.once('SIGTERM', () => void stop());
