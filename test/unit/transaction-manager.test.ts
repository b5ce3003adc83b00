// The sender's transaction manager against a scripted coordinator, without a
// broker: retries and coordinator moves, one AddPartitionsToTxn for every
// partition waiting at the gate, a failed batch making the transaction
// abortable, fencing being fatal, and an abort that fails queued batches,
// awaits those in flight, then ends the transaction; and transactions v2
// (KIP-890), where the broker adds partitions and offsets and EndTxn bumps
// the epoch.

import { describe, expect, it } from 'vitest';
import type { SenderConfig } from '../../src/config.js';
import { KafkaTimeoutError, ProducerFencedError, TransactionAbortableError, TransactionAbortedError, TransactionFatalError, UnsupportedVersionError } from '../../src/errors.js';
import { MetadataCache } from '../../src/network/metadata-cache.js';
import type { Api } from '../../src/protocol/api.js';
import { KafkaResponseError } from '../../src/protocol/errors.js';
import type { Clock } from '../../src/sender/clock.js';
import { ProducerIds } from '../../src/sender/idempotence.js';
import type { TxnOp } from '../../src/sender/messages.js';
import { PartitionQueue } from '../../src/sender/partition-queue.js';
import type { SenderBatch } from '../../src/sender/sender-batch.js';
import { coordinatorVerdict } from '../../src/sender/coordinator.js';
import { judge } from '../../src/sender/response-policy.js';
import { TransactionManager } from '../../src/sender/transaction-manager.js';
import type { SenderConnection, Transport } from '../../src/sender/transport.js';

type Handler = (body: Record<string, unknown>, version: number) => unknown;

/** A clock whose timers fire on the next turn, moving time on by their delay. */
function quickClock(): Clock {
  let now = 1_000;
  return {
    now: () => now,
    setTimeout: (fn, ms) => setImmediate(() => {
      now += ms;
      fn();
    }),
    clearTimeout: () => {},
    setImmediate: (fn) => {
      setImmediate(fn);
    },
    random: () => 0.5,
  };
}

/** Every request by API name, answered by the next scripted answer for that API (the last one repeats). */
function coordinatorScript(script: Record<string, Handler[]>, finalizedFeatures: ReadonlyMap<string, number>, versions: ReadonlyMap<string, number> = new Map()) {
  const calls: { api: string; body: Record<string, unknown>; version: number; node: number }[] = [];
  const connection = (node: number): SenderConnection => ({
    broker: `fake (node ${node})`,
    host: '127.0.0.1',
    port: 1,
    closed: false,
    inFlight: 0,
    writableNeedDrain: false,
    versionFor: (api) => versions.get(api.name) ?? api.maxVersion,
    finalizedFeatures,
    request: async <Req, Res>(api: Api<Req, Res>, body: Req, opts?: { version?: number }) => {
      const version = opts?.version ?? api.maxVersion;
      calls.push({ api: api.name, body: body as Record<string, unknown>, version, node });
      const handlers = script[api.name] ?? [];
      const handler = handlers.length > 1 ? handlers.shift() : handlers[0];
      if (!handler) throw new Error(`no answer scripted for ${api.name}`);
      return handler(body as Record<string, unknown>, version) as Res;
    },
    requestWithCallback: () => {
      throw new Error('not used');
    },
    sendWithoutResponse: () => {
      throw new Error('not used');
    },
    once: () => undefined,
  });
  const transport: Transport = {
    metadata: new MetadataCache(),
    connectionTo: async (nodeId) => connection(nodeId),
    anyConnection: async () => connection(0),
    refreshMetadata: async () => transport.metadata,
    close: async () => {},
  };
  return { transport, calls };
}

const found = (nodeId: number, errorCode = 0): Handler => () => ({ throttleTimeMs: 0, coordinators: [{ key: 'k', nodeId, host: '127.0.0.1', port: 1, errorCode, errorMessage: null }] });
const initAnswer = (errorCode: number, producerId = 7, producerEpoch = 3): Handler => () => ({ throttleTimeMs: 0, errorCode, producerId, producerEpoch, ongoingTxnProducerId: -1, ongoingTxnProducerEpoch: -1 });
const added = (errorCode: number): Handler => (body) => ({
  throttleTimeMs: 0,
  resultsByTopicV3AndBelow: (body.v3AndBelowTopics as { name: string; partitions: number[] }[]).map((t) => ({
    name: t.name,
    resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: errorCode })),
  })),
});
const offsetsAdded = (errorCode: number): Handler => () => ({ throttleTimeMs: 0, errorCode });
const offsetsCommitted = (errorCode: number): Handler => (body) => ({
  throttleTimeMs: 0,
  topics: (body.topics as { name: string; partitions: { partitionIndex: number }[] }[]).map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
  })),
});
const ended = (errorCode: number): Handler => () => ({ throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 });

const CONFIG = { transactionalId: 'tx', transactionTimeoutMs: 60_000, deliveryTimeoutMs: 120_000, retryBackoffMs: 100, retryBackoffMaxMs: 1000 } as SenderConfig & { transactionalId: string };

