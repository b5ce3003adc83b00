// The idempotence rules one at a time, without a producer: the verdict on
// each partition answer (src/sender/response-policy.ts) and the producer id
// and epoch state (src/sender/idempotence.ts: first id, bumps, the move to a
// new producer id when the epoch would pass 32767). The Sender's rules as a
// whole are in sender-rules.test.ts.

import { describe, expect, it } from 'vitest';
import type { ProducePartitionResponse } from '../../src/protocol/apis/produce.js';
import type { InitProducerIdResponse } from '../../src/protocol/apis/init-producer-id.js';
import { ProducerFatalError } from '../../src/errors.js';
import { ProducerIds, type ProducerIdHooks } from '../../src/sender/idempotence.js';
import { PartitionQueue } from '../../src/sender/partition-queue.js';
import { judge, type BatchView } from '../../src/sender/response-policy.js';
import { SenderBatch } from '../../src/sender/sender-batch.js';

function answer(errorCode: number, more: Partial<ProducePartitionResponse> = {}): ProducePartitionResponse {
  return { index: 0, errorCode, baseOffset: errorCode === 0 ? 42 : -1, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null, ...more };
}

function view(b: Partial<Omit<BatchView, 'lowestPending' | 'ackedAfter'>> & { lowest?: boolean; laterAcked?: boolean } = {}): BatchView {
  return { count: b.count ?? 1, numbered: b.numbered ?? true, staleEpoch: b.staleEpoch ?? false, lowestPending: () => b.lowest ?? true, ackedAfter: () => b.laterAcked ?? false };
}

