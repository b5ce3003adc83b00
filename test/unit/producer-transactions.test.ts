// The transactional producer end to end without a broker: KafkaProducer, its
// Sender on this thread, and the fake cluster with a scripted transaction
// coordinator (test/support/scripted-coordinator.ts), on a clock the test
// moves. The numbered findings are those of issue 21 (exactly-once).

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProducerOptions } from '../../src/config.js';
import { KafkaResponseError, KafkaTimeoutError, TransactionAbortableError, TransactionFatalError, TransactionStateError, UnsupportedVersionError } from '../../src/errors.js';
import { KafkaProducer } from '../../src/producer.js';
import { SENDER_DEPS } from '../../src/sender/host.js';
import { addPartitionsAnswer, endTxnAnswer, ScriptedCoordinatorCluster } from '../support/scripted-coordinator.js';

const TOPIC = 't';
const open: KafkaProducer[] = [];

afterEach(async () => {
  for (const p of open.splice(0)) await p.close({ timeoutMs: 0 });
});

/** The Sender on this thread, or behind a MessagePort (structured clones, as the worker host: errors and their causes cross as data). */
let messagePort = false;

async function setup(options: Partial<ProducerOptions> = {}) {
  const cluster = new ScriptedCoordinatorCluster([{ name: TOPIC, partitions: 2 }]);
  const producer = new KafkaProducer({
    bootstrapServers: '127.0.0.1:9001',
    worker: false,
    transactionalId: 'tx',
    lingerMs: 0,
    requestTimeoutMs: 1000,
    deliveryTimeoutMs: 5000,
    maxBlockMs: 3000,
    retryBackoffMs: 100,
    retryBackoffMaxMs: 400,
    ...options,
    [SENDER_DEPS]: {
      transport: (config: { requestTimeoutMs: number }) => {
        cluster.requestTimeoutMs = config.requestTimeoutMs;
        return cluster;
      },
      clock: cluster.clock,
      messagePort,
    },
  } as ProducerOptions);
  open.push(producer);
  const errors: Error[] = [];
  producer.on('fatalError', (e) => errors.push(e));
  /** Moves time until `p` settles (or 60 s of the clock passed); its outcome, as a result or an error. */
  const run = async <T>(p: PromiseLike<T>): Promise<T | Error> => {
    let done = false;
    const out = Promise.resolve(p).then(
      (v) => v,
      (e: Error) => e,
    );
    void out.then(() => (done = true));
    const end = cluster.clock.now() + 60_000;
    while (!done && cluster.clock.now() < end) await cluster.clock.advance(10);
    return out;
  };
  await run(producer.initTransactions());
  await run(producer.partitionsFor(TOPIC));
  return { cluster, producer, fatalErrors: errors, run };
}