/** `features`: what the brokers finalized; none (the default) means transactions v1. `versions`: the brokers' highest version of an API, where not ours. */
function setup(script: Record<string, Handler[]>, features: ReadonlyMap<string, number> = new Map(), versions: ReadonlyMap<string, number> = new Map()) {
  const { transport, calls } = coordinatorScript(script, features, versions);
  const queues = [new PartitionQueue(0, 'a', 0), new PartitionQueue(1, 'a', 1), new PartitionQueue(2, 'b', 0)];
  const failed: { err: Error; batch: SenderBatch }[] = [];
  const fatal: Error[] = [];
  const replies = new Map<number, Error | null>();
  let wakes = 0;
  const ids = new ProducerIds(true, 100, {
    initProducerId: () => Promise.reject(new Error('the transaction manager takes the id')),
    retryLater: () => {},
    wake: () => {},
    fatal: () => {},
    bumped: () => {},
  });
  const txn = new TransactionManager(CONFIG, transport, quickClock(), ids, {
    queues: () => queues.values(),
    collect: () => {},
    fail: (err, batch, q) => {
      failed.push({ err, batch });
      q.inFlight.delete(batch);
      q.queue.splice(q.queue.indexOf(batch), 1);
    },
    fatal: (err) => fatal.push(err),
    fatalError: () => fatal[0] ?? null,
    wake: () => {
      wakes++;
    },
    reply: (id, error) => replies.set(id, error),
  });
  let nextId = 0;
  /** Runs a step and resolves with its reply. */
  const step = async (op: TxnOp, timeoutMs = 60_000): Promise<Error | null> => {
    const id = nextId++;
    txn.run(id, op, timeoutMs);
    while (!replies.has(id)) await new Promise((r) => setImmediate(r));
    return replies.get(id) ?? null;
  };
  /** A batch as far as the transaction manager looks at one: its place in the queue, its sequence, its last error. */
  const batch = (q: PartitionQueue) => {
    const b = { baseSequence: -1, lastError: null } as unknown as SenderBatch;
    q.queue.push(b);
    return b;
  };
  /** A batch whose partition the gate asked the coordinator to add, once every step ran out. */
  const gated = async (q: PartitionQueue) => {
    const b = batch(q);
    txn.mayDrain(q);
    await settle();
    return b;
  };
  /** Lets every chain of steps run out: the quick clock's timers are setImmediate too, so turns, not time, are what they need. */
  const settle = async () => {
    for (let i = 0; i < 100; i++) await new Promise((r) => setImmediate(r));
  };
  return { txn, ids, calls, queues, failed, fatal, step, batch, gated, settle, wakes: () => wakes };
}

describe('initTransactions on the sender', () => {
  it('re-finds a coordinator that is not available and retries InitProducerId while it only means "not now"; ProducerIds takes no id of its own', async () => {
    const t = setup({
      FindCoordinator: [found(-1, 15), found(2)],
      InitProducerId: [initAnswer(14), initAnswer(51), initAnswer(16), initAnswer(0)],
    });
    expect(t.ids.transactional).toBe(true);
    expect(await t.step({ kind: 'init' })).toBeNull();
    expect([t.ids.producerId, t.ids.epoch]).toEqual([7, 3]);
    expect(t.calls.map((c) => c.api)).toEqual(['FindCoordinator', 'FindCoordinator', 'InitProducerId', 'InitProducerId', 'InitProducerId', 'FindCoordinator', 'InitProducerId']);
    const init = t.calls.find((c) => c.api === 'InitProducerId');
    expect(init?.body).toMatchObject({ transactionalId: 'tx', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(init?.node).toBe(2);
  });

  it('TRANSACTIONAL_ID_AUTHORIZATION_FAILED is fatal, with the code as the cause', async () => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(53)] });
    const err = await t.step({ kind: 'init' });
    expect(err).toBeInstanceOf(TransactionFatalError);
    expect(err?.cause).toMatchObject({ errorCode: 53 });
    expect(t.fatal[0]).toBe(err);
  });
});