describe('judge: one partition answer', () => {
  it('success carries the offset and append time', () => {
    expect(judge(answer(0, { baseOffset: 7, logAppendTimeMs: 99 }), view(), 't-0')).toEqual({ kind: 'succeed', baseOffset: 7, logAppendTime: 99 });
  });

  it('DUPLICATE_SEQUENCE_NUMBER (older brokers) is success with the offset unknown', () => {
    expect(judge(answer(46), view(), 't-0')).toEqual({ kind: 'succeed', baseOffset: -1, logAppendTime: -1 });
  });

  it('OUT_OF_ORDER_SEQUENCE_NUMBER behind an earlier pending batch: retried as it is, no bump', () => {
    const v = judge(answer(45), view({ lowest: false }), 't-0');
    expect(v).toMatchObject({ kind: 'retry', refreshMetadata: false, leader: null });
    expect(v.kind === 'retry' && v.error.errorCode).toBe(45);
  });

  it('OUT_OF_ORDER_SEQUENCE_NUMBER or UNKNOWN_PRODUCER_ID for a batch before one already acknowledged: it was written (the broker takes sequences in order), success with the offset unknown', () => {
    for (const code of [45, 59]) expect(judge(answer(code), view({ laterAcked: true }), 't-0')).toEqual({ kind: 'succeed', baseOffset: -1, logAppendTime: -1 });
  });

  it('OUT_OF_ORDER_SEQUENCE_NUMBER at the head of the partition: not written, numbered again', () => {
    const v = judge(answer(45), view({ lowest: true }), 't-0');
    expect(v.kind).toBe('rewrite');
  });

  it('UNKNOWN_PRODUCER_ID is numbered again, wherever the batch is', () => {
    expect(judge(answer(59), view({ lowest: false }), 't-0').kind).toBe('rewrite');
  });

  it('a sequence error about a batch without a sequence fails it', () => {
    expect(judge(answer(45), view({ numbered: false }), 't-0').kind).toBe('fail');
  });

  it('INVALID_PRODUCER_EPOCH for a batch numbered before a bump: numbered again', () => {
    expect(judge(answer(47), view({ staleEpoch: true }), 't-0').kind).toBe('rewrite');
  });

  it('INVALID_PRODUCER_EPOCH for a batch of the current epoch, or without a sequence, fails it', () => {
    expect(judge(answer(47), view({ staleEpoch: false }), 't-0').kind).toBe('fail');
    expect(judge(answer(47), view({ numbered: false, staleEpoch: true }), 't-0').kind).toBe('fail');
  });

  it('MESSAGE_TOO_LARGE splits a batch of several records, and fails a single record saying which limit', () => {
    expect(judge(answer(10), view({ count: 2 }), 't-0')).toEqual({ kind: 'split' });
    const v = judge(answer(10), view({ count: 1 }), 't-0');
    expect(v.kind).toBe('fail');
    expect(v.kind === 'fail' && v.error.message).toMatch(/larger than the topic's max.message.bytes/);
  });

  it('NOT_LEADER_OR_FOLLOWER: follows the leader the broker names, or refreshes metadata when it names none', () => {
    expect(judge(answer(6, { currentLeader: { leaderId: 2, leaderEpoch: 5 } }), view(), 't-0')).toMatchObject({ kind: 'retry', refreshMetadata: false, leader: { id: 2, epoch: 5 } });
    // Node 0 is a broker like any other.
    expect(judge(answer(6, { currentLeader: { leaderId: 0, leaderEpoch: 1 } }), view(), 't-0')).toMatchObject({ kind: 'retry', refreshMetadata: false, leader: { id: 0, epoch: 1 } });
    expect(judge(answer(6, { currentLeader: { leaderId: -1, leaderEpoch: -1 } }), view(), 't-0')).toMatchObject({ kind: 'retry', refreshMetadata: true, leader: null });
    expect(judge(answer(6), view(), 't-0')).toMatchObject({ kind: 'retry', refreshMetadata: true, leader: null });
  });

  it('retriable errors are retried as they are; fatal ones stop the producer; the rest fail the batch', () => {
    expect(judge(answer(7), view(), 't-0')).toMatchObject({ kind: 'retry', refreshMetadata: false, leader: null });
    expect(judge(answer(16), view(), 't-0')).toMatchObject({ kind: 'retry', refreshMetadata: false });
    expect(judge(answer(31), view(), 't-0').kind).toBe('fatal');
    expect(judge(answer(32), view(), 't-0').kind).toBe('fail');
  });

  it("the error names where, and carries the broker's message and record errors", () => {
    const v = judge(answer(87, { errorMessage: 'bad', recordErrors: [{ batchIndex: 3, batchIndexErrorMessage: null }] }), view(), 't-4');
    expect(v.kind === 'fail' && v.error.message).toBe('Produce to t-4: INVALID_RECORD (error code 87) (broker said: bad; record 3: invalid)');
    const records = judge(answer(87, { recordErrors: [{ batchIndex: 0, batchIndexErrorMessage: 'null key' }] }), view(), 't-4');
    expect(records.kind === 'fail' && records.error.message).toBe('Produce to t-4: INVALID_RECORD (error code 87) (broker said: record 0: null key)');
    const plain = judge(answer(32), view(), 't-4');
    expect(plain.kind === 'fail' && plain.error.message).toBe('Produce to t-4: INVALID_TIMESTAMP (error code 32)');
  });
});

/** A ProducerIds whose InitProducerId answers come from `answers`, in order; what its hooks were told. */
function ids(answers: InitProducerIdResponse[]) {
  const told = { inits: 0, wakes: 0, retries: [] as number[], backoffEnds: [] as (() => void)[], fatal: [] as ProducerFatalError[], bumps: [] as [string, string][] };
  const hooks: ProducerIdHooks = {
    initProducerId: async () => {
      told.inits++;
      const a = answers.shift();
      if (!a) throw new Error('no answer');
      return a;
    },
    retryLater: (ms, then) => {
      told.retries.push(ms);
      if (then) told.backoffEnds.push(then);
    },
    wake: () => void told.wakes++,
    fatal: (e) => void told.fatal.push(e),
    bumped: (from, to) => void told.bumps.push([`${from.producerId}/${from.epoch}`, `${to.producerId}/${to.epoch}`]),
  };
  return { p: new ProducerIds(true, 100, hooks), told };
}

const granted = (producerId: number, producerEpoch: number, errorCode = 0): InitProducerIdResponse => ({
  throttleTimeMs: 0,
  errorCode,
  producerId,
  producerEpoch,
  ongoingTxnProducerId: -1,
  ongoingTxnProducerEpoch: -1,
});

const tick = () => new Promise<void>((r) => setImmediate(r));

/** A partition numbered under the producer's current id and epoch. */
function numberedQueue(p: ProducerIds, partition = 0): PartitionQueue {
  const q = new PartitionQueue(partition, 't', partition);
  expect(p.mayNumber(q)).toBe(true);
  return q;
}

function pendingBatch(q: PartitionQueue): SenderBatch {
  const b = new SenderBatch(0, 1, 0, 1, Buffer.alloc(0), 1, 1, 1, 0);
  q.assignSequence(b);
  q.inFlight.add(b);
  return b;
}

describe('ProducerIds', () => {
  it('takes the first id when there are batches, and numbers under it', async () => {
    const { p, told } = ids([granted(7, 3)]);
    p.step([], false);
    expect(told.inits).toBe(0);
    p.step([], true);
    p.step([], true);
    expect(told.inits).toBe(1);
    await tick();
    expect([p.producerId, p.epoch, p.ready]).toEqual([7, 3, true]);
    expect(told.wakes).toBe(1);
    const q = numberedQueue(p);
    expect([q.sequenceProducerId, q.sequenceEpoch, q.nextSequence]).toEqual([7, 3, 0]);
  });

  it('a gap bumps the epoch once its partition has no numbered batch pending; the partition starts again at 0', async () => {
    const { p, told } = ids([granted(7, 0)]);
    p.start();
    await tick();
    const q = numberedQueue(p);
    const b = pendingBatch(q);
    pendingBatch(q);
    p.gapAt(q, b.producerId, b.producerEpoch);
    expect(q.needsBump).toBe(true);
    expect(p.mayNumber(q)).toBe(false);
    // The batch after the gap is still out: no bump yet.
    p.step([q], true);
    expect(told.bumps).toEqual([]);
    q.inFlight.clear();
    p.step([q], true);
    expect(told.bumps).toEqual([['7/0', '7/1']]);
    expect([p.producerId, p.epoch, p.bumps]).toEqual([7, 1, 1]);
    // The Sender is woken to number the waiting batches under the new epoch.
    expect(told.wakes).toBe(2);
    expect(p.mayNumber(q)).toBe(true);
    expect([q.sequenceEpoch, q.nextSequence, q.needsBump]).toEqual([1, 0, false]);
  });

  it('start() asks for an id once: not again while asking, nor once it has one', async () => {
    const { p, told } = ids([granted(7, 0)]);
    p.start();
    p.start();
    await tick();
    p.start();
    expect(told.inits).toBe(1);
    expect(p.producerId).toBe(7);
  });

  it('a gap reported for a batch numbered before the last bump asks for nothing', async () => {
    const { p, told } = ids([granted(7, 4)]);
    p.start();
    await tick();
    const q = numberedQueue(p);
    p.gapAt(q, 7, 3);
    // Another producer id with the same epoch is as stale.
    p.gapAt(q, 6, 4);
    expect(q.needsBump).toBe(false);
    p.step([q], true);
    expect(told.bumps).toEqual([]);
  });

  it('a partition that asked under an older epoch is answered by the bump since: it neither blocks nor asks again', async () => {
    const { p, told } = ids([granted(7, 0)]);
    p.start();
    await tick();
    const stale = numberedQueue(p, 0);
    const asking = numberedQueue(p, 1);
    stale.needsBump = true;
    asking.needsBump = true;
    p.step([stale, asking], true);
    expect(told.bumps).toEqual([['7/0', '7/1']]);
    // `stale` still has a batch of epoch 0 pending, and its ask was answered: the next gap elsewhere bumps at once.
    pendingBatch(stale);
    // Its new batches wait for the old one, numbered under nothing new meanwhile.
    expect(p.mayNumber(stale)).toBe(false);
    expect(stale.sequenceEpoch).toBe(0);
    const next = numberedQueue(p, 2);
    next.needsBump = true;
    p.step([stale, next], true);
    expect(told.bumps).toEqual([
      ['7/0', '7/1'],
      ['7/1', '7/2'],
    ]);
  });

  it('at epoch 32767 a bump takes a new producer id instead, and every partition starts again at 0 under it', async () => {
    const { p, told } = ids([granted(7, 32766), granted(8, 0)]);
    p.start();
    await tick();
    const q = numberedQueue(p);
    // A partition last numbered at epoch 0 of the old id: the new id starts at epoch 0 too, and must restart it all the same.
    const idle = new PartitionQueue(9, 't', 9);
    idle.restartSequences(7, 0);
    idle.nextSequence = 5;
    q.needsBump = true;
    p.step([q], true);
    expect([p.producerId, p.epoch]).toEqual([7, 32767]);
    expect(told.inits).toBe(1);
    // The epoch cannot pass 32767 (an int16): the next bump is a new id.
    expect(p.mayNumber(q)).toBe(true);
    q.needsBump = true;
    p.step([q], true);
    expect(told.inits).toBe(2);
    // Nothing is drained until the new id is there.
    expect(p.ready).toBe(false);
    await tick();
    expect([p.producerId, p.epoch, p.bumps]).toEqual([8, 0, 2]);
    expect(told.bumps).toEqual([['7/32766', '7/32767']]);
    expect(p.mayNumber(q)).toBe(true);
    expect([q.sequenceProducerId, q.sequenceEpoch, q.nextSequence]).toEqual([8, 0, 0]);
    expect(p.mayNumber(idle)).toBe(true);
    expect([idle.sequenceProducerId, idle.sequenceEpoch, idle.nextSequence]).toEqual([8, 0, 0]);
  });

  it('producer id 0 is an id like any other', async () => {
    const { p, told } = ids([granted(0, 0)]);
    p.start();
    await tick();
    expect(p.ready).toBe(true);
    p.start();
    p.step([], true);
    expect(told.inits).toBe(1);
  });

  it('a retriable InitProducerId error, or no broker, tries again after retryBackoffMs, not before; a fatal one fails for good', async () => {
    const { p, told } = ids([granted(-1, -1, 15)]);
    p.start();
    await tick();
    expect(told.retries).toEqual([100]);
    // Within the backoff a drain does not ask again.
    p.start();
    await tick();
    expect(told.inits).toBe(1);
    // Once it passed, it asks again: not stuck after a failed attempt.
    for (const end of told.backoffEnds.splice(0)) end();
    p.start();
    expect(told.inits).toBe(2);
    await tick();
    const f = ids([granted(-1, -1, 31)]);
    f.p.start();
    await tick();
    expect(f.told.fatal).toHaveLength(1);
    expect(f.told.fatal[0]?.message).toMatch(/InitProducerId failed with CLUSTER_AUTHORIZATION_FAILED/);
    expect((f.told.fatal[0]?.cause as Error).message).toBe('InitProducerId: CLUSTER_AUTHORIZATION_FAILED (error code 31)');
    f.p.step([], true);
    expect(f.told.inits).toBe(1);
  });

  it('without idempotence, or when transactional, it never asks for an id', () => {
    let asked = 0;
    const hooks = { initProducerId: async () => (asked++, granted(1, 0)), retryLater() {}, wake() {}, fatal() {}, bumped() {} };
    const off = new ProducerIds(false, 100, hooks);
    off.start();
    off.step([], true);
    expect(off.ready).toBe(true);
    expect(off.mayNumber(new PartitionQueue(0, 't', 0))).toBe(true);
    const txn = new ProducerIds(true, 100, hooks);
    txn.transactional = true;
    txn.start();
    txn.step([], true);
    expect(asked).toBe(0);
    expect(txn.ready).toBe(false);
    txn.adopt(5, 2);
    expect([txn.producerId, txn.epoch, txn.ready]).toEqual([5, 2, true]);
  });
});
