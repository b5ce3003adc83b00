// One partition's queue on the sender side: sealed batches waiting to go out,
// in order, and what is in flight. With idempotence a batch is numbered at its
// first drain and keeps its producer id, epoch and sequence for good; a batch
// that must be retried goes back in sequence order, and while a retry is
// pending only the lowest sequence may be sent. Without idempotence and with
// one request in flight the partition is muted while a batch is in flight,
// which keeps order across retries.

import type { SenderBatch } from './sender-batch.js';

export const MAX_SEQUENCE = 2147483647;

export class PartitionQueue {
  readonly ref: number;
  readonly topic: string;
  readonly partition: number;
  readonly queue: SenderBatch[] = [];
  readonly inFlight = new Set<SenderBatch>();
  /** Where a producer id or epoch starts numbering: 0, or (the simulator) just below the wrap. */
  readonly #firstSequence: number;
  /** The next sequence, under the producer id and epoch below. */
  nextSequence: number;
  sequenceProducerId = -1;
  sequenceEpoch = -1;
  /**
   * A numbered batch failed, or the broker lost our state: no new batch is
   * numbered here until the epoch is bumped, which waits until every
   * numbered batch of the partition is done.
   */
  needsBump = false;
  /** Set while a retried batch waits: ordering then allows only the lowest sequence out. */
  retrying = false;
  backoffUntil = 0;
  /**
   * The acknowledged batch latest in sequence order, under its producer id
   * and epoch. The broker takes one id and epoch's sequences only in order,
   * so every batch numbered before it under the same numbers is in the log.
   */
  #ackedThrough: { producerId: number; epoch: number; order: number; from: number } | null = null;

  constructor(ref: number, topic: string, partition: number, firstSequence = 0) {
    this.ref = ref;
    this.topic = topic;
    this.partition = partition;
    this.#firstSequence = firstSequence;
    this.nextSequence = firstSequence;
  }

  get name(): string {
    return `${this.topic}-${this.partition}`;
  }

  /** Numbered batches not done yet: in flight, or back in the queue for a retry. */
  get numberedPending(): boolean {
    return this.inFlight.size > 0 || this.queue.some((b) => b.baseSequence >= 0);
  }

  /** Numbers a batch at its first drain; sequences wrap to 0 after 2^31-1, as the broker expects. */
  assignSequence(batch: SenderBatch): void {
    batch.assign(this.sequenceProducerId, this.sequenceEpoch, this.nextSequence);
    this.nextSequence = (this.nextSequence + batch.count) % (MAX_SEQUENCE + 1);
  }

  /** Sequences start again at 0 under a new producer id or epoch. */
  restartSequences(producerId: number, epoch: number): void {
    this.sequenceProducerId = producerId;
    this.sequenceEpoch = epoch;
    this.nextSequence = this.#firstSequence;
    this.needsBump = false;
  }

  /** A numbered batch was acknowledged (written now, or by an earlier attempt). */
  acknowledged(batch: SenderBatch): void {
    if (batch.baseSequence < 0) return;
    const a = this.#ackedThrough;
    // Batches of a newer epoch are numbered only once the older ones are all done: a change of numbers replaces.
    if (a && a.producerId === batch.producerId && a.epoch === batch.producerEpoch && !isBefore(a, batch)) return;
    this.#ackedThrough = { producerId: batch.producerId, epoch: batch.producerEpoch, order: batch.order, from: batch.from };
  }

  /** A batch numbered after this one, under the same id and epoch, was acknowledged: this one is in the log. */
  ackedAfter(batch: SenderBatch): boolean {
    const a = this.#ackedThrough;
    return a !== null && batch.baseSequence >= 0 && a.producerId === batch.producerId && a.epoch === batch.producerEpoch && isBefore(batch, a);
  }

  /** Puts a batch back for a retry, before every batch that came after it. */
  requeue(batch: SenderBatch): void {
    this.inFlight.delete(batch);
    this.insertInOrder(batch);
    this.retrying = true;
  }

  /** The queue holds no retry any more: ordinary pipelining resumes. */
  settleRetrying(): void {
    if (this.retrying && this.inFlight.size === 0 && !this.queue.some((b) => b.attempts > 0)) this.retrying = false;
  }

  /** Places a batch (retried, or half of a split) before every batch that comes after it. */
  insertInOrder(batch: SenderBatch): void {
    const at = this.queue.findIndex((b) => isBefore(batch, b));
    if (at < 0) this.queue.push(batch);
    else this.queue.splice(at, 0, batch);
  }
}

/**
 * Arrival order (not creation time: many batches are created within one
 * millisecond), then record index for the halves of a split. Batches are
 * numbered in that order too, so this is sequence order, across the wrap.
 */
function isBefore(a: Pick<SenderBatch, 'order' | 'from'>, b: Pick<SenderBatch, 'order' | 'from'>): boolean {
  return a.order < b.order || (a.order === b.order && a.from < b.from);
}