describe('the AddPartitionsToTxn gate', () => {
  it('holds batches until their partitions are added, all waiting partitions in one request', async () => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0)], AddPartitionsToTxn: [added(51), added(0)] });
    await t.step({ kind: 'init' });
    for (const q of t.queues) t.batch(q);
    expect(t.queues.map((q) => t.txn.mayDrain(q))).toEqual([false, false, false]);
    await t.settle();
    const adds = t.calls.filter((c) => c.api === 'AddPartitionsToTxn');
    // CONCURRENT_TRANSACTIONS once (the previous transaction's markers), then added: the same request again.
    expect(adds).toHaveLength(2);
    expect(adds[1]?.body).toEqual({
      v3AndBelowTransactionalId: 'tx',
      v3AndBelowProducerId: 7,
      v3AndBelowProducerEpoch: 3,
      v3AndBelowTopics: [
        { name: 'a', partitions: [0, 1] },
        { name: 'b', partitions: [0] },
      ],
    });
    expect(t.queues.map((q) => t.txn.mayDrain(q))).toEqual([true, true, true]);
  });

  it.each([
    [29, 'TOPIC_AUTHORIZATION_FAILED'],
    // Finding 8 of issue 21: 55 only says another partition's error stopped this one; alone, it still means not added.
    [55, 'OPERATION_NOT_ATTEMPTED'],
  ])('a partition the coordinator does not add (%i %s) makes the transaction abortable: its batches fail, commit is refused', async (code, name) => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0)], AddPartitionsToTxn: [added(code)] });
    await t.step({ kind: 'init' });
    const q = t.queues[0] as PartitionQueue;
    t.batch(q);
    expect(t.txn.mayDrain(q)).toBe(false);
    await t.settle();
    expect(t.txn.mayDrain(q)).toBe(false);
    expect(t.failed[0]?.err).toBeInstanceOf(TransactionAbortableError);
    expect(t.failed[0]?.err.cause).toMatchObject({ errorCode: code });
    expect(t.failed[0]?.err.message).toContain(name);
    expect(await t.step({ kind: 'end', commit: true })).toBeInstanceOf(TransactionAbortableError);
    expect(t.calls.some((c) => c.api === 'EndTxn')).toBe(false);
  });
});

describe('failed batches', () => {
  it('any failure makes the transaction abortable: the queued batches fail at the gate', async () => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0)], AddPartitionsToTxn: [added(0)] });
    await t.step({ kind: 'init' });
    const q = t.queues[0] as PartitionQueue;
    await t.gated(q);
    expect(t.txn.mayDrain(q)).toBe(true);
    const cause = new KafkaResponseError(87, 'Produce to a-0');
    t.txn.batchFailed(cause);
    expect(t.txn.mayDrain(q)).toBe(false);
    expect(t.failed.map((f) => f.err.cause)).toEqual([cause]);
    expect(t.fatal).toEqual([]);
  });

  it('PRODUCER_FENCED from a Produce is fatal: ProducerFencedError; INVALID_PRODUCER_EPOCH (a transaction timed out, KIP-588) is abortable', async () => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0)], EndTxn: [ended(0)] });
    await t.step({ kind: 'init' });
    t.txn.batchFailed(new KafkaResponseError(47, 'Produce to a-0'));
    expect(t.fatal).toEqual([]);
    expect(await t.step({ kind: 'end', commit: true })).toBeInstanceOf(TransactionAbortableError);
    t.txn.batchFailed(new KafkaResponseError(90, 'Produce to a-0'));
    expect(t.fatal[0]).toBeInstanceOf(ProducerFencedError);
    expect(t.fatal[0]?.message).toMatch(/another producer with transactionalId "tx" called initTransactions\(\) after this one/);
  });
});

describe('commit and abort', () => {
  it('commit: EndTxn(commit) at v4 at most (transactions v1), retried on CONCURRENT_TRANSACTIONS; nothing added means no EndTxn', async () => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0)], AddPartitionsToTxn: [added(0)], EndTxn: [ended(51), ended(0)] });
    await t.step({ kind: 'init' });
    expect(await t.step({ kind: 'end', commit: true })).toBeNull();
    expect(t.calls.some((c) => c.api === 'EndTxn')).toBe(false);
    const q = t.queues[0] as PartitionQueue;
    await t.gated(q);
    expect(await t.step({ kind: 'end', commit: true })).toBeNull();
    const ends = t.calls.filter((c) => c.api === 'EndTxn');
    expect(ends.map((c) => [c.version, c.body.committed])).toEqual([
      [4, true],
      [4, true],
    ]);
    // The next transaction adds its partitions again.
    expect(t.txn.mayDrain(q)).toBe(false);
  });

  it.each([
    ['PRODUCER_FENCED', 90],
    ['INVALID_PRODUCER_EPOCH', 47],
  ])('commit answered %s by the coordinator: ProducerFencedError, and the producer is failed for good', async (_name, code) => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0)], AddPartitionsToTxn: [added(0)], EndTxn: [ended(code)] });
    await t.step({ kind: 'init' });
    const q = t.queues[0] as PartitionQueue;
    await t.gated(q);
    const err = await t.step({ kind: 'end', commit: true });
    expect(err).toBeInstanceOf(ProducerFencedError);
    expect(t.fatal[0]).toBe(err);
  });

  it('abort: queued batches fail at once with TransactionAbortedError, in-flight ones are awaited, then EndTxn(abort); a lost sequence bumps the epoch', async () => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0), initAnswer(0, 7, 4)], AddPartitionsToTxn: [added(0)], EndTxn: [ended(0)] });
    await t.step({ kind: 'init' });
    const q = t.queues[0] as PartitionQueue;
    const flying = t.batch(q);
    const queued = t.batch(q);
    t.txn.mayDrain(q);
    await t.settle();
    expect(t.txn.mayDrain(q)).toBe(true);
    q.queue.shift();
    q.inFlight.add(flying);
    flying.baseSequence = 0;
    q.needsBump = true;
    let reply: Error | null | undefined;
    void t.step({ kind: 'end', commit: false }).then((r) => (reply = r));
    expect(t.failed.map((f) => [f.batch, f.err.constructor])).toEqual([[queued, TransactionAbortedError]]);
    await t.settle();
    t.txn.tick();
    await t.settle();
    expect(reply).toBeUndefined();
    expect(t.calls.some((c) => c.api === 'EndTxn')).toBe(false);
    q.inFlight.delete(flying);
    t.txn.tick();
    await t.settle();
    expect(reply).toBeNull();
    const end = t.calls.find((c) => c.api === 'EndTxn');
    expect(end?.body).toMatchObject({ transactionalId: 'tx', producerId: 7, producerEpoch: 3, committed: false });
    const bump = t.calls.filter((c) => c.api === 'InitProducerId')[1];
    expect(bump?.body).toMatchObject({ transactionalId: 'tx', producerId: 7, producerEpoch: 3 });
    expect([t.ids.producerId, t.ids.epoch, q.needsBump]).toEqual([7, 4, false]);
  });
});

