// Compile-time checks of the types as published: npm run check:package
// compiles this file in a new project against the packed tarball (where
// tsconfig.build.json's stripInternal has left internal members out). The
// repository's own typecheck leaves it out: there the source is visible.

import { KafkaClientError, KafkaProducer, type RecordMetadata, type SendResult } from 'kafka-producer-ts';

export async function published(): Promise<RecordMetadata> {
  await using producer = new KafkaProducer({ bootstrapServers: '127.0.0.1:9092' });
  const result: SendResult = producer.send({ topic: 't', value: 'v' });
  const where: [string, number, number] = [result.topic, result.partition, result.timestamp];
  void where;
  // @ts-expect-error settling a result is the producer's business
  result.settle(null, 123, -1);
  // @ts-expect-error the partition is read-only to users
  result.partition = 7;
  // @ts-expect-error failing a result is the producer's business
  result.failNow(new Error('x'));
  try {
    return await result;
  } catch (err) {
    // @ts-expect-error a misspelt code is no ErrorCode
    if (err instanceof KafkaClientError && err.code === 'KPT_ERR_TIMEUOT') throw err;
    if (err instanceof KafkaClientError && err.retriable) return await producer.send({ topic: 't', value: 'v' });
    throw err;
  }
}
