// The Sender's pure parts: sequence numbering across the wrap, and request
// packing within maxRequestSize.

import { describe, expect, it } from 'vitest';
import { MAX_SEQUENCE, PartitionQueue } from '../../src/sender/partition-queue.js';
import { buildProduceRequest, PER_PARTITION_OVERHEAD, type BuildGate } from '../../src/sender/request-builder.js';
import { SenderBatch } from '../../src/sender/sender-batch.js';
import { buildRecordBatch } from '../../src/protocol/record-batch.js';

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