describe('what a coordinator\'s error code means', () => {
  it.each([
    [15, 'find-coordinator'],
    [16, 'find-coordinator'],
    [14, 'retry'],
    [51, 'retry'],
    [3, 'retry'],
    [90, 'fatal'],
    [47, 'fatal'],
    [53, 'fatal'],
    [48, 'fatal'],
    [120, 'abortable'],
    [29, 'abortable'],
    [30, 'abortable'],
    [22, 'abortable'],
    [59, 'abortable'],
    [42, 'unexpected'],
  ])('%i: %s', (code, verdict) => {
    expect(coordinatorVerdict(code)).toBe(verdict);
  });
});

describe('sendOffsetsToTransaction on the sender', () => {
  const offsets: TxnOp = { kind: 'offsets', offsets: [{ topic: 'in', partition: 2, offset: 9 }], group: { groupId: 'g', generationId: 4, memberId: 'm' } };

  it('AddOffsetsToTxn to the transaction coordinator, then TxnOffsetCommit (v4 at most) to the group coordinator', async () => {
    const t = setup({ FindCoordinator: [found(1), found(5)], InitProducerId: [initAnswer(0)], AddOffsetsToTxn: [offsetsAdded(0)], TxnOffsetCommit: [offsetsCommitted(14), offsetsCommitted(0)] });
    await t.step({ kind: 'init' });
    expect(await t.step(offsets)).toBeNull();
    const commit = t.calls.filter((c) => c.api === 'TxnOffsetCommit');
    expect(commit).toHaveLength(2);
    expect(commit[0]).toMatchObject({ node: 5, version: 4 });
    expect(commit[0]?.body).toMatchObject({ transactionalId: 'tx', groupId: 'g', producerId: 7, producerEpoch: 3, generationId: 4, memberId: 'm', topics: [{ name: 'in', partitions: [{ partitionIndex: 2, committedOffset: 9 }] }] });
    expect(t.calls.find((c) => c.api === 'FindCoordinator' && c.body.keyType === 0)?.body.key).toBe('g');
  });

  // Java's sendOffsetsToTransaction() waits at most max.block.ms for its result, even while its request waits behind another one.
  it('queued behind an AddPartitionsToTxn still unanswered, it settles at maxBlockMs with KafkaTimeoutError, is never sent, and the transaction cannot commit', async () => {
    let answerAdd: (() => void) | null = null;
    const t = setup({
      FindCoordinator: [found(1)],
      InitProducerId: [initAnswer(0)],
      AddPartitionsToTxn: [(b, v) => new Promise((resolve) => (answerAdd = () => resolve(added(0)(b, v))))],
      AddOffsetsToTxn: [offsetsAdded(0)],
      TxnOffsetCommit: [offsetsCommitted(0)],
    });
    await t.step({ kind: 'init' });
    await t.gated(t.queues[0] as PartitionQueue);
    expect(answerAdd).not.toBeNull();
    const reply = await Promise.race([t.step(offsets, 300), t.settle().then(() => 'no answer within maxBlockMs')]);
    expect(reply).toBeInstanceOf(KafkaTimeoutError);
    expect((reply as Error).message).toMatch(/sendOffsetsToTransaction\(\) for group g did not start within maxBlockMs \(300 ms\).*AddPartitionsToTxn/);
    (answerAdd as unknown as () => void)();
    await t.settle();
    expect(t.calls.some((c) => c.api === 'AddOffsetsToTxn' || c.api === 'TxnOffsetCommit')).toBe(false);
    expect(await t.step({ kind: 'end', commit: true })).toBeInstanceOf(TransactionAbortableError);
  });

  it.each([
    ['AddOffsetsToTxn GROUP_AUTHORIZATION_FAILED', offsetsAdded(30), offsetsCommitted(0), TransactionAbortableError],
    ['TxnOffsetCommit ILLEGAL_GENERATION (a stale consumer)', offsetsAdded(0), offsetsCommitted(22), TransactionAbortableError],
    ['TxnOffsetCommit INVALID_REQUEST (unexpected)', offsetsAdded(0), offsetsCommitted(42), TransactionFatalError],
  ])('%s', async (_name, add, commit, cls) => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0)], AddOffsetsToTxn: [add], TxnOffsetCommit: [commit] });
    await t.step({ kind: 'init' });
    expect(await t.step(offsets)).toBeInstanceOf(cls);
    expect(t.fatal.length > 0).toBe(cls === TransactionFatalError);
  });
});

