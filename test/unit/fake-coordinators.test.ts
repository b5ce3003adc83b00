// The fake cluster's coordinator model (test/support/fake-cluster/): every
// pair of TransactionMetadata states checked against Kafka's table of valid
// previous states, and the coordinator's answers that the simulator's
// oracle relies on: epochs and fencing, KIP-360 bumps and their retries,
// per-partition AddPartitionsToTxn results, EndTxn retries under
// transactions v1 and v2, offsets that count only with the commit marker,
// partition verification, and the last stable offset.

import { describe, expect, it } from 'vitest';
import { FakeCluster, ManualClock } from '../support/fake-cluster.js';
import { FakeGroupCoordinator } from '../support/fake-cluster/group-coordinator.js';
import { FakeTransactionCoordinator } from '../support/fake-cluster/txn-coordinator.js';
import { IllegalTxnTransition, MAX_EPOCH, TransactionMetadata, TXN_STATES, VALID_PREVIOUS, type TxnState } from '../support/fake-cluster/txn-state.js';
import { buildRecordBatch } from '../../src/protocol/record-batch.js';

/** Kafka's TransactionMetadata table (kafka.coordinator.transaction), written out pair by pair; PrepareAbort from Empty and the Complete states is KIP-890's. */
const KAFKA_TABLE: [TxnState, TxnState][] = [
  ['Empty', 'Empty'],
  ['CompleteCommit', 'Empty'],
  ['CompleteAbort', 'Empty'],
  ['Ongoing', 'Ongoing'],
  ['Empty', 'Ongoing'],
  ['CompleteCommit', 'Ongoing'],
  ['CompleteAbort', 'Ongoing'],
  ['Ongoing', 'PrepareCommit'],
  ['Ongoing', 'PrepareAbort'],
  ['PrepareEpochFence', 'PrepareAbort'],
  ['Empty', 'PrepareAbort'],
  ['CompleteCommit', 'PrepareAbort'],
  ['CompleteAbort', 'PrepareAbort'],
  ['PrepareCommit', 'CompleteCommit'],
  ['PrepareAbort', 'CompleteAbort'],
  ['Ongoing', 'PrepareEpochFence'],
  ['Empty', 'Dead'],
  ['CompleteAbort', 'Dead'],
  ['CompleteCommit', 'Dead'],
];

/** Drives a fresh metadata into `state` along allowed transitions. */
function inState(state: TxnState): TransactionMetadata {
  const paths: Record<TxnState, TxnState[]> = {
    Empty: [],
    Ongoing: ['Ongoing'],
    PrepareCommit: ['Ongoing', 'PrepareCommit'],
    PrepareAbort: ['Ongoing', 'PrepareAbort'],
    CompleteCommit: ['Ongoing', 'PrepareCommit', 'CompleteCommit'],
    CompleteAbort: ['Ongoing', 'PrepareAbort', 'CompleteAbort'],
    PrepareEpochFence: ['Ongoing', 'PrepareEpochFence'],
    Dead: ['Dead'],
  };
  const m = new TransactionMetadata('t', 1, 0, 60_000);
  for (const s of paths[state]) m.transitionTo(s);
  expect(m.state).toBe(state);
  return m;
}

describe('TransactionMetadata (the coordinator model)', () => {
  const allowed = new Set(KAFKA_TABLE.map(([from, to]) => `${from}->${to}`));

  it("has exactly Kafka's table of valid previous states", () => {
    const modelled = TXN_STATES.flatMap((to) => VALID_PREVIOUS[to].map((from) => `${from}->${to}`));
    expect(new Set(modelled)).toEqual(allowed);
  });

  for (const from of TXN_STATES) {
    for (const to of TXN_STATES) {
      const ok = allowed.has(`${from}->${to}`);
      it(`${from} -> ${to} is ${ok ? 'allowed' : 'refused'}`, () => {
        const m = inState(from);
        if (ok) {
          m.transitionTo(to);
          expect(m.state).toBe(to);
        } else {
          expect(() => m.transitionTo(to)).toThrow(IllegalTxnTransition);
          expect(m.state).toBe(from);
        }
      });
    }
  }

  it('takes a new producer id at epoch 0 when the epoch is exhausted, remembering the old one for retries', () => {
    const m = new TransactionMetadata('t', 7, MAX_EPOCH - 1, 60_000);
    m.bumpEpoch(() => 8);
    expect([m.producerId, m.epoch, m.lastProducerId, m.lastEpoch]).toEqual([8, 0, 7, MAX_EPOCH - 1]);
  });
});

