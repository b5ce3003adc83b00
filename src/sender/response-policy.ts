// What to do with one partition's answer to a Produce request: a pure
// function of the answer and the batch's state, so every rule is a unit
// test. The loop carries the verdict out (retry budget, backoff, epoch bumps).

import type { ProducePartitionResponse } from '../protocol/apis/produce.js';
import { KafkaResponseError } from '../protocol/errors.js';

export type Verdict =
  | { kind: 'succeed'; baseOffset: number; logAppendTime: number }
  /** Send it again as it is; `leader`: the broker named the new leader. */
  | { kind: 'retry'; error: KafkaResponseError; refreshMetadata: boolean; leader: { id: number; epoch: number } | null }
  /** MESSAGE_TOO_LARGE with more than one record: two halves go instead. */
  | { kind: 'split' }
  /** Surely not written, and numbering it again is safe: it goes again under a bumped epoch. */
  | { kind: 'rewrite'; error: KafkaResponseError }
  | { kind: 'fail'; error: KafkaResponseError }
  /** The producer cannot go on (e.g. CLUSTER_AUTHORIZATION_FAILED). */
  | { kind: 'fatal'; error: KafkaResponseError };

export interface BatchView {
  count: number;
  /** The batch carries a sequence (idempotence). */
  numbered: boolean;
  /** The epoch the batch was numbered under is older than the producer's. */
  staleEpoch: boolean;
  /** No earlier batch of the partition is still pending: a sequence error is about this one. A scan, so asked only for sequence errors. */
  lowestPending(): boolean;
  /** A batch numbered after this one, under the same id and epoch, was acknowledged: the broker takes sequences only in order, so this one is in the log. */
  ackedAfter(): boolean;
}

export function judge(p: ProducePartitionResponse, b: BatchView, where: string): Verdict {
  if (p.errorCode === 0) return { kind: 'succeed', baseOffset: p.baseOffset, logAppendTime: p.logAppendTimeMs };
  const detail = [p.errorMessage, ...p.recordErrors.map((e) => `record ${e.batchIndex}: ${e.batchIndexErrorMessage ?? 'invalid'}`)]
    .filter((s) => s)
    .join('; ');
  const error = new KafkaResponseError(p.errorCode, `Produce to ${where}`, detail || null);
  switch (error.action) {
    case 'duplicate':
      // The broker has it already: written once, by an earlier attempt.
      return { kind: 'succeed', baseOffset: -1, logAppendTime: -1 };
    case 'split':
      if (b.count > 1) return { kind: 'split' };
      error.message += ": the record is larger than the topic's max.message.bytes or the broker's message.max.bytes";
      return { kind: 'fail', error };
    case 'refresh-metadata': {
      const hint = p.currentLeader && p.currentLeader.leaderId >= 0 ? { id: p.currentLeader.leaderId, epoch: p.currentLeader.leaderEpoch } : null;
      return { kind: 'retry', error, refreshMetadata: hint === null, leader: hint };
    }
    case 'retry':
    case 'find-coordinator':
      return { kind: 'retry', error, refreshMetadata: false, leader: null };
    case 'reset-producer':
      if (!b.numbered) return { kind: 'fail', error };
      // An earlier attempt wrote it (a later batch was taken after it), and the broker remembers only its last five
      // batches, so it cannot say DUPLICATE_SEQUENCE_NUMBER: numbered again it would be in the log twice (KIP-360).
      if (b.ackedAfter()) return { kind: 'succeed', baseOffset: -1, logAppendTime: -1 };
      // UNKNOWN_PRODUCER_ID: the broker has no state for us, so nothing of ours is there to duplicate.
      if (p.errorCode === 59) return { kind: 'rewrite', error };
      // OUT_OF_ORDER_SEQUENCE_NUMBER behind an earlier batch still pending: it goes again after that one.
      if (!b.lowestPending()) return { kind: 'retry', error, refreshMetadata: false, leader: null };
      // At the head of the partition: the sequence the broker expects is not ours, this batch was not written.
      return { kind: 'rewrite', error };
    case 'abortable':
      // INVALID_PRODUCER_EPOCH for a batch numbered before a bump: refused, so not written.
      if (b.numbered && b.staleEpoch) return { kind: 'rewrite', error };
      return { kind: 'fail', error };
    case 'fatal':
      return { kind: 'fatal', error };
    default:
      // The broker refused the batch: it was not written.
      return { kind: 'fail', error };
  }
}