describe('a coordinator that lost the producer id', () => {
  it('UNKNOWN_PRODUCER_ID on EndTxn(commit) is abortable; the abort then bumps the epoch', async () => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0), initAnswer(0, 7, 4)], AddOffsetsToTxn: [offsetsAdded(0)], TxnOffsetCommit: [offsetsCommitted(0)], EndTxn: [ended(59), ended(0)] });
    await t.step({ kind: 'init' });
    await t.step({ kind: 'offsets', offsets: [], group: { groupId: 'g' } });
    expect(await t.step({ kind: 'end', commit: true })).toBeInstanceOf(TransactionAbortableError);
    expect(await t.step({ kind: 'end', commit: false })).toBeNull();
    expect(t.calls.filter((c) => c.api === 'InitProducerId').map((c) => [c.body.producerId, c.body.producerEpoch])).toEqual([
      [-1, -1],
      [7, 3],
    ]);
    expect(t.ids.epoch).toBe(4);
  });

  it('INVALID_PRODUCER_ID_MAPPING on AddOffsetsToTxn: the abort sends no EndTxn (it would be refused alike), the epoch bump alone ends it', async () => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0), initAnswer(0, 7, 4)], AddOffsetsToTxn: [offsetsAdded(49)] });
    await t.step({ kind: 'init' });
    expect(await t.step({ kind: 'offsets', offsets: [{ topic: 'in', partition: 0, offset: 1 }], group: { groupId: 'g' } })).toBeInstanceOf(TransactionAbortableError);
    expect(await t.step({ kind: 'end', commit: false })).toBeNull();
    expect(t.calls.map((c) => c.api)).toEqual(['FindCoordinator', 'InitProducerId', 'AddOffsetsToTxn', 'InitProducerId']);
    expect(t.ids.epoch).toBe(4);
  });
});

