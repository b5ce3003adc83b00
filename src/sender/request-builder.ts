// Builds one Produce request for a broker: the head batch of each ready
// partition led by it, up to maxRequestSize (a lone batch may exceed it: the
// broker judges it). Numbering (idempotence) happens here, at a batch's first
// drain, through the gate the loop passes in.

import type { CompressionType } from '../protocol/compression.js';
import type { ProduceRequest } from '../protocol/apis/produce.js';
import type { PartitionQueue } from './partition-queue.js';
import type { SenderBatch } from './sender-batch.js';

/** Produce request overhead besides the batches (headers, names, counts): a safe upper bound per partition. */
export const PER_PARTITION_OVERHEAD = 64;

export interface RequestLimits {
  acks: -1 | 0 | 1;
  requestTimeoutMs: number;
  maxRequestSize: number;
  compressionType: CompressionType;
  /** 1 keeps order without idempotence: a partition waits for its batch in flight. */
  maxInFlightRequestsPerConnection: number;
  /** Set: the batches belong to this producer's transactions (flagged so, and the request names the id). */
  transactionalId: string | null;
}

export interface BuildGate {
  /** The head batch may go now (backoff, ordering, epoch rules). */
  mayDrain(q: PartitionQueue, head: SenderBatch): boolean;
  /** A batch without a number gets one here (no-op without idempotence). */
  number(q: PartitionQueue, b: SenderBatch): void;
  /** Compressing failed: the batch is out of the queue and must be failed. */
  failed(q: PartitionQueue, b: SenderBatch, err: unknown): void;
}

export type RequestBatches = Map<string, Map<number, { q: PartitionQueue; batch: SenderBatch }>>;

export interface BuiltRequest {
  body: ProduceRequest;
  batches: RequestBatches;
  /** The batches' bytes on the wire. */
  payloadBytes: number;
  batchCount: number;
}

/**
 * `start`: the partition to look at first. The caller moves it on each
 * request, so that when maxRequestSize cuts a request short the same
 * partitions do not always go first (the Java client's drain index).
 */
export function buildProduceRequest(queues: readonly PartitionQueue[], limits: RequestLimits, gate: BuildGate, start = 0): BuiltRequest | null {
  const topics = new Map<string, { index: number; records: Buffer }[]>();
  const batches: RequestBatches = new Map();
  let size = 0;
  let payloadBytes = 0;
  let count = 0;
  for (let i = 0; i < queues.length; i++) {
    const q = queues[(start + i) % queues.length] as PartitionQueue;
    const b = q.queue[0];
    if (!b || !gate.mayDrain(q, b)) continue;
    if (b.baseSequence < 0) gate.number(q, b);
    let payload: Buffer;
    try {
      payload = b.prepare(limits.compressionType, limits.transactionalId !== null);
    } catch (err) {
      q.queue.shift();
      gate.failed(q, b, err);
      continue;
    }
    if (count > 0 && size + payload.length + PER_PARTITION_OVERHEAD > limits.maxRequestSize) continue;
    q.queue.shift();
    q.inFlight.add(b);
    b.attempts++;
    size += payload.length + PER_PARTITION_OVERHEAD;
    payloadBytes += payload.length;
    count++;
    const list = topics.get(q.topic);
    if (list) list.push({ index: q.partition, records: payload });
    else topics.set(q.topic, [{ index: q.partition, records: payload }]);
    let byPartition = batches.get(q.topic);
    if (!byPartition) batches.set(q.topic, (byPartition = new Map()));
    byPartition.set(q.partition, { q, batch: b });
  }
  if (count === 0) return null;
  const body: ProduceRequest = {
    transactionalId: limits.transactionalId,
    acks: limits.acks,
    timeoutMs: limits.requestTimeoutMs,
    topicData: [...topics].map(([name, partitionData]) => ({ name, partitionData })),
  };
  return { body, batches, payloadBytes, batchCount: count };
}
