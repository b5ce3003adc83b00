// Transactions through the public API against the real broker, with the
// sender on the worker thread and on the main thread. kcat with
// read_committed (librdkafka) judges what was committed; Kafka's own
// consumer-groups tool reads the offsets a transaction committed. Every test
// checks the transactions protocol the producer chose: v2 (KIP-890) on Kafka
// 4.x, whose freshly formatted clusters finalize transaction.version 2, v1
// on 3.x.

import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  CHANNELS,
  KafkaProducer,
  ProducerFencedError,
  TransactionAbortedError,
  TransactionAbortableError,
  TransactionStateError,
  type ProduceContext,
  type ProducerOptions,
} from 'kafka-producer-ts';
import { stopRecording, traceRecorder } from '../support/diagnostics-recorders.js';
import { createTopic, groupOffsets, kcatConsume, kcatConsumeAtLeast, uniqueTopic } from '../support/kafka-tools.js';

const env = inject('kafka');
const producers: KafkaProducer[] = [];

/**
 * The protocol the broker under test offers: Kafka 4.x (apache/kafka:4.x
 * too) finalizes transaction.version 2 on a new cluster, 3.x has no such
 * feature. An external cluster (KAFKA_BROKERS) is named by KAFKA_VERSION.
 */
const KAFKA_MAJOR = Number(/(\d+)\.\d+/.exec(/\d+\.\d+/.test(env.version) ? env.version : (process.env.KAFKA_VERSION ?? '4.0'))?.[1]);
const EXPECTED_TV = KAFKA_MAJOR >= 4 ? 2 : 1;

/** initTransactions(), then the check that the producer speaks the protocol the broker offers. */
async function init(p: KafkaProducer): Promise<KafkaProducer> {
  await p.initTransactions();
  expect(p.metrics().transactionVersion, `transactions protocol on Kafka ${env.version}`).toBe(EXPECTED_TV);
  return p;
}

function producer(options: Partial<ProducerOptions> = {}): KafkaProducer {
  const p = new KafkaProducer({ bootstrapServers: env.bootstrap, transactionalId: uniqueTopic('txn-id'), lingerMs: 1, ...options });
  producers.push(p);
  return p;
}

afterEach(async () => {
  stopRecording();
  await Promise.all(producers.splice(0).map((p) => p.close({ timeoutMs: 10_000 })));
});

/** Values as read_committed sees them, once `count` are there (a transaction's markers land just after EndTxn). */
async function committedValues(topic: string, count: number): Promise<string[]> {
  const messages = await kcatConsumeAtLeast(env.bootstrap, topic, count, 20_000, 'read_committed');
  return messages.map((m) => m.payload ?? '').sort();
}

