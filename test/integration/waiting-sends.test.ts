// Sends that must wait (metadata not known yet, buffer memory spent), against
// the real broker with both hosts: each waits on its own (no head-of-line
// blocking across topics and partitions), partitions added to a topic are
// found, lingering batches give their memory up when the pool runs dry,
// waiting sends are bounded (past the bound a send fails at once), and the
// pacing idioms (writable(), ready(), 'drain') deliver everything.

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, inject, it } from 'vitest';
import { BufferExhaustedError, InvalidRecordError, KafkaProducer, KafkaTimeoutError, type RecordMetadata } from 'kafka-producer-ts';
import { Topics } from '../../scripts/kafka/topics.js';
import { addPartitions, createTopic, uniqueTopic } from '../support/kafka-tools.js';

const env = inject('kafka');

async function countRecords(topic: string, partitions: number): Promise<number> {
  const topics = new Topics(env.bootstrap);
  try {
    return await topics.count(topic, partitions);
  } finally {
    await topics.close();
  }
}

describe.each([
  ['worker thread', true],
  ['main thread', false],
])('waiting sends with the sender on the %s', (_name, worker) => {
  it('a send to a missing topic waits alone: sends to an existing topic not yet in metadata go, each with its own deadline', async () => {
    const existing = uniqueTopic('hol-existing');
    await createTopic(env.bootstrap, existing, 2);
    const missing = uniqueTopic('hol-missing');
    // Auto-creation is off on the test broker: the missing topic never appears.
    const producer = new KafkaProducer({ bootstrapServers: env.bootstrap, worker, maxBlockMs: 2500 });
    try {
      const lost = producer.send({ topic: missing, value: 'never' });
      const lostOutcome = lost.then(
        () => null,
        (err: unknown) => err,
      );
      // Sent after the waiting one, to a topic the producer has not seen yet.
      const ok = await producer.send({ topic: existing, value: 'goes' });
      expect(ok.topic).toBe(existing);
      expect(ok.offset).toBeGreaterThanOrEqual(0);
      // The waiting send is still waiting: nothing settled it.
      expect(producer.metrics().recordsWaiting).toBe(1);
      const err = await lostOutcome;
      expect(err).toBeInstanceOf(KafkaTimeoutError);
      expect(String((err as Error).message)).toMatch(new RegExp(`Topic ${missing} not present in metadata after 2500 ms`));
    } finally {
      await producer.close();
    }
  });

  it('illegal topic names fail at once, before any network call', async () => {
    const producer = new KafkaProducer({ bootstrapServers: env.bootstrap, worker });
    try {
      for (const topic of ['a b/c', 'x'.repeat(250), '..', 'tab\there', 'ünïcode']) {
        const err = await producer.send({ topic, value: 'v' }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(InvalidRecordError);
        expect(String((err as Error).message)).toMatch(/not a legal Kafka topic name/);
      }
      expect(producer.metrics().metadataRefreshes).toBe(0);
    } finally {
      await producer.close();
    }
  });

  it('a partition the topic does not have yet is waited for: added partitions are found, missing ones time out', async () => {
    const topic = uniqueTopic('grow');
    await createTopic(env.bootstrap, topic, 2);
    const producer = new KafkaProducer({ bootstrapServers: env.bootstrap, worker, maxBlockMs: 30_000 });
    const short = new KafkaProducer({ bootstrapServers: env.bootstrap, worker, maxBlockMs: 1500 });
    try {
      await producer.send({ topic, value: 'p1', partition: 1 });
      const toNew = producer.send({ topic, value: 'p3', partition: 3 });
      // Other partitions of the same topic are not held up by it.
      expect((await producer.send({ topic, value: 'p0', partition: 0 })).partition).toBe(0);
      const neverErr = await short.send({ topic, value: 'p9', partition: 9 }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(neverErr).toBeInstanceOf(KafkaTimeoutError);
      expect(String((neverErr as Error).message)).toMatch(/Partition 9 of topic .* with partition count 2 is not present in metadata after 1500 ms/);
      await addPartitions(env, topic, 4);
      const md = await toNew;
      expect(md.partition).toBe(3);
      expect(md.offset).toBe(0);
    } finally {
      await Promise.all([producer.close(), short.close()]);
    }
  });

  it('partition and timestamp null mean "not set", as in the Java client', async () => {
    const topic = uniqueTopic('nulls');
    await createTopic(env.bootstrap, topic, 3);
    const producer = new KafkaProducer({ bootstrapServers: env.bootstrap, worker });
    try {
      const before = Date.now();
      const md = await producer.send({ topic, value: 'v', partition: null, timestamp: null, key: null });
      expect(md.partition).toBeGreaterThanOrEqual(0);
      expect(md.timestamp).toBeGreaterThanOrEqual(before);
    } finally {
      await producer.close();
    }
  });

  it('when buffer memory runs out, lingering batches are sent at once instead of holding it', async () => {
    const topic = uniqueTopic('exhausted');
    await createTopic(env.bootstrap, topic, 5);
    // Four open batches fill the pool and would linger for ten minutes; the
    // fifth partition's record needs a fifth batch within maxBlockMs.
    const producer = new KafkaProducer({
      bootstrapServers: env.bootstrap,
      worker,
      batchSize: 16_384,
      bufferMemory: 4 * 16_384,
      lingerMs: 600_000,
      deliveryTimeoutMs: 700_000,
      maxBlockMs: 5000,
    });
    try {
      await producer.partitionsFor(topic);
      const first = [0, 1, 2, 3].map((partition) => producer.send({ topic, value: `p${partition}`, partition }));
      const fifth = producer.send({ topic, value: 'p4', partition: 4 });
      // The four went without their linger: their memory came free for the fifth.
      expect((await Promise.all(first)).map((m) => m.partition)).toEqual([0, 1, 2, 3]);
      await producer.flush();
      expect((await fifth).partition).toBe(4);
    } finally {
      await producer.close();
    }
  });

  it('waiting sends are bounded by bufferMemory bytes: past it a send fails at once; 2**31-1 bytes with batchSize 1 still constructs', async () => {
    const topic = uniqueTopic('bounded');
    await createTopic(env.bootstrap, topic, 1);
    const producer = new KafkaProducer({ bootstrapServers: env.bootstrap, worker, batchSize: 16_384, bufferMemory: 65_536 });
    try {
      await producer.partitionsFor(topic);
      const value = Buffer.alloc(1024, 1);
      const n = 1000;
      const outcomes = await Promise.allSettled(Array.from({ length: n }, () => producer.send({ topic, value })));
      const refused = outcomes.filter((o) => o.status === 'rejected');
      const delivered = outcomes.filter((o) => o.status === 'fulfilled').length;
      // About 64 KiB in batches plus 64 KiB waiting go; the rest is refused at once.
      expect(refused.length).toBeGreaterThan(0);
      expect(delivered).toBeGreaterThanOrEqual(60);
      for (const o of refused) {
        expect(o.status === 'rejected' && o.reason).toBeInstanceOf(BufferExhaustedError);
        expect(o.status === 'rejected' && String(o.reason.message)).toMatch(/pace sends with await producer.ready\(\)/);
      }
      expect(await countRecords(topic, 1)).toBe(delivered);
    } finally {
      await producer.close();
    }
    const huge = new KafkaProducer({ bootstrapServers: env.bootstrap, worker, bufferMemory: 2 ** 31 - 1, batchSize: 1 });
    try {
      expect((await huge.send({ topic, value: 'tiny batches' })).partition).toBe(0);
    } finally {
      await huge.close();
    }
  });

  it('writable(), ready() and drain pace a fast source so that every record is delivered within a small buffer', async () => {
    const topic = uniqueTopic('paced');
    await createTopic(env.bootstrap, topic, 3);
    const producer = new KafkaProducer({ bootstrapServers: env.bootstrap, worker, batchSize: 16_384, bufferMemory: 65_536 });
    let maxWaitingBytes = 0;
    let drains = 0;
    producer.on('drain', () => drains++);
    try {
      const n = 3000;
      async function* records() {
        for (let i = 0; i < n; i++) {
          maxWaitingBytes = Math.max(maxWaitingBytes, producer.metrics().waitingBytes);
          yield { key: `k${i % 7}`, value: Buffer.alloc(1024, i % 251) };
        }
      }
      await pipeline(Readable.from(records()), producer.writable({ topic }));
      expect(await countRecords(topic, 3)).toBe(n);
      // The stream waited for memory at least once, and the waiting bytes stayed within the bound.
      expect(drains).toBeGreaterThan(0);
      expect(maxWaitingBytes).toBeLessThanOrEqual(65_536);

      const results: Promise<RecordMetadata>[] = [];
      for (let i = 0; i < n; i++) {
        if (producer.needsDrain) await producer.ready();
        results.push(Promise.resolve(producer.send({ topic, value: Buffer.alloc(1024, 7) })));
      }
      expect((await Promise.all(results)).length).toBe(n);
      expect(await countRecords(topic, 3)).toBe(2 * n);
    } finally {
      await producer.close();
    }
  });

  it('a record the broker refuses destroys the stream with that error, once, and the records written before it are delivered', async () => {
    const topic = uniqueTopic('stream-refused');
    await createTopic(env.bootstrap, topic, 1, { 'max.message.bytes': '4000' });
    const producer = new KafkaProducer({ bootstrapServers: env.bootstrap, worker, lingerMs: 0 });
    const announced: Error[] = [];
    producer.on('deliveryError', (err) => announced.push(err));
    try {
      const records = [...Array.from({ length: 20 }, (_, i) => ({ value: `small ${i}` })), { value: Buffer.alloc(6000, 1) }];
      const err = await pipeline(Readable.from(records), producer.writable({ topic })).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/too large|MESSAGE_TOO_LARGE/i);
      await producer.flush();
      expect(announced).toEqual([err]);
      expect(producer.metrics().recordsFailed).toBe(1);
      expect(await countRecords(topic, 1)).toBe(20);
    } finally {
      await producer.close();
    }
  });

  it('a record the stream cannot send destroys it with that error', async () => {
    const producer = new KafkaProducer({ bootstrapServers: env.bootstrap, worker });
    try {
      const err = await pipeline(Readable.from([{ value: 'no topic anywhere' }]), producer.writable()).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InvalidRecordError);
      // A string or a Buffer is not a record: refused, not sent without a value.
      for (const chunk of ['a string', Buffer.from('bytes')]) {
        const wrong = await pipeline(Readable.from([chunk]), producer.writable({ topic: 'any' })).then(
          () => null,
          (e: unknown) => e,
        );
        expect(wrong).toBeInstanceOf(InvalidRecordError);
        expect((wrong as Error).message).toMatch(/takes record objects/);
      }
    } finally {
      await producer.close();
    }
  });
});
