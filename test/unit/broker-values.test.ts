// Values a broker sends that cannot be right, through the whole producer on
// the in-process fake cluster: a Metadata answer with a hole in a topic's
// partitions, or an index near 2^31. The answer is refused at the boundary
// with a MalformedResponseError naming the API, the field and the broker; the
// refresh is retried with backoff, sends wait and end, within maxBlockMs, in
// a KafkaTimeoutError whose cause is that error. Nothing throws uncaught,
// nothing walks a sparse array of two billion slots.

import { afterEach, describe, expect, it } from 'vitest';
import type { KafkaProducer } from '../../src/producer.js';
import { KafkaTimeoutError, MalformedResponseError } from '../../src/errors.js';
import { FakeCluster } from '../support/fake-cluster.js';
import { producerOver, type FakeHost } from '../support/fake-producer.js';

const TOPIC = 't';
const open: KafkaProducer[] = [];

afterEach(async () => {
  for (const p of open.splice(0)) await p.close({ timeoutMs: 0 });
});

type MetadataAnswer = ReturnType<FakeCluster['metadataResponse']>;

/** A fake cluster whose Metadata answers go through `hostile` while `bad` says so. */
class HostileMetadata extends FakeCluster {
  bad = true;
  constructor(readonly hostile: (res: MetadataAnswer) => void) {
    super([{ name: TOPIC, partitions: 2 }]);
  }
  override metadataResponse(topics: readonly string[]): MetadataAnswer {
    const res = super.metadataResponse(topics);
    if (this.bad) this.hostile(res);
    return res;
  }
}

/** Partition 0 left out: the topic lists partition 1 only. */
const hole = (res: MetadataAnswer) => {
  for (const t of res.topics) t.partitions = t.partitions.filter((p) => p.partitionIndex !== 0);
};
/** The last partition's index made 2^31-2: a partition count of 2^31-1. */
const huge = (res: MetadataAnswer) => {
  for (const t of res.topics) {
    const last = t.partitions.at(-1);
    if (last) last.partitionIndex = 2 ** 31 - 2;
  }
};

const HOSTS: FakeHost[] = ['main', 'port', 'thread'];
const CASES: [string, (res: MetadataAnswer) => void, RegExp][] = [
  ['a hole at partition 0', hole, /partitions.*not 0\.\.1|partition 0 missing|partitionIndex/],
  ['a partition index of 2^31-2', huge, /partitionIndex/],
];

describe.each(HOSTS)('a hostile Metadata answer, the Sender on %s', (host) => {
  it.each(CASES)('%s: refused as a MalformedResponseError, sends end within maxBlockMs, the producer goes on once the answers are sane', async (_what, hostile, field) => {
    const cluster = new HostileMetadata(hostile);
    const producer = producerOver(cluster, host, { lingerMs: 0, maxBlockMs: 2000, retryBackoffMs: 100, retryBackoffMaxMs: 400 });
    open.push(producer);
    const outcome: { err: Error | null; settled: boolean } = { err: null, settled: false };
    producer.send({ topic: TOPIC, value: 'v0' }, (err) => {
      outcome.err = err;
      outcome.settled = true;
    });
    const start = cluster.clock.now();
    while (!outcome.settled && cluster.clock.now() - start < 10_000) await cluster.clock.advance(50);
    expect(outcome.settled, 'the send settled').toBe(true);
    expect(cluster.clock.now() - start).toBeLessThanOrEqual(2000 + 100);
    expect(outcome.err).toBeInstanceOf(KafkaTimeoutError);
    const cause = (outcome.err as Error).cause;
    expect(cause).toBeInstanceOf(MalformedResponseError);
    expect((cause as MalformedResponseError).api).toBe('Metadata');
    expect((cause as MalformedResponseError).field).toMatch(field);
    // Asked again with backoff, not once and not in a loop.
    expect(cluster.metadataCalls).toBeGreaterThanOrEqual(3);
    expect(cluster.metadataCalls).toBeLessThanOrEqual(2000 / 100 + 2);
    // Sane answers again: the producer delivers.
    cluster.bad = false;
    let acked = false;
    producer.send({ topic: TOPIC, partition: 1, value: 'v1' }, (err) => {
      acked = err === null;
    });
    const again = cluster.clock.now();
    while (!acked && cluster.clock.now() - again < 5000) await cluster.clock.advance(50);
    expect(acked).toBe(true);
    expect(cluster.partition(TOPIC, 1).values).toEqual(['v1']);
  }, 20_000);
});
