// `await using` closes the producer when its block ends (Symbol.asyncDispose),
// on both hosts; no broker is needed: close() of a producer that sent
// nothing returns at once.

import { describe, expect, it } from 'vitest';
import { KafkaProducer, ProducerClosedError } from 'kafka-producer-ts';

describe.each([
  ['worker', true],
  ['main', false],
])('await using, sender on the %s thread', (_host, worker) => {
  it('closes the producer when the block ends: a later send() fails with ProducerClosedError', async () => {
    let escaped: KafkaProducer | null = null;
    {
      await using producer = new KafkaProducer({ bootstrapServers: '127.0.0.1:1', worker });
      escaped = producer;
    }
    const err = await Promise.resolve(escaped.send({ topic: 't', value: 'v' })).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProducerClosedError);
    expect(String((err as Error).message)).toMatch(/send\(\) after close\(\)/);
  });
});