describe.each([
  ['on this thread', false],
  ['behind a MessagePort', true],
])('the transactional producer over a scripted coordinator, its Sender %s', (_where, port) => {
  beforeEach(() => {
    messagePort = port;
  });

  it('commits: AddPartitionsToTxn, the records, then EndTxn(commit)', async () => {
    const { cluster, producer, run } = await setup();
    producer.beginTransaction();
    const sent = producer.send({ topic: TOPIC, partition: 0, value: 'a' });
    expect(await run(producer.commitTransaction())).toBeUndefined();
    expect(await sent).toMatchObject({ partition: 0 });
    expect(cluster.partition(TOPIC, 0).values).toEqual(['a']);
    expect(cluster.endedTxns).toEqual([true]);
  });

  it('finding 3: a commit whose answer is lost past maxBlockMs rejects with KafkaTimeoutError; commitTransaction() again completes it (the coordinator answers NONE), abort is refused meanwhile', async () => {
    const { cluster, producer, run } = await setup();
    cluster.script('EndTxn', () => 'lost', () => 'lost', () => 'lost', () => endTxnAnswer(0));
    producer.beginTransaction();
    producer.send({ topic: TOPIC, partition: 0, value: 'a' });
    expect(await run(producer.commitTransaction())).toBeInstanceOf(KafkaTimeoutError);
    await expect(producer.abortTransaction()).rejects.toBeInstanceOf(TransactionStateError);
    expect(await run(producer.commitTransaction())).toBeUndefined();
    const ends = cluster.calls('EndTxn');
    expect(ends.length).toBe(4);
    expect(new Set(ends.map((e) => e.committed))).toEqual(new Set([true]));
    producer.beginTransaction();
  });

  it('finding 5: close() during a commit waits for its EndTxn instead of cutting it', async () => {
    const { cluster, producer, run } = await setup();
    cluster.delays.set('EndTxn', 500);
    producer.beginTransaction();
    producer.send({ topic: TOPIC, partition: 0, value: 'a' });
    const commit = producer.commitTransaction();
    await cluster.clock.advance(50);
    expect(cluster.calls('EndTxn')).toHaveLength(1);
    const closed = producer.close();
    expect(await run(commit)).toBeUndefined();
    await run(closed);
    expect(cluster.endedTxns).toEqual([true]);
  });

  it.each([3, 7])('finding 5: close() after a commit timed out completes that commit, never aborts it (%i answers lost: the coordinator is back within one more maxBlockMs, or two)', async (lost) => {
    const { cluster, producer, run } = await setup();
    // A coordinator that committed: an abort now would be refused (INVALID_TXN_STATE).
    cluster.script('EndTxn', ...Array.from({ length: lost }, () => () => 'lost'), (b) => endTxnAnswer(b.committed ? 0 : 48));
    producer.beginTransaction();
    producer.send({ topic: TOPIC, partition: 0, value: 'a' });
    expect(await run(producer.commitTransaction())).toBeInstanceOf(KafkaTimeoutError);
    await run(producer.close());
    expect(cluster.calls('EndTxn').map((e) => e.committed)).toEqual(Array.from({ length: lost + 1 }, () => true));
    expect(cluster.endedTxns).toEqual([true]);
  });

  it('close() aborts an open transaction: none is left open on the coordinator', async () => {
    const { cluster, producer, run } = await setup();
    producer.beginTransaction();
    const sent = producer.send({ topic: TOPIC, partition: 0, value: 'a' });
    await run(sent);
    await run(producer.close());
    expect(cluster.endedTxns).toEqual([false]);
  });

  it('finding 6: a send refused while the commit runs fails only itself', async () => {
    const { cluster, producer, run } = await setup();
    producer.beginTransaction();
    producer.send({ topic: TOPIC, partition: 0, value: 'a' });
    const commit = producer.commitTransaction();
    const refused = producer.send({ topic: TOPIC, partition: 1, value: 'late' });
    expect(await run(refused)).toBeInstanceOf(TransactionStateError);
    expect(await run(commit)).toBeUndefined();
    expect(cluster.endedTxns).toEqual([true]);
    expect(cluster.partition(TOPIC, 1).values).toEqual([]);
  });

  it.each([
    [48, 'INVALID_TXN_STATE'],
    [49, 'INVALID_PRODUCER_ID_MAPPING'],
  ])('finding 7: Produce answered %i (%s) dooms the transaction, not the producer: abort, and the next transaction commits', async (code) => {
    const { cluster, producer, fatalErrors, run } = await setup();
    cluster.faults.push({ kind: 'error', code });
    producer.beginTransaction();
    const failed = await run(producer.send({ topic: TOPIC, partition: 0, value: 'a' }));
    expect(failed).toBeInstanceOf(KafkaResponseError);
    expect(await run(producer.commitTransaction())).toBeInstanceOf(TransactionAbortableError);
    expect(await run(producer.abortTransaction())).toBeUndefined();
    expect(fatalErrors).toEqual([]);
    producer.beginTransaction();
    producer.send({ topic: TOPIC, partition: 0, value: 'b' });
    expect(await run(producer.commitTransaction())).toBeUndefined();
    expect(cluster.partition(TOPIC, 0).values).toEqual(['b']);
  });

  it('finding 8: AddPartitionsToTxn answered OPERATION_NOT_ATTEMPTED (55) for the partition: the record fails, the commit is refused, nothing is written', async () => {
    const { cluster, producer, run } = await setup();
    cluster.script('AddPartitionsToTxn', (b) => addPartitionsAnswer(b, 55), (b) => addPartitionsAnswer(b, 0));
    producer.beginTransaction();
    expect(await run(producer.send({ topic: TOPIC, partition: 0, value: 'a' }))).toBeInstanceOf(TransactionAbortableError);
    expect(await run(producer.commitTransaction())).toBeInstanceOf(TransactionAbortableError);
    expect(await run(producer.abortTransaction())).toBeUndefined();
    expect(cluster.partition(TOPIC, 0).values).toEqual([]);
    expect(cluster.calls('EndTxn')).toEqual([]);
  });

  it('finding 9: a broker below TxnOffsetCommit v3 and the consumer\'s member id: TransactionFatalError caused by UnsupportedVersionError, nothing sent without it', async () => {
    const { cluster, producer, fatalErrors, run } = await setup();
    cluster.versions.set('TxnOffsetCommit', 2);
    producer.beginTransaction();
    const err = await run(producer.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 10 }], { groupId: 'g', generationId: 3, memberId: 'consumer-1' }));
    expect(err).toBeInstanceOf(TransactionFatalError);
    expect((err as Error).cause).toBeInstanceOf(UnsupportedVersionError);
    expect(cluster.calls('TxnOffsetCommit')).toEqual([]);
    expect(fatalErrors).toHaveLength(1);
  });

  it('finding 1: sendOffsetsToTransaction() timing out (the group coordinator loading past maxBlockMs) forbids the commit: no EndTxn(commit) without the offsets', async () => {
    const { cluster, producer, run } = await setup();
    cluster.script('TxnOffsetCommit', (b) => ({
      throttleTimeMs: 0,
      topics: (b.topics as { name: string; partitions: { partitionIndex: number }[] }[]).map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 14 })) })),
    }));
    producer.beginTransaction();
    producer.send({ topic: TOPIC, partition: 0, value: 'a' });
    expect(await run(producer.sendOffsetsToTransaction([{ topic: 'in', partition: 0, offset: 10 }], { groupId: 'g' }))).toBeInstanceOf(KafkaTimeoutError);
    expect(await run(producer.commitTransaction())).toBeInstanceOf(TransactionAbortableError);
    expect(await run(producer.abortTransaction())).toBeUndefined();
    expect(cluster.calls('EndTxn').map((e) => e.committed)).toEqual([false]);
  });
});