describe('transactions v2 (KIP-890 part 2), where the coordinator\'s broker finalizes transaction.version 2', () => {
  const TV2 = new Map([['transaction.version', 2]]);
  const endedWith = (producerId: number, producerEpoch: number): Handler => () => ({ throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch });
  const offsets: TxnOp = { kind: 'offsets', offsets: [{ topic: 'in', partition: 2, offset: 9 }], group: { groupId: 'g', generationId: 4, memberId: 'm' } };

  it('is decided by initTransactions from the coordinator\'s ApiVersions: 2 with the feature at level 2, 1 below it or without it', async () => {
    for (const [features, version] of [
      [TV2, 2],
      [new Map([['transaction.version', 1]]), 1],
      [new Map<string, number>(), 1],
    ] as const) {
      const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0)] }, features);
      expect(t.txn.transactionVersion).toBe(0);
      await t.step({ kind: 'init' });
      expect(t.txn.transactionVersion).toBe(version);
    }
  });

  it('no AddPartitionsToTxn: batches go at once (the Produce request names the transactional id); EndTxn v5 is still sent', async () => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0)], EndTxn: [endedWith(7, 4)] }, TV2);
    await t.step({ kind: 'init' });
    for (const q of t.queues) t.batch(q);
    expect(t.queues.map((q) => t.txn.mayDrain(q))).toEqual([true, true, true]);
    // As the sender does: the batches are numbered into a Produce request.
    for (const q of t.queues) {
      expect(t.ids.mayNumber(q)).toBe(true);
      q.nextSequence += 1;
      q.queue.shift();
    }
    await t.settle();
    expect(await t.step({ kind: 'end', commit: true })).toBeNull();
    expect(t.calls.map((c) => c.api)).toEqual(['FindCoordinator', 'InitProducerId', 'EndTxn']);
    expect(t.calls[2]).toMatchObject({ version: 5, body: { producerId: 7, producerEpoch: 3, committed: true } });
  });

  it('a batch let through the gate but never sent (no leader yet, say) has not opened the transaction: the abort sends no EndTxn, which the coordinator would refuse (INVALID_TXN_STATE)', async () => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0)], EndTxn: [ended(48)] }, TV2);
    await t.step({ kind: 'init' });
    const q = t.queues[0] as PartitionQueue;
    t.batch(q);
    expect(t.txn.mayDrain(q)).toBe(true);
    expect(await t.step({ kind: 'end', commit: false })).toBeNull();
    expect(t.fatal).toEqual([]);
    expect(t.calls.some((c) => c.api === 'EndTxn')).toBe(false);
  });

  it('the epoch EndTxn answers is adopted for the next transaction, commit and abort alike; partitions restart at sequence 0 under it', async () => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0)], EndTxn: [endedWith(7, 4), endedWith(7, 5), endedWith(8, 0)] }, TV2);
    await t.step({ kind: 'init' });
    const q = t.queues[0] as PartitionQueue;
    const run = async (commit: boolean) => {
      t.batch(q);
      expect(t.txn.mayDrain(q)).toBe(true);
      // As the sender does: the batch is numbered under the current epoch and goes out, and is done before EndTxn.
      expect(t.ids.mayNumber(q)).toBe(true);
      q.nextSequence += 1;
      q.queue.shift();
      return t.step({ kind: 'end', commit });
    };
    expect(await run(true)).toBeNull();
    expect([t.ids.producerId, t.ids.epoch, q.sequenceEpoch, q.nextSequence]).toEqual([7, 4, 4, 0]);
    expect(await run(false)).toBeNull();
    expect([t.ids.producerId, t.ids.epoch, q.sequenceEpoch, q.nextSequence]).toEqual([7, 5, 5, 0]);
    // Past the highest epoch the coordinator answers a new producer id.
    expect(await run(true)).toBeNull();
    expect([t.ids.producerId, t.ids.epoch, q.sequenceProducerId, q.nextSequence]).toEqual([8, 0, 8, 0]);
    const ends = t.calls.filter((c) => c.api === 'EndTxn').map((c) => [c.body.producerId, c.body.producerEpoch, c.body.committed]);
    expect(ends).toEqual([
      [7, 3, true],
      [7, 4, false],
      [7, 5, true],
    ]);
    // No InitProducerId besides the first: EndTxn did the bumps.
    expect(t.calls.filter((c) => c.api === 'InitProducerId')).toHaveLength(1);
  });

  it('sendOffsetsToTransaction: TxnOffsetCommit v5 without AddOffsetsToTxn, then EndTxn for the offsets alone', async () => {
    const t = setup({ FindCoordinator: [found(1), found(5)], InitProducerId: [initAnswer(0)], TxnOffsetCommit: [offsetsCommitted(0)], EndTxn: [endedWith(7, 4)] }, TV2);
    await t.step({ kind: 'init' });
    expect(await t.step(offsets)).toBeNull();
    expect(t.calls.some((c) => c.api === 'AddOffsetsToTxn')).toBe(false);
    const commit = t.calls.find((c) => c.api === 'TxnOffsetCommit');
    expect(commit).toMatchObject({ node: 5, version: 5, body: { transactionalId: 'tx', groupId: 'g', producerId: 7, producerEpoch: 3, generationId: 4, memberId: 'm' } });
    expect(await t.step({ kind: 'end', commit: true })).toBeNull();
    expect(t.calls.filter((c) => c.api === 'EndTxn')).toHaveLength(1);
    expect(t.ids.epoch).toBe(4);
  });

  it('an abort after a lost sequence needs no InitProducerId: EndTxn(abort) bumped the epoch', async () => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0)], EndTxn: [endedWith(7, 4)] }, TV2);
    await t.step({ kind: 'init' });
    const q = t.queues[0] as PartitionQueue;
    t.batch(q);
    expect(t.txn.mayDrain(q)).toBe(true);
    // Numbered and sent, then its sequence was lost.
    expect(t.ids.mayNumber(q)).toBe(true);
    q.nextSequence += 1;
    q.queue.shift();
    q.needsBump = true;
    expect(await t.step({ kind: 'end', commit: false })).toBeNull();
    expect(t.calls.filter((c) => c.api === 'InitProducerId')).toHaveLength(1);
    expect([t.ids.epoch, q.needsBump, q.sequenceEpoch]).toEqual([4, false, 4]);
  });
});

