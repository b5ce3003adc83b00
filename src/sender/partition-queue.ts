// One partition's queue on the sender side: sealed batches waiting to go out,
// in order, and what is in flight. With idempotence, sequence numbers are
// assigned at a batch's first drain and never change; a batch that must be
// retried goes back in sequence order, and while a retry is pending only the
// lowest unacknowledged sequence may be sent. Without idempotence and with
// one request in flight the partition is muted while a batch is in flight,
// which keeps order across retries.

import type { SenderBatch } from './sender-batch.js';

const MAX_SEQUENCE = 2147483647;

export class PartitionQueue {
  readonly ref: number;
  readonly topic: string;
  readonly partition: number;
  readonly queue: SenderBatch[] = [];
  readonly inFlight = new Set<SenderBatch>();
  nextSequence = 0;
  /** Set while a retried batch waits: ordering then allows only the lowest sequence out. */
  retrying = false;
  backoffUntil = 0;

  constructor(ref: number, topic: string, partition: number) {
    this.ref = ref;
    this.topic = topic;
    this.partition = partition;
  }

  get name(): string {
    return `${this.topic}-${this.partition}`;
  }

  /** Sequence for a batch's first drain; it wraps to 0 after 2^31-1, as the broker expects. */
  assignSequence(batch: SenderBatch): void {
    if (batch.baseSequence >= 0) return;
    batch.baseSequence = this.nextSequence;
    this.nextSequence = (this.nextSequence + batch.count) % (MAX_SEQUENCE + 1);
  }

  /**
   * A batch with sequences failed without being written: every batch
   * numbered after it moves down by its count, so the broker sees no gap.
   * Those in flight will be answered OUT_OF_ORDER_SEQUENCE_NUMBER and sent
   * again with their new numbers (retrying makes that a retry).
   */
  releaseSequences(failed: SenderBatch): void {
    const shift = failed.count;
    for (const b of [...this.queue, ...this.inFlight]) {
      if (b.baseSequence > failed.baseSequence) {
        b.baseSequence -= shift;
        b.payload = null;
      }
    }
    this.nextSequence = (this.nextSequence - shift + MAX_SEQUENCE + 1) % (MAX_SEQUENCE + 1);
    this.retrying ||= this.inFlight.size > 0;
  }

  /** A new producer id: numbering restarts at 0 and queued batches get new numbers when sent. */
  resetSequences(): void {
    this.nextSequence = 0;
    for (const b of this.queue) {
      b.baseSequence = -1;
      b.payload = null;
    }
  }

  /** Puts a batch back for a retry, before every batch that came after it. */
  requeue(batch: SenderBatch, currentProducerId: number): void {
    this.inFlight.delete(batch);
    // Sent under a producer id that was since replaced: it gets a number in the new sequence.
    if (batch.producerId !== currentProducerId) {
      batch.baseSequence = -1;
      batch.payload = null;
    }
    this.insertInOrder(batch);
    this.retrying = true;
  }

  /** Places a batch (retried, or half of a split) before every batch that comes after it. */
  insertInOrder(batch: SenderBatch): void {
    const at = this.queue.findIndex((b) => isBefore(batch, b));
    if (at < 0) this.queue.push(batch);
    else this.queue.splice(at, 0, batch);
  }
}

/**
 * Sequence order when both have one; else arrival order (not creation time:
 * many batches are created within one millisecond), then record index for
 * the halves of a split.
 */
function isBefore(a: SenderBatch, b: SenderBatch): boolean {
  if (a.baseSequence >= 0 && b.baseSequence >= 0) return a.baseSequence < b.baseSequence;
  if (b.baseSequence < 0 && a.baseSequence >= 0) return true;
  return a.order < b.order || (a.order === b.order && a.from < b.from);
}