describe.each([
  ['worker', true],
  ['main', false],
])('a transactional producer with the sender on the %s thread', (host, worker) => {
  it('a committed transaction is visible to read_committed, an aborted one is not', async () => {
    const topic = uniqueTopic('txn-commit');
    await createTopic(env.bootstrap, topic, 2);
    const produces = traceRecorder<ProduceContext>(CHANNELS.produce);
    const p = producer({ worker });
    await init(p);

    p.beginTransaction();
    const committed = ['c1', 'c2', 'c3'].map((value, i) => p.send({ topic, partition: i % 2, value }));
    await p.commitTransaction();
    await Promise.all(committed);

    // Written to the log (flushed), then aborted: read_uncommitted sees them, read_committed must not.
    p.beginTransaction();
    const written = ['a1', 'a2'].map((value, i) => p.send({ topic, partition: i % 2, value }));
    await p.flush();
    await Promise.all(written);
    // Sent right before the abort: failed with TransactionAbortedError if the abort
    // found it unsent (the wire was idle, so it may have gone already); either way
    // it is aborted, which the read_committed check below judges.
    const atAbort = p.send({ topic, value: 'at-abort' }).then(
      () => 'written',
      (err: unknown) => err,
    );
    await p.abortTransaction();
    const outcome = await atAbort;
    expect(outcome === 'written' || outcome instanceof TransactionAbortedError, `at-abort: ${String(outcome)}`).toBe(true);

    p.beginTransaction();
    p.send({ topic, value: 'c4' });
    await p.commitTransaction();

    expect(await committedValues(topic, 4)).toEqual(['c1', 'c2', 'c3', 'c4']);
    const everything = (await kcatConsume(env.bootstrap, topic)).map((m) => m.payload ?? '').sort();
    expect(everything).toEqual(['a1', 'a2', ...(outcome === 'written' ? ['at-abort'] : []), 'c1', 'c2', 'c3', 'c4']);
    // Transactions v1 (the producer adds partitions): Produce v11 at most, never v12, which tells the broker v2; v2: v12.
    const versions = new Set(produces.filter(([e, c]) => e === 'asyncEnd' && c.partitions.some((x) => x.topic === topic)).map(([, c]) => c.apiVersion));
    expect([...versions]).toEqual([EXPECTED_TV === 2 ? 12 : 11]);
  });

  it('calls out of order are refused with TransactionStateError', async () => {
    const topic = uniqueTopic('txn-order');
    await createTopic(env.bootstrap, topic, 1);
    const p = producer({ worker });
    await expect(p.send({ topic, value: 'x' })).rejects.toThrow(/send\(\) before initTransactions\(\)/);
    expect(() => p.beginTransaction()).toThrow(TransactionStateError);
    await expect(p.commitTransaction()).rejects.toThrow(/commitTransaction\(\) is not allowed while the transactional producer is not initialized/);
    await init(p);
    await expect(p.initTransactions()).rejects.toBeInstanceOf(TransactionStateError);
    await expect(p.send({ topic, value: 'x' })).rejects.toThrow(/send\(\) outside a transaction/);
    await expect(p.abortTransaction()).rejects.toBeInstanceOf(TransactionStateError);
    p.beginTransaction();
    expect(() => p.beginTransaction()).toThrow(/beginTransaction\(\) is not allowed while the transactional producer is in a transaction/);
    await p.commitTransaction();

    const plain = new KafkaProducer({ bootstrapServers: env.bootstrap, worker });
    producers.push(plain);
    await expect(plain.initTransactions()).rejects.toThrow(/initTransactions\(\) needs a transactional producer: set the transactionalId option/);
    expect(() => plain.beginTransaction()).toThrow(TransactionStateError);
  });

  it('a second producer with the same transactionalId fences the first: ProducerFencedError, and its open transaction never becomes visible', async () => {
    const topic = uniqueTopic(`txn-fenced-${host}`);
    await createTopic(env.bootstrap, topic, 1);
    const transactionalId = uniqueTopic('txn-shared');
    const first = producer({ transactionalId, worker });
    const fatal: Error[] = [];
    first.on('fatalError', (err) => fatal.push(err));
    await init(first);
    first.beginTransaction();
    await first.send({ topic, value: 'zombie' });

    const second = producer({ transactionalId });
    await init(second);
    second.beginTransaction();
    await second.send({ topic, value: 'successor' });
    await second.commitTransaction();

    const commit = first.commitTransaction();
    await expect(commit).rejects.toBeInstanceOf(ProducerFencedError);
    await expect(commit).rejects.toThrow(new RegExp(`another producer with transactionalId "${transactionalId}" called initTransactions\\(\\) after this one`));
    expect(fatal[0]).toBeInstanceOf(ProducerFencedError);
    expect(() => first.beginTransaction()).toThrow(ProducerFencedError);
    await expect(first.send({ topic, value: 'late' })).rejects.toBeInstanceOf(ProducerFencedError);

    expect(await committedValues(topic, 1)).toEqual(['successor']);
    // The zombie's record is in the log, aborted by the coordinator when the second producer started.
    expect((await kcatConsume(env.bootstrap, topic)).map((m) => m.payload)).toEqual(['zombie', 'successor']);
  });

  it('a record that fails makes commit reject with TransactionAbortableError; after the abort the next transaction commits', async () => {
    const topic = uniqueTopic(`txn-failed-${host}`);
    await createTopic(env.bootstrap, topic, 1, { 'max.message.bytes': '2000' });
    const p = producer({ worker });
    await init(p);
    p.beginTransaction();
    const tooLarge = p.send({ topic, value: 'x'.repeat(5000) });
    await expect(tooLarge).rejects.toThrow(/MESSAGE_TOO_LARGE/);
    await expect(p.send({ topic, value: 'after' })).rejects.toBeInstanceOf(TransactionAbortableError);
    const commit = p.commitTransaction();
    await expect(commit).rejects.toBeInstanceOf(TransactionAbortableError);
    await expect(commit).rejects.toThrow(/call abortTransaction\(\)/);
    await p.abortTransaction();
    p.beginTransaction();
    await p.send({ topic, value: 'next' });
    await p.commitTransaction();
    expect(await committedValues(topic, 1)).toEqual(['next']);
  });
});

