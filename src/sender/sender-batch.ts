// A batch as the sender sees it: the records' bytes (in their shared slot,
// or a buffer of its own after a split), which slot records they stand for,
// and its delivery state. The header is filled in once, at the first drain,
// when the producer id, epoch and sequence are known; they never change
// after that (KIP-360: a batch that may be in the log is only ever resent as
// it was), so retries resend the same bytes. A batch is compressed once: when
// it is numbered again (a new epoch, after the broker surely did not write
// it) only its header is sealed again, over the same compressed records.

import type { Slot } from '../accumulator/slot.js';
import { compress, type CompressionType } from '../protocol/compression.js';
import { BATCH_HEADER_SIZE, batchAttributes, sealBatch } from '../protocol/record-batch.js';

export class SenderBatch {
  /** The slot whose records these are (outcomes are reported against it and its generation). */
  readonly slotId: number;
  readonly generation: number;
  /** Index of the first record in the slot. */
  readonly from: number;
  readonly count: number;
  /** Header space, then `count` uncompressed records. */
  readonly bytes: Buffer;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly createdAt: number;
  /** Arrival order on the sender (slot batches of a partition arrive in creation order); splits keep their parent's. */
  readonly order: number;
  attempts = 0;
  /** -1 until the first drain assigns one (idempotence). */
  baseSequence = -1;
  /** The bytes on the wire, once prepared (the header is stale while `sealed` is false). */
  payload: Buffer | null = null;
  #sealed = false;
  /** The producer id and epoch its sequence belongs to (-1 without idempotence). */
  producerId = -1;
  producerEpoch = -1;
  /** Reported: a late response or a second failure must not report it again. */
  done = false;
  /** Why the last attempt failed: the cause if the batch then expires. */
  lastError: Error | null = null;
  /** The broker (node id) of the last attempt; -1 before the first. */
  sentTo = -1;
  /** Its bytes are the slot's own (not a split half's copy). */
  inSlot = false;
  /** Requests carrying it whose callback has not run: the socket may still hold its bytes. */
  writes = 0;
  /** Reported while a write held its slot's bytes: the slot's release is to follow (Outcome.pinned). */
  pinned = false;

  constructor(
    slotId: number,
    generation: number,
    from: number,
    count: number,
    bytes: Buffer,
    baseTimestamp: number,
    maxTimestamp: number,
    createdAt: number,
    order: number,
  ) {
    this.slotId = slotId;
    this.generation = generation;
    this.from = from;
    this.count = count;
    this.bytes = bytes;
    this.baseTimestamp = baseTimestamp;
    this.maxTimestamp = maxTimestamp;
    this.createdAt = createdAt;
    this.order = order;
  }

  /** Numbers the batch: from now on it is resent only as it is. */
  assign(producerId: number, producerEpoch: number, baseSequence: number): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.baseSequence = baseSequence;
    this.#sealed = false;
  }

  /** The broker surely did not write it: it may be numbered again, under a new epoch. */
  unassign(): void {
    this.assign(-1, -1, -1);
  }

  static fromSlot(slot: Slot, order: number): SenderBatch {
    const b = new SenderBatch(slot.id, slot.generation, 0, slot.count, slot.bytes.subarray(0, slot.used), slot.baseTimestamp, slot.maxTimestamp, slot.createdAt, order);
    b.inSlot = true;
    return b;
  }

  /** A write in progress holds the slot's bytes: sent uncompressed, in place, and its request's callback has not run. */
  get holdsSlot(): boolean {
    return this.writes > 0 && this.inSlot && this.payload === this.bytes;
  }

  /**
   * Compresses once and fills the header; after a new number only the header
   * is filled again, over the same compressed bytes. Uncompressed batches are sealed
   * in place, in shared memory: the socket writes the slot's own bytes. A
   * transactional producer's batches carry the transactional attribute: the
   * broker keeps them from read_committed consumers until the marker.
   */
  prepare(compression: CompressionType, transactional: boolean): Buffer {
    if (this.payload && this.#sealed) return this.payload;
    let out = this.payload ?? this.bytes;
    if (compression !== 'none' && !this.payload) {
      const compressed = compress(compression, this.bytes.subarray(BATCH_HEADER_SIZE));
      out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + compressed.length);
      compressed.copy(out, BATCH_HEADER_SIZE);
    }
    sealBatch(out, {
      attributes: batchAttributes(compression, transactional),
      lastOffsetDelta: this.count - 1,
      baseTimestamp: this.baseTimestamp,
      maxTimestamp: this.maxTimestamp,
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      baseSequence: this.baseSequence,
      recordCount: this.count,
    });
    this.payload = out;
    this.#sealed = true;
    return out;
  }
}