describe('issue 21 findings on the sender', () => {
  const offsets: TxnOp = { kind: 'offsets', offsets: [{ topic: 'in', partition: 2, offset: 9 }], group: { groupId: 'g', generationId: 4, memberId: 'm' } };

  it('finding 1: TxnOffsetCommit loading past the deadline fails the step, and the commit after it is refused without EndTxn', async () => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0)], AddOffsetsToTxn: [offsetsAdded(0)], TxnOffsetCommit: [offsetsCommitted(14)], EndTxn: [ended(0)] });
    await t.step({ kind: 'init' });
    expect(await t.step(offsets, 5_000)).toBeInstanceOf(KafkaTimeoutError);
    const commit = await t.step({ kind: 'end', commit: true });
    expect(commit).toBeInstanceOf(TransactionAbortableError);
    expect(commit?.message).toMatch(/TxnOffsetCommit for group g did not succeed in time.*COORDINATOR_LOAD_IN_PROGRESS/);
    expect(t.calls.some((c) => c.api === 'EndTxn')).toBe(false);
    // The abort ends it (the group's offsets partition is in the transaction).
    expect(await t.step({ kind: 'end', commit: false })).toBeNull();
    expect(t.calls.filter((c) => c.api === 'EndTxn').map((c) => c.body.committed)).toEqual([false]);
  });

  it('finding 3: a commit whose EndTxn timed out is sent again as it was, and the coordinator\'s NONE completes it', async () => {
    let reachable = false;
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0)], AddPartitionsToTxn: [added(0)], EndTxn: [(b, v) => (reachable ? ended(0) : ended(7))(b, v)] });
    await t.step({ kind: 'init' });
    const q = t.queues[0] as PartitionQueue;
    await t.gated(q);
    q.queue.shift();
    expect(await t.step({ kind: 'end', commit: true }, 5_000)).toBeInstanceOf(KafkaTimeoutError);
    reachable = true;
    expect(await t.step({ kind: 'end', commit: true })).toBeNull();
    const ends = t.calls.filter((c) => c.api === 'EndTxn').map((c) => JSON.stringify(c.body));
    expect(new Set(ends)).toEqual(new Set([JSON.stringify({ transactionalId: 'tx', producerId: 7, producerEpoch: 3, committed: true })]));
    expect(ends.length).toBeGreaterThan(1);
    // Completed: the next transaction adds its partitions again.
    t.batch(q);
    expect(t.txn.mayDrain(q)).toBe(false);
  });

  it('finding 3: an abort whose epoch bump timed out, asked again, sends only the bump again (the same InitProducerId), not EndTxn with an epoch the bump may have fenced', async () => {
    let bumpAnswered = false;
    const t = setup({
      FindCoordinator: [found(1)],
      InitProducerId: [initAnswer(0), (b, v) => (bumpAnswered ? initAnswer(0, 7, 4) : initAnswer(51))(b, v)],
      AddPartitionsToTxn: [added(0)],
      // A second EndTxn with epoch 3 after the bump went through: the coordinator takes it for a fenced producer.
      EndTxn: [ended(0), ended(90)],
    });
    await t.step({ kind: 'init' });
    const q = t.queues[0] as PartitionQueue;
    await t.gated(q);
    q.queue.shift();
    q.needsBump = true;
    expect(await t.step({ kind: 'end', commit: false }, 3_000)).toBeInstanceOf(KafkaTimeoutError);
    bumpAnswered = true;
    expect(await t.step({ kind: 'end', commit: false })).toBeNull();
    expect(t.fatal).toEqual([]);
    expect(t.calls.filter((c) => c.api === 'EndTxn')).toHaveLength(1);
    const bumps = t.calls.filter((c) => c.api === 'InitProducerId').slice(1);
    expect(new Set(bumps.map((c) => `${String(c.body.producerId)}/${String(c.body.producerEpoch)}`))).toEqual(new Set(['7/3']));
    expect([t.ids.producerId, t.ids.epoch]).toEqual([7, 4]);
  });

  it('finding 5: an AddPartitionsToTxn never answered may have opened the transaction: the abort ends it with an epoch bump (no EndTxn, which would be refused where nothing is open)', async () => {
    const t = setup({
      FindCoordinator: [found(1)],
      InitProducerId: [initAnswer(0), initAnswer(0, 7, 4)],
      AddPartitionsToTxn: [
        () => {
          throw new Error('the answer was lost');
        },
      ],
      EndTxn: [ended(48)],
    });
    await t.step({ kind: 'init' });
    const q = t.queues[0] as PartitionQueue;
    await t.gated(q);
    // Retried until deliveryTimeoutMs (2 minutes of the quick clock).
    for (let i = 0; i < 20 && t.failed.length === 0; i++) {
      await t.settle();
      t.txn.mayDrain(q);
    }
    expect(t.failed[0]?.err).toBeInstanceOf(TransactionAbortableError);
    expect(await t.step({ kind: 'end', commit: false })).toBeNull();
    expect(t.fatal).toEqual([]);
    expect(t.calls.some((c) => c.api === 'EndTxn')).toBe(false);
    expect(t.calls.filter((c) => c.api === 'InitProducerId').map((c) => [c.body.producerId, c.body.producerEpoch])).toEqual([
      [-1, -1],
      [7, 3],
    ]);
    expect(t.ids.epoch).toBe(4);
  });

  it.each([
    ['FindCoordinator', { FindCoordinator: [found(-1, 120)] }, offsets],
    ['InitProducerId', { InitProducerId: [initAnswer(0), initAnswer(120)] }, { kind: 'init' } as TxnOp],
    ['AddOffsetsToTxn', { AddOffsetsToTxn: [offsetsAdded(120)] }, offsets],
    ['TxnOffsetCommit', { AddOffsetsToTxn: [offsetsAdded(0)], TxnOffsetCommit: [offsetsCommitted(120)] }, offsets],
    ['EndTxn', { AddOffsetsToTxn: [offsetsAdded(0)], TxnOffsetCommit: [offsetsCommitted(0)], EndTxn: [ended(120), ended(0)] }, { kind: 'end', commit: true } as TxnOp],
  ] as [string, Record<string, Handler[]>, TxnOp][])('finding 7: TRANSACTION_ABORTABLE (120) on %s makes the transaction abortable, not the producer fatal', async (_api, script, op) => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0)], EndTxn: [ended(0)], ...script });
    await t.step({ kind: 'init' });
    if (op.kind === 'end') await t.step(offsets);
    if (script.FindCoordinator) t.calls.length = 0;
    const err = await t.step(op);
    expect(err).toBeInstanceOf(TransactionAbortableError);
    expect(err?.cause).toMatchObject({ errorCode: 120 });
    expect(t.fatal).toEqual([]);
    expect(await t.step({ kind: 'end', commit: false })).toBeNull();
  });

  it('finding 7: after initTransactions() failed with TRANSACTION_ABORTABLE and succeeded when called again, the first transaction is not doomed by it', async () => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(120), initAnswer(0)], AddPartitionsToTxn: [added(0)] });
    expect(await t.step({ kind: 'init' })).toBeInstanceOf(TransactionAbortableError);
    expect(await t.step({ kind: 'init' })).toBeNull();
    const q = t.queues[0] as PartitionQueue;
    await t.gated(q);
    expect(t.failed).toEqual([]);
    expect(t.txn.mayDrain(q)).toBe(true);
  });

  it('finding 7: INVALID_TXN_STATE (48) and INVALID_PRODUCER_ID_MAPPING (49) from a partition leader fail the batch (abortable), they do not end the producer', async () => {
    const view = { count: 1, numbered: true, staleEpoch: false, lowestPending: () => true, ackedAfter: () => false };
    for (const code of [48, 49, 120]) {
      const verdict = judge({ index: 0, errorCode: code, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null }, view, 't-0');
      expect(verdict.kind, `Produce answered ${code}`).toBe('fail');
    }
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0)] });
    await t.step({ kind: 'init' });
    t.txn.batchFailed(new KafkaResponseError(48, 'Produce to a-0'));
    expect(t.fatal).toEqual([]);
    expect(await t.step({ kind: 'end', commit: true })).toBeInstanceOf(TransactionAbortableError);
  });

  it('finding 8: a partition left out of the AddPartitionsToTxn answer is not added', async () => {
    const partial: Handler = (body) => {
      const topics = body.v3AndBelowTopics as { name: string; partitions: number[] }[];
      // Answers only the first partition asked.
      const first = topics[0] as { name: string; partitions: number[] };
      return { throttleTimeMs: 0, resultsByTopicV3AndBelow: [{ name: first.name, resultsByPartition: [{ partitionIndex: first.partitions[0], partitionErrorCode: 0 }] }] };
    };
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0)], AddPartitionsToTxn: [partial] });
    await t.step({ kind: 'init' });
    const [a0, a1] = t.queues as [PartitionQueue, PartitionQueue];
    t.batch(a0);
    t.batch(a1);
    expect([t.txn.mayDrain(a0), t.txn.mayDrain(a1)]).toEqual([false, false]);
    await t.settle();
    expect(t.txn.mayDrain(a1)).toBe(false);
    expect(t.failed.map((f) => f.err.message).join()).toMatch(/the coordinator's answer did not add a-1/);
    expect(await t.step({ kind: 'end', commit: true })).toBeInstanceOf(TransactionAbortableError);
  });

  it('finding 9: TxnOffsetCommit below v3 with the consumer\'s generation and member ids is refused with a typed error (UnsupportedVersionError), not sent without them', async () => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0)], AddOffsetsToTxn: [offsetsAdded(0)], TxnOffsetCommit: [offsetsCommitted(0)] }, new Map(), new Map([['TxnOffsetCommit', 2]]));
    await t.step({ kind: 'init' });
    const err = await t.step(offsets);
    expect(err).toBeInstanceOf(TransactionFatalError);
    expect(err?.cause).toBeInstanceOf(UnsupportedVersionError);
    expect(err?.message).toMatch(/TxnOffsetCommit v2 cannot carry the consumer's generationId, memberId or groupInstanceId \(KIP-447 needs v3/);
    expect(t.calls.some((c) => c.api === 'TxnOffsetCommit')).toBe(false);
  });

  it('finding 9: with only the group id, TxnOffsetCommit v2 goes', async () => {
    const t = setup({ FindCoordinator: [found(1)], InitProducerId: [initAnswer(0)], AddOffsetsToTxn: [offsetsAdded(0)], TxnOffsetCommit: [offsetsCommitted(0)] }, new Map(), new Map([['TxnOffsetCommit', 2]]));
    await t.step({ kind: 'init' });
    expect(await t.step({ kind: 'offsets', offsets: [{ topic: 'in', partition: 0, offset: 1 }], group: { groupId: 'g' } })).toBeNull();
    expect(t.calls.find((c) => c.api === 'TxnOffsetCommit')?.version).toBe(2);
  });
});