describe('consecutive transactions on one producer', () => {
  it('three commits in a row, then an abort: read_committed sees exactly the committed records (under v2 each EndTxn bumped the epoch)', async () => {
    const topic = uniqueTopic('txn-consecutive');
    await createTopic(env.bootstrap, topic, 3);
    const p = await init(producer());
    for (const n of [1, 2, 3]) {
      p.beginTransaction();
      await Promise.all([0, 1, 2].map((partition) => p.send({ topic, partition, value: `t${n}-p${partition}` })));
      await p.commitTransaction();
    }
    p.beginTransaction();
    await Promise.all([0, 1, 2].map((partition) => p.send({ topic, partition, value: `aborted-p${partition}` })));
    await p.abortTransaction();
    // A transaction after the abort: its markers show the aborted one is settled too, so read_committed can read past it.
    p.beginTransaction();
    await p.send({ topic, partition: 0, value: 't5-p0' });
    await p.commitTransaction();

    const expected = [1, 2, 3].flatMap((n) => [0, 1, 2].map((partition) => `t${n}-p${partition}`)).concat('t5-p0').sort();
    expect(await committedValues(topic, expected.length)).toEqual(expected);
    expect(await kcatConsume(env.bootstrap, topic)).toHaveLength(expected.length + 3);
    expect(p.metrics().transactionVersion).toBe(EXPECTED_TV);
  });
});

describe('transactions across many partitions', () => {
  it('one transaction over 3 topics × 6 partitions commits all or nothing', async () => {
    const topics = [uniqueTopic('txn-many-a'), uniqueTopic('txn-many-b'), uniqueTopic('txn-many-c')];
    await Promise.all(topics.map((t) => createTopic(env.bootstrap, t, 6)));
    const p = producer();
    await init(p);
    const sendAll = (label: string) =>
      Promise.all(topics.flatMap((topic) => Array.from({ length: 6 }, (_, partition) => [0, 1].map((n) => p.send({ topic, partition, value: `${label}-${partition}-${n}` }))).flat()));

    p.beginTransaction();
    await sendAll('aborted');
    await p.abortTransaction();
    p.beginTransaction();
    const committed = await sendAll('committed');
    await p.commitTransaction();

    expect(committed).toHaveLength(36);
    for (const topic of topics) {
      const values = await committedValues(topic, 12);
      expect(values).toHaveLength(12);
      expect(values.every((v) => v.startsWith('committed-'))).toBe(true);
      const partitions = new Set((await kcatConsume(env.bootstrap, topic, undefined, 'read_committed')).map((m) => m.partition));
      expect(partitions.size).toBe(6);
      // The aborted records are in the log, each partition's: read_uncommitted sees all 24.
      expect(await kcatConsume(env.bootstrap, topic)).toHaveLength(24);
    }
  });
});

describe('a fenced producer that sends on', () => {
  it('its record fails (INVALID_PRODUCER_EPOCH), commit is abortable, and the abort learns it was fenced', async () => {
    const topic = uniqueTopic('txn-zombie');
    await createTopic(env.bootstrap, topic, 1);
    const transactionalId = uniqueTopic('txn-zombie-id');
    const first = producer({ transactionalId });
    await init(first);
    first.beginTransaction();
    await first.send({ topic, value: 'zombie-1' });
    await init(producer({ transactionalId }));

    // The partition leader refuses the old epoch; only the coordinator can say whether that is a timeout or a fence (KIP-588).
    await expect(first.send({ topic, value: 'zombie-2' })).rejects.toThrow(/INVALID_PRODUCER_EPOCH/);
    await expect(first.commitTransaction()).rejects.toBeInstanceOf(TransactionAbortableError);
    await expect(first.abortTransaction()).rejects.toBeInstanceOf(ProducerFencedError);
    await expect(first.send({ topic, value: 'zombie-3' })).rejects.toBeInstanceOf(ProducerFencedError);
  });
});

