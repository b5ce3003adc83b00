// The Sender's pure parts: sequence numbering across the wrap (and what an
// acknowledged sequence says of earlier ones), request
// packing within maxRequestSize, and the intake's reading of slots.

import { describe, expect, it } from 'vitest';
import { MAX_SEQUENCE, PartitionQueue } from '../../src/sender/partition-queue.js';
import { buildProduceRequest, PER_PARTITION_OVERHEAD, type BuildGate } from '../../src/sender/request-builder.js';
import { SenderBatch } from '../../src/sender/sender-batch.js';
import { judge } from '../../src/sender/response-policy.js';
import { buildRecordBatch, decodeRecordBatches } from '../../src/protocol/record-batch.js';
import { loadCodecs } from '../../src/protocol/compression.js';
import { EventRing } from '../../src/accumulator/event-ring.js';
import { encodeEvent, EVENT_OPENED, EVENT_SEALED } from '../../src/accumulator/record-accumulator.js';
import { APPENDING, OPEN, SEALED, Slot } from '../../src/accumulator/slot.js';
import { Intake } from '../../src/sender/intake.js';

let order = 0;
function batch(count: number, valueSize = 10): SenderBatch {
  const bytes = buildRecordBatch(Array.from({ length: count }, () => ({ key: null, value: Buffer.alloc(valueSize), timestamp: 1 })));
  return new SenderBatch(0, 1, 0, count, bytes, 1, 1, 1, order++);
}

const gate: BuildGate = {
  mayDrain: () => true,
  number: (q, b) => q.assignSequence(b),
  failed: () => {
    throw new Error('no batch should fail here');
  },
};

describe('sequence numbers', () => {
  it('wrap to 0 after 2^31-1, as the broker expects', () => {
    const q = new PartitionQueue(0, 't', 0);
    q.restartSequences(7, 0);
    q.nextSequence = MAX_SEQUENCE - 1;
    const a = batch(3);
    const b = batch(2);
    q.assignSequence(a);
    q.assignSequence(b);
    expect([a.baseSequence, a.producerId, a.producerEpoch]).toEqual([MAX_SEQUENCE - 1, 7, 0]);
    expect(b.baseSequence).toBe(1);
    expect(q.nextSequence).toBe(3);
  });

  it('keep batch order across the wrap when a retry goes back in the queue', () => {
    const q = new PartitionQueue(0, 't', 0);
    q.restartSequences(7, 0);
    q.nextSequence = MAX_SEQUENCE;
    const a = batch(1);
    const b = batch(1);
    q.assignSequence(a);
    q.assignSequence(b);
    q.queue.push(b);
    q.inFlight.add(a);
    q.requeue(a);
    expect(q.queue.map((x) => x.baseSequence)).toEqual([MAX_SEQUENCE, 0]);
  });

  it('a batch with a later one of its id and epoch acknowledged is in the log: OUT_OF_ORDER or UNKNOWN_PRODUCER_ID for it is not a rewrite (KIP-360)', () => {
    const q = new PartitionQueue(0, 't', 0);
    q.restartSequences(7, 0);
    q.nextSequence = MAX_SEQUENCE;
    const [a, b, c] = [batch(1), batch(1), batch(1)];
    for (const x of [a, b, c]) q.assignSequence(x);
    const view = (x: SenderBatch) => ({ count: 1, numbered: true, staleEpoch: false, lowestPending: () => true, ackedAfter: () => q.ackedAfter(x) });
    const answer = (errorCode: number) => ({ index: 0, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null });
    expect(judge(answer(45), view(a), 't-0').kind, 'nothing after it acknowledged yet').toBe('rewrite');
    // b (sequence 0, past the wrap) is acknowledged: a (2^31-1) was taken before it; c, after it, was not.
    q.acknowledged(b);
    expect(q.ackedAfter(a)).toBe(true);
    expect(q.ackedAfter(c)).toBe(false);
    expect(judge(answer(45), view(a), 't-0')).toEqual({ kind: 'succeed', baseOffset: -1, logAppendTime: -1 });
    expect(judge(answer(59), view(a), 't-0').kind).toBe('succeed');
    expect(judge(answer(45), view(c), 't-0').kind).toBe('rewrite');
    // Under a new epoch a's numbers say nothing about what was taken after it.
    const d = batch(1);
    q.restartSequences(7, 1);
    q.assignSequence(d);
    q.acknowledged(d);
    expect(q.ackedAfter(a)).toBe(false);
  });
});

describe('compression', () => {
  it('a batch numbered again (new epoch) is not compressed again: only its header is sealed anew', async () => {
    await loadCodecs();
    for (const codec of ['lz4', 'zstd', 'snappy', 'gzip'] as const) {
      const b = batch(20, 300);
      b.assign(7, 0, 40);
      const first = b.prepare(codec, false);
      const body = Buffer.from(first.subarray(61));
      b.unassign();
      b.assign(7, 1, 0);
      const second = b.prepare(codec, false);
      // The same buffer, resealed: compressing again would make a new one.
      expect(second, codec).toBe(first);
      expect(second.subarray(61).equals(body), codec).toBe(true);
      const [decoded] = decodeRecordBatches(second);
      expect([decoded?.producerEpoch, decoded?.baseSequence, decoded?.crcValid, decoded?.records.length], codec).toEqual([1, 0, true, 20]);
    }
  });
});