function coordinator() {
  const clock = new ManualClock(0);
  const groups = new FakeGroupCoordinator();
  const markers: string[] = [];
  let nextId = 100;
  const c = new FakeTransactionCoordinator({
    now: () => clock.now(),
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    partitionExists: (key) => key.startsWith('t-'),
    writeMarker: (key, pid, epoch, commit) => markers.push(`${key} ${pid}/${epoch} ${commit ? 'commit' : 'abort'}`),
    groups,
    newProducerId: () => nextId++,
    markerDelayMs: () => 1,
    firstEpoch: () => 0,
  });
  const init = (producerId = -1, producerEpoch = -1) => c.initProducerId({ transactionalId: 'x', transactionTimeoutMs: 60_000, producerId, producerEpoch });
  const add = (pid: number, epoch: number, partitions: number[], topic = 't') =>
    c.addPartitions({ v3AndBelowTransactionalId: 'x', v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: epoch, v3AndBelowTopics: [{ name: topic, partitions }] });
  const end = (pid: number, epoch: number, committed: boolean, version = 4) => c.endTxn({ transactionalId: 'x', producerId: pid, producerEpoch: epoch, committed }, version);
  return { clock, groups, markers, c, init, add, end };
}

describe('the fake transaction coordinator', () => {
  it('gives a new id at epoch 0, then bumps the epoch for each initTransactions (fencing the older instance)', () => {
    const { init, add } = coordinator();
    expect(init()).toMatchObject({ errorCode: 0, producerId: 100, producerEpoch: 0 });
    expect(init()).toMatchObject({ errorCode: 0, producerId: 100, producerEpoch: 1 });
    expect(add(100, 0, [0]).resultsByTopicV3AndBelow[0]?.resultsByPartition[0]?.partitionErrorCode).toBe(90);
  });

  it('fences and aborts an open transaction at InitProducerId, answering CONCURRENT_TRANSACTIONS until the markers are written', async () => {
    const { init, add, clock, markers, c } = coordinator();
    init();
    add(100, 0, [0]);
    expect(init().errorCode).toBe(51);
    expect(c.txns.get('x')?.state).toBe('PrepareAbort');
    await clock.advance(2);
    expect(markers).toEqual(['t-0 100/1 abort']);
    expect(init()).toMatchObject({ errorCode: 0, producerEpoch: 2 });
  });

  it('bumps the epoch for a KIP-360 request naming the current id and epoch, answers a retried bump alike, fences a stale one', () => {
    const { init } = coordinator();
    init();
    expect(init(100, 0)).toMatchObject({ errorCode: 0, producerEpoch: 1 });
    expect(init(100, 0)).toMatchObject({ errorCode: 0, producerEpoch: 1 });
    expect(init(100, 5).errorCode).toBe(90);
  });

  it('answers AddPartitionsToTxn per partition: the unknown one UNKNOWN_TOPIC_OR_PARTITION, the others OPERATION_NOT_ATTEMPTED', () => {
    const { init, add, c } = coordinator();
    init();
    const res = c.addPartitions({
      v3AndBelowTransactionalId: 'x',
      v3AndBelowProducerId: 100,
      v3AndBelowProducerEpoch: 0,
      v3AndBelowTopics: [
        { name: 't', partitions: [0] },
        { name: 'u', partitions: [0] },
      ],
    });
    expect(res.resultsByTopicV3AndBelow.map((t) => t.resultsByPartition[0]?.partitionErrorCode)).toEqual([55, 3]);
    expect(c.txns.get('x')?.state).toBe('Empty');
    expect(add(999, 0, [0]).resultsByTopicV3AndBelow[0]?.resultsByPartition[0]?.partitionErrorCode).toBe(49);
  });

  it('v1: EndTxn(commit) answered again NONE once complete; an abort of a committed transaction is INVALID_TXN_STATE', async () => {
    const { init, add, end, clock, markers } = coordinator();
    init();
    add(100, 0, [0, 1]);
    expect(end(100, 0, true).errorCode).toBe(0);
    expect(end(100, 0, true).errorCode).toBe(51);
    await clock.advance(2);
    expect(markers).toEqual(['t-0 100/0 commit', 't-1 100/0 commit']);
    expect(end(100, 0, true).errorCode).toBe(0);
    expect(end(100, 0, false).errorCode).toBe(48);
  });

  it('v2: EndTxn bumps the epoch, writes markers at the new epoch, and a retry with the old epoch gets the same answer', async () => {
    const { init, end, clock, markers, c } = coordinator();
    init();
    expect(c.verifyProduce('x', 't-0', 100, 0, 12)).toBe(0);
    expect(end(100, 0, true, 5)).toMatchObject({ errorCode: 0, producerId: 100, producerEpoch: 1 });
    await clock.advance(2);
    expect(markers).toEqual(['t-0 100/1 commit']);
    expect(end(100, 0, true, 5)).toMatchObject({ errorCode: 0, producerEpoch: 1 });
    expect(end(100, 0, false, 5).errorCode).toBe(48);
  });

  // Kafka answers EndTxn while the markers of the last transaction are written (PrepareX with CompleteX pending) CONCURRENT_TRANSACTIONS,
  // whatever its outcome, and under v2 before the epoch check (KAFKA-18464): the next transaction's EndTxn at the bumped epoch must wait, not fail.
  it('v2: an EndTxn(abort) of the next transaction while the commit markers are written waits (CONCURRENT_TRANSACTIONS), then bumps', async () => {
    const { init, end, clock, markers, c } = coordinator();
    init();
    c.verifyProduce('x', 't-0', 100, 0, 12);
    expect(end(100, 0, true, 5)).toMatchObject({ errorCode: 0, producerEpoch: 1 });
    expect(c.verifyProduce('x', 't-1', 100, 1, 12)).toBe(51);
    expect(end(100, 1, false, 5).errorCode).toBe(51);
    expect(end(100, 0, false, 5).errorCode).toBe(51);
    await clock.advance(2);
    expect(markers).toEqual(['t-0 100/1 commit']);
    expect(end(100, 1, false, 5)).toMatchObject({ errorCode: 0, producerId: 100, producerEpoch: 2 });
  });

  it('v2: past the highest epoch, the next transaction under the new producer id waits for the markers alike', async () => {
    const { c, clock, end } = coordinator();
    c.initProducerId({ transactionalId: 'x', transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    const m = c.txns.get('x') as TransactionMetadata;
    m.epoch = MAX_EPOCH - 1;
    c.verifyProduce('x', 't-0', 100, MAX_EPOCH - 1, 12);
    expect(end(100, MAX_EPOCH - 1, true, 5)).toMatchObject({ errorCode: 0, producerId: 101, producerEpoch: 0 });
    expect(end(101, 0, false, 5).errorCode).toBe(51);
    await clock.advance(2);
    expect(end(101, 0, false, 5)).toMatchObject({ errorCode: 0, producerId: 101, producerEpoch: 1 });
  });

  it('v1: an EndTxn(abort) while the commit markers are written is CONCURRENT_TRANSACTIONS, not INVALID_TXN_STATE', async () => {
    const { init, add, end, clock } = coordinator();
    init();
    add(100, 0, [0]);
    expect(end(100, 0, true).errorCode).toBe(0);
    expect(end(100, 0, false).errorCode).toBe(51);
    expect(end(100, 1, false).errorCode).toBe(90);
    await clock.advance(2);
    expect(end(100, 0, false).errorCode).toBe(48);
  });

  it('verifies a v1 transactional Produce: only a partition added to the ongoing transaction, under the current epoch', () => {
    const { init, add, c } = coordinator();
    init();
    expect(c.verifyProduce('x', 't-0', 100, 0, 11)).toBe(48);
    add(100, 0, [0]);
    expect(c.verifyProduce('x', 't-0', 100, 0, 11)).toBe(0);
    expect(c.verifyProduce('x', 't-1', 100, 0, 11)).toBe(48);
    expect(c.verifyProduce('x', 't-0', 100, 1, 11)).toBe(47);
    expect(c.verifyProduce('x', 't-0', 101, 0, 11)).toBe(49);
  });

  it('counts transactional offsets only once the commit marker reaches the group; an abort drops them', async () => {
    const { init, end, clock, groups, c } = coordinator();
    const offsets = (epoch: number) => ({ transactionalId: 'x', groupId: 'g', producerId: 100, producerEpoch: epoch, topics: [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: 5, committedMetadata: null }] }] });
    init();
    expect(c.txnOffsetCommit(offsets(0), 4).topics[0]?.partitions[0]?.errorCode).toBe(48);
    c.addOffsets({ transactionalId: 'x', producerId: 100, producerEpoch: 0, groupId: 'g' });
    expect(c.txnOffsetCommit(offsets(0), 4).topics[0]?.partitions[0]?.errorCode).toBe(0);
    expect(groups.pendingFor('g')).toBe(1);
    end(100, 0, false);
    await clock.advance(2);
    expect(groups.committed.get('g')).toBeUndefined();
    c.addOffsets({ transactionalId: 'x', producerId: 100, producerEpoch: 0, groupId: 'g' });
    c.txnOffsetCommit(offsets(0), 4);
    end(100, 0, true);
    expect(groups.committed.get('g')).toBeUndefined();
    await clock.advance(2);
    expect(groups.committed.get('g')?.get('in-0')).toBe(5);
  });

  it('aborts a transaction open past its timeout and fences the producer', async () => {
    const { init, add, end, clock, c } = coordinator();
    init();
    add(100, 0, [0]);
    await clock.advance(60_010);
    expect(c.timedOut).toBe(1);
    expect(c.txns.get('x')?.state).toBe('CompleteAbort');
    expect(end(100, 0, true).errorCode).toBe(90);
  });
});

describe('a fake partition with transactions', () => {
  const batch = (pid: number, epoch: number, seq: number, values: string[]) =>
    buildRecordBatch(
      values.map((v) => ({ key: null, value: Buffer.from(v), headers: [], timestamp: 0 })),
      { producerId: pid, producerEpoch: epoch, baseSequence: seq, transactional: true },
    );

  it('holds read_committed at the last stable offset and leaves aborted records out', () => {
    const cluster = new FakeCluster([{ name: 't', partitions: 1 }], new ManualClock(0));
    const p = cluster.partition('t', 0);
    p.append(batch(1, 0, 0, ['a1']));
    p.append(batch(2, 0, 0, ['b1']));
    expect(p.lastStableOffset).toBe(0);
    expect(p.readCommitted()).toEqual([]);
    p.writeMarker(2, 0, false);
    expect(p.readCommitted()).toEqual([]);
    p.writeMarker(1, 0, true);
    expect(p.lastStableOffset).toBe(p.endOffset);
    expect(p.readCommitted()).toEqual(['a1']);
    // A marker at a higher epoch fences the older one.
    p.writeMarker(1, 1, false);
    expect(p.append(batch(1, 0, 1, ['a2'])).errorCode).toBe(47);
  });
});