describe('offsets in a transaction', () => {
  it.skipIf(!env.libsDir)('sendOffsetsToTransaction commits the group\'s offsets only when the transaction commits', async () => {
    const source = uniqueTopic('txn-source');
    const sink = uniqueTopic('txn-sink');
    const groupId = uniqueTopic('txn-group');
    await Promise.all([createTopic(env.bootstrap, source, 2), createTopic(env.bootstrap, sink, 1)]);
    const p = producer();
    await init(p);

    p.beginTransaction();
    await p.send({ topic: sink, value: 'aborted' });
    await p.sendOffsetsToTransaction([{ topic: source, partition: 0, offset: 5 }], { groupId });
    await p.abortTransaction();
    expect(await groupOffsets(env, groupId)).toEqual(new Map());

    p.beginTransaction();
    await p.send({ topic: sink, value: 'committed' });
    await p.sendOffsetsToTransaction(
      [
        { topic: source, partition: 0, offset: 7 },
        { topic: source, partition: 1, offset: 3, metadata: 'from the test' },
      ],
      { groupId },
    );
    await p.commitTransaction();

    let offsets = new Map<string, number>();
    for (let i = 0; i < 20 && offsets.size < 2; i++) {
      offsets = await groupOffsets(env, groupId);
      if (offsets.size < 2) await new Promise((r) => setTimeout(r, 250));
    }
    expect(offsets).toEqual(new Map([[`${source}-0`, 7], [`${source}-1`, 3]]));
    expect(await committedValues(sink, 1)).toEqual(['committed']);
  });
});

describe('close()', () => {
  it('close() aborts a transaction still open', async () => {
    const topic = uniqueTopic('txn-close');
    await createTopic(env.bootstrap, topic, 1);
    const p = producer();
    await init(p);
    p.beginTransaction();
    await p.send({ topic, value: 'open-at-close' });
    await p.close();
    // read_committed reads only up to the first open transaction: 'later' shows only because close() aborted the first one (its timeout is a minute away).
    const next = producer();
    await init(next);
    next.beginTransaction();
    await next.send({ topic, value: 'later' });
    await next.commitTransaction();
    expect(await committedValues(topic, 1)).toEqual(['later']);
  });

  it('close() during a commit lets the commit complete instead of cutting its EndTxn (issue 21 finding 5)', async () => {
    const topic = uniqueTopic('txn-close-commit');
    await createTopic(env.bootstrap, topic, 1);
    const p = producer();
    await init(p);
    p.beginTransaction();
    p.send({ topic, value: 'committed-at-close' });
    const commit = p.commitTransaction();
    const closed = p.close();
    await commit;
    await closed;
    expect(await committedValues(topic, 1)).toEqual(['committed-at-close']);
  });
});

describe('overlapping transaction calls (issue 21 finding 4)', () => {
  it('commitTransaction() while sendOffsetsToTransaction() runs is refused; awaited in turn, the transaction commits', async () => {
    const topic = uniqueTopic('txn-overlap');
    const group = uniqueTopic('txn-overlap-group');
    await createTopic(env.bootstrap, topic, 1);
    const p = producer();
    await init(p);
    p.beginTransaction();
    p.send({ topic, value: 'with-offsets' });
    const offsets = p.sendOffsetsToTransaction([{ topic, partition: 0, offset: 1 }], { groupId: group });
    await expect(p.commitTransaction()).rejects.toBeInstanceOf(TransactionStateError);
    await offsets;
    await p.commitTransaction();
    expect(await committedValues(topic, 1)).toEqual(['with-offsets']);
  });
});