describe('request packing', () => {
  it('takes each partition\'s head batch while the request stays within maxRequestSize; a lone batch may exceed it', () => {
    const queues = [0, 1, 2].map((p) => new PartitionQueue(p, 't', p));
    for (const q of queues) q.queue.push(batch(10, 100), batch(10, 100));
    const one = (queues[0]?.queue[0] as SenderBatch).bytes.length + PER_PARTITION_OVERHEAD;
    const limits = { acks: -1 as const, transactionalId: null, requestTimeoutMs: 1000, maxRequestSize: 2 * one, compressionType: 'none' as const, maxInFlightRequestsPerConnection: 5 };
    const first = buildProduceRequest(queues, limits, gate);
    expect(first?.batchCount).toBe(2);
    expect(first?.body.topicData[0]?.partitionData.map((p) => p.index)).toEqual([0, 1]);
    // The next request starts where the last one stopped, so partition 2 is not starved.
    const lone = buildProduceRequest(queues, { ...limits, maxRequestSize: 10 }, gate, 2);
    expect(lone?.batchCount).toBe(1);
    expect(lone?.body.topicData[0]?.partitionData.map((p) => p.index)).toEqual([2]);
  });
});

describe('intake', () => {
  it('an event about a slot whose id was given again waits for the new mapping: the old slot, dropped, is FREE', () => {
    const intake = new Intake(0, 16384, { wake() {}, scheduleAt() {} });
    const ring = new EventRing(16);
    intake.addPartition(0, 't', 0);
    // Slot 3 held a batch, was dropped on main, and a new slot 3 was created; the sender has not read those messages yet.
    const old = new Slot(3, 256);
    intake.addSlot(3, old.sab);
    const fresh = new Slot(3, 256);
    fresh.open(0, 1, 1);
    fresh.publish(1, 100, 1);
    fresh.endAppend();
    fresh.trySeal();
    ring.push(encodeEvent(3, EVENT_SEALED));
    intake.readEvents(ring);
    expect(intake.queues.get(0)?.queue).toHaveLength(0);
    intake.dropSlot(3);
    intake.addSlot(3, fresh.sab);
    const [batch] = intake.queues.get(0)?.queue ?? [];
    expect(batch?.count).toBe(1);
    expect(batch?.bytes.length).toBe(100);
  });

  it('an idle wire seals open batches at once while they hold at most batchSize between them; past that they linger', () => {
    const scheduled: number[] = [];
    const intake = new Intake(5, 256, { wake() {}, scheduleAt: (at) => scheduled.push(at) });
    const ring = new EventRing(16);
    const open = (id: number, tpRef: number, used: number) => {
      intake.addPartition(tpRef, 't', tpRef);
      const slot = new Slot(id, 512);
      intake.addSlot(id, slot.sab);
      slot.open(tpRef, 100, 100);
      slot.publish(1, used, 100);
      slot.endAppend();
      ring.push(encodeEvent(id, EVENT_OPENED));
      return slot;
    };
    const idle = () => true;
    // Two small batches, 200 bytes between them: the wire is idle, they go now.
    open(0, 0, 100);
    open(1, 1, 100);
    intake.readEvents(ring);
    intake.sealLingering(101, idle);
    expect([0, 1].map((ref) => intake.queues.get(ref)?.queue.length)).toEqual([1, 1]);
    // Two batches of 150 bytes, 300 between them: records come faster than the wire empties, so they fill until linger.
    const a = open(2, 2, 150);
    const b = open(3, 3, 150);
    intake.readEvents(ring);
    intake.sealLingering(101, idle);
    expect([a.state, b.state]).toEqual([OPEN, OPEN]);
    expect(scheduled).toContain(105);
    intake.sealLingering(105, idle);
    expect([a.state, b.state]).toEqual([SEALED, SEALED]);
    expect([2, 3].map((ref) => intake.queues.get(ref)?.queue.length)).toEqual([1, 1]);
  });

  it('a batch main holds at linger time: the sender asks main to seal it, and tries again in a millisecond', () => {
    const scheduled: number[] = [];
    const intake = new Intake(5, 16384, { wake() {}, scheduleAt: (at) => scheduled.push(at) });
    const ring = new EventRing(16);
    intake.addPartition(0, 't', 0);
    const main = new Slot(0, 512);
    intake.addSlot(0, main.sab);
    main.open(0, 100, 100);
    main.publish(1, 100, 100);
    main.endAppend();
    ring.push(encodeEvent(0, EVENT_OPENED));
    intake.readEvents(ring);
    expect(main.beginAppend()).toBe(true);
    intake.sealLingering(105);
    expect(main.state).toBe(APPENDING);
    expect(scheduled).toContain(106);
    expect(main.takeSealWanted()).toBe(true);
    expect(main.takeSealWanted()).toBe(false);
  });

  it('reads a slot that grew after the sender mapped it: the bytes it sees reach the end of the last record', () => {
    const main = new Slot(0, 256, 4096);
    const seen = new Slot(0, main.sab);
    expect(seen.bytes.length).toBe(256);
    main.open(0, 1, 1);
    main.grow(1024);
    main.bytes.fill(7, 900, 1000);
    main.publish(9, 1000, 1);
    main.endAppend();
    expect(seen.trySeal()).toBe(true);
    expect(seen.bytes.length).toBe(1024);
    expect(SenderBatch.fromSlot(seen, 0).bytes.subarray(900, 1000).every((b) => b === 7)).toBe(true);
  });
});
