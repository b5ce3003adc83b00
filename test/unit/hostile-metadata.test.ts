// A broker over TCP whose first Metadata answers list only partition 1 of the
// topic (a hole at 0): once this ended the process with an uncaught
// TypeError, on the worker host and on the main thread. Now the answer is
// refused at the boundary (a MalformedResponseError naming the field and the
// broker, logged as the refresh's error), the refresh is asked again, and
// once the broker answers sanely every record is delivered.

import { describe, expect, it } from 'vitest';
import { KafkaProducer, type Logger } from 'kafka-producer-ts';
import { writingBroker } from '../support/fake-broker.js';

const TOPIC = 'holes';
const HOSTILE_ANSWERS = 3;

/** Node 1 (the broker itself) leading partition 1 of TOPIC, and no partition 0. */
function withHole(port: number): object {
  return {
    brokers: [{ nodeId: 1, host: '127.0.0.1', port, rack: null }],
    clusterId: 'fake',
    controllerId: 1,
    topics: [{ errorCode: 0, name: TOPIC, partitions: [{ errorCode: 0, partitionIndex: 1, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }] }],
  };
}

describe.each([
  ['on the worker thread', true],
  ['on the main thread', false],
])('a hostile Metadata answer over TCP, the Sender %s', (_where, worker) => {
  it('is refused with a MalformedResponseError, asked again, and the records are delivered once the answers are sane', async () => {
    const broker = await writingBroker([TOPIC], () => null, (n, port) => (n < HOSTILE_ANSWERS ? withHole(port) : null));
    const warnings: string[] = [];
    const logger: Logger = { debug: () => {}, info: () => {}, warn: (m) => warnings.push(m), error: () => {} };
    const producer = new KafkaProducer({ bootstrapServers: `127.0.0.1:${broker.port}`, worker, retryBackoffMs: 20, retryBackoffMaxMs: 100, maxBlockMs: 10_000, logger });
    try {
      const sent = await Promise.all(['a', 'b', 'c'].map((value) => producer.send({ topic: TOPIC, partition: 0, value })));
      expect(sent.map((m) => m.offset)).toEqual([0, 1, 2]);
      expect(broker.logs.get(TOPIC)?.values).toEqual(['a', 'b', 'c']);
      expect(
        warnings.some((w) => w.includes(`Metadata response from 127.0.0.1:${broker.port}`) && w.includes(`topics[${TOPIC}].partitions[0].partitionIndex`)),
        warnings.join('\n'),
      ).toBe(true);
    } finally {
      await producer.close();
      await broker.close();
    }
  });
});
