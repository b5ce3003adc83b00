// The RecordAccumulator (main thread): per partition, the batches that are
// open, sealed or in flight, oldest first, each in a shared-memory slot that
// the sender reads in place. A record is sized first and then written once,
// into a private stage while main holds its batch for the rest of the task,
// which goes into the slot in one copy when main lets go (see #hold). A
// batch holds batchSize bytes, or grows in place up to maxBatchSize while
// the producer has a backlog (see #grow). Sealing
// tells the sender through the event ring; the sender's outcomes come back
// per slot range and settle each record's handle exactly once before the
// slot is freed; a slot the sender reported pinned (a write still holds its
// bytes) is freed only once the sender releases it.

import {
  BATCH_HEADER_SIZE,
  recordBodySize,
  recordSize,
  writeRecord,
  type EncodedHeader,
  type RecordBytes,
} from '../protocol/record-batch.js';
import { copyBytes } from '../protocol/copy-bytes.js';
import { BufferPool } from './buffer-pool.js';
import { EventRing } from './event-ring.js';
import type { Slot } from './slot.js';

/** Bytes of records a held batch stages before they go into its slot (see RecordAccumulator#hold). */
const STAGE_BYTES = 16_384;
/** The most batches held at once: their stages are memory beside bufferMemory. */
const MAX_HELD = 32;
/**
 * Records from this size on skip the stage and go straight into the slot of
 * a held batch: staged, they would be copied twice, and a value this long
 * goes into shared memory as one memcpy anyway (copy-bytes.ts).
 */
const DIRECT_RECORD_BYTES = 512;

/** Ring events: slot id << 1 | kind. */
export const EVENT_OPENED = 0;
export const EVENT_SEALED = 1;

export function encodeEvent(slotId: number, kind: number): number {
  return (slotId << 1) | kind;
}

export function decodeEvent(event: number): { slotId: number; kind: number } {
  return { slotId: event >>> 1, kind: event & 1 };
}

/**
 * A record's handle. The batch keeps it only while someone waits for the
 * outcome (a callback, a promise, a trace): a fire-and-forget record's handle
 * is not kept, so it dies young instead of living, and being promoted to the
 * old generation, while its batch is in flight. A handle that starts to wait
 * later asks its batch with watch().
 */
export interface RecordHandle {
  /** Whether someone waits for the outcome now. */
  readonly watched: boolean;
  /** What the batch keeps for the record: this handle while someone waits on it, the group it was sent in, or nothing. */
  readonly kept: RecordHandle | RecordGroup | null;
  /** Appended as record `index` of `batch`. */
  appended(batch: Batch, index: number): void;
  /**
   * The outcome; partition and offset are known by then. `announced`: the
   * producer already counted it (its record settled while nobody watched).
   */
  settle(err: Error | null, offset: number, logAppendTime: number, announced?: boolean): void;
}

/**
 * Records that share one watcher (a stream's). The batch keeps the group
 * for each of them instead of a handle per record, so records in flight
 * hold no object of their own: with a handle each, every record in flight
 * is promoted to the old generation, tens of megabytes under load. They
 * settle as unwatched records do (counted, failures announced), and the
 * group hears of each outcome.
 */
export class RecordGroup {
  readonly settled: (err: Error | null) => void;

  constructor(settled: (err: Error | null) => void) {
    this.settled = settled;
  }
}

/** One outcome for records [from, from + count) of a batch. */
export interface RangeOutcome {
  from: number;
  count: number;
  err: Error | null;
  baseOffset: number;
  logAppendTime: number;
}

/** A record ready to be written: key, value and headers as the encoder takes them. */
export interface PreparedRecord {
  key: RecordBytes;
  keyLength: number;
  value: RecordBytes;
  valueLength: number;
  headers: EncodedHeader[];
  headerBytes: number;
  timestamp: number;
}

export class TopicPartition {
  readonly ref: number;
  readonly topic: string;
  readonly partition: number;
  open: Batch | null = null;
  /** Batches of this partition not yet settled (adaptive partitioning reads it). */
  queued = 0;
  /** The last batch sealed because it was full, until it settles: records come faster than batches go. */
  fullPending: Batch | null = null;

  constructor(ref: number, topic: string, partition: number) {
    this.ref = ref;
    this.topic = topic;
    this.partition = partition;
  }
}

export class Batch {
  readonly seq: number;
  readonly slot: Slot;
  /** The slot's generation while it holds this batch: outcomes for another are ignored. */
  readonly generation: number;
  readonly tp: TopicPartition;
  /** Watched handles (or the group) by record index (null: nobody waits, or delivered). */
  readonly handles: (RecordHandle | RecordGroup | null)[] = [];
  /** Outcomes so far, for handles that start to wait after their record settled. */
  readonly outcomes: RangeOutcome[] = [];
  /** 1 per record once settled: every record settles exactly once, whatever is reported twice. */
  done: Uint8Array | null = null;
  count = 0;
  used = BATCH_HEADER_SIZE;
  /** Bytes in the slot itself: records past it wait in `stage` (see RecordAccumulator#hold). */
  published = BATCH_HEADER_SIZE;
  /** Where records go first while main holds the batch; null while it does not. */
  stage: Buffer | null = null;
  /** The newest record timestamp, published with the records. */
  maxTimestamp: number;
  /** Whether the sender was told of it (EVENT_OPENED), which waits until main first lets it go. */
  announced = false;
  settled = 0;
  /** Every record settled: it no longer counts as outstanding (its slot may still be pinned). */
  finished = false;
  /** A write on the sender's side still holds the slot's bytes: the slot is not freed until released (Outcome.pinned). */
  pinned = false;
  /** The most bytes it may hold: batchSize (or its lone record's size), maxBatchSize once it grew under a backlog. */
  limit: number;
  /** What it may hold before its slot must grow: the smaller of limit and the slot's capacity. */
  room: number;
  /** The slot's bytes, kept here for the append path (Slot#bytes checks the shared length on every call); replaced when the slot grows. */
  bytes: Buffer;

  constructor(seq: number, slot: Slot, tp: TopicPartition, limit: number) {
    this.seq = seq;
    this.slot = slot;
    this.generation = slot.generation;
    this.tp = tp;
    this.limit = limit;
    this.room = Math.min(limit, slot.capacity);
    this.bytes = slot.bytes;
    this.maxTimestamp = slot.maxTimestamp;
  }

  /**
   * A handle starts to wait: kept until its record settles, or settled now
   * from the outcome already known. False if settled now.
   */
  watch(index: number, handle: RecordHandle): boolean {
    if (this.done?.[index] !== 1) {
      this.handles[index] = handle;
      return true;
    }
    for (const o of this.outcomes) {
      if (index < o.from || index >= o.from + o.count) continue;
      handle.settle(o.err, o.err || o.baseOffset < 0 ? -1 : o.baseOffset + (index - o.from), o.logAppendTime, true);
      return false;
    }
    return true;
  }
}

/**
 * Tests only: where the counters that wrap start, so that what hours of
 * running reach (the event ring's counters at 2^32, slot generations at
 * 2^31) is reached at once. A producer takes them from SenderDeps.
 */
export interface StartCounters {
  /** The event ring's head and tail (int32). */
  ring?: number;
  /** Each new slot's generation (int32), counted on from there. */
  slotGeneration?: number;
}

export interface AccumulatorHooks {
  /** `count` records of `batch` that nobody watched were delivered (only counted: no index list is built for them). */
  onUnwatchedDelivered(batch: Batch, count: number): void;
  /** Records nobody watched failed: `indexes` of `batch`, all with `err`. */
  onUnwatchedFailed(batch: Batch, indexes: number[], err: Error): void;
  /** A slot was created: the sender must map its memory before it sees its events. */
  onSlotCreated(slot: Slot): void;
  /** A slot's memory went back to the budget: the sender may drop it. */
  onSlotDropped(slotId: number): void;
  /** A partition got its ref: the sender must know it before it sees its batches. */
  onTopicPartition(tp: TopicPartition): void;
  /** A batch settled completely and its memory is free again. */
  onBatchSettled(batch: Batch): void;
}

export class RecordAccumulator {
  readonly pool: BufferPool;
  readonly ring: EventRing;
  readonly #hooks: AccumulatorHooks;
  readonly #partitions = new Map<string, TopicPartition[]>();
  #nextTpRef = 0;
  readonly #bySlot = new Map<number, Batch>();
  /** Unsettled batches in creation order: the first one is the oldest (flush reads it). */
  readonly #outstanding = new Map<number, Batch>();
  #nextSeq = 0;
  /** Batches main holds (APPENDING) until the current task's microtasks run; see #hold. */
  readonly #held: Batch[] = [];
  /** Stage buffers not in use. */
  readonly #stages: Buffer[] = [];

  /** `maxBatchSize`: how far a batch may grow under a backlog (batchSize: never). */
  constructor(bufferMemory: number, batchSize: number, maxBatchSize: number, hooks: AccumulatorHooks, start: StartCounters = {}) {
    this.#hooks = hooks;
    this.pool = new BufferPool(bufferMemory, batchSize, maxBatchSize, (slot) => hooks.onSlotCreated(slot), (slot) => hooks.onSlotDropped(slot.id), start.slotGeneration);
    // Two events per slot at most are unconsumed.
    this.ring = new EventRing(2 * this.pool.maxSlots + 16, start.ring);
  }

  partition(topic: string, partition: number): TopicPartition {
    let list = this.#partitions.get(topic);
    if (!list) this.#partitions.set(topic, (list = []));
    let tp = list[partition];
    if (!tp) {
      tp = list[partition] = new TopicPartition(this.#nextTpRef++, topic, partition);
      this.#hooks.onTopicPartition(tp);
    }
    return tp;
  }

  /**
   * Whether the partition's batches grow (see #grow): its open batch grew
   * past batchSize, or a batch sealed full is still unsettled, so the next
   * one grows once full. The sticky partitioner stays with such a partition.
   * Batches sealed before they are full (linger, an idle wire) say nothing.
   */
  growing(topic: string, partition: number): boolean {
    const tp = this.#partitions.get(topic)?.[partition];
    if (!tp) return false;
    return tp.fullPending !== null || (tp.open !== null && tp.open.limit > this.pool.slotSize);
  }

  /** Queue length of one partition, 0 if never used. */
  queued(topic: string, partition: number): number {
    return this.#partitions.get(topic)?.[partition]?.queued ?? 0;
  }

  /**
   * Appends to the partition's open batch, or to a new one. Returns false
   * when no memory is left for a new batch (the caller waits and retries).
   */
  tryAppend(tp: TopicPartition, r: PreparedRecord, handle: RecordHandle, now: number): boolean {
    const open = tp.open;
    if (open) {
      if (open.stage !== null || open.slot.beginAppend()) {
        const held = open.stage !== null || this.#hold(open);
        if (this.#write(open, r, handle) || (this.#grow(open, r) && this.#write(open, r, handle))) {
          if (!held) this.#letGoOf(open);
          return true;
        }
        // It does not fit: seal it while we hold it, and start another.
        this.#sealByAppender(open);
        tp.fullPending = open;
      }
      // Otherwise the sender sealed it at linger time; it is on its way.
      tp.open = null;
    }
    const size = Math.max(BATCH_HEADER_SIZE + recordSize(recordBodySize(0, 0, r.keyLength, r.valueLength, r.headerBytes)), this.pool.slotSize);
    const slot = this.pool.allocate(size);
    if (!slot) return false;
    slot.open(tp.ref, now, r.timestamp);
    const batch = new Batch(this.#nextSeq++, slot, tp, size);
    this.#bySlot.set(slot.id, batch);
    this.#outstanding.set(batch.seq, batch);
    tp.queued++;
    if (size > this.pool.slotSize) {
      // A record larger than batchSize travels alone.
      this.#write(batch, r, handle);
      this.#sealByAppender(batch);
      return true;
    }
    tp.open = batch;
    const held = this.#hold(batch);
    this.#write(batch, r, handle);
    if (!held) this.#letGoOf(batch);
    return true;
  }

  /**
   * Main holds a batch it appends to (APPENDING) until the current task's
   * microtasks run, and writes its records to a private stage buffer that
   * goes into the slot in one copy. Written one by one, a record costs a
   * byte-wise copy into shared memory (V8 copies to a SharedArrayBuffer
   * with one atomic store per byte unless both sides are equally aligned)
   * and two atomic operations on the state word; a burst of sends to one
   * batch pays those once. The sender cannot seal a held batch (it asks
   * main to, see #letGoOf), and hears of a new batch (EVENT_OPENED) only
   * once main lets it go, so it never waits on one it just heard of. At
   * most MAX_HELD batches are held at once; false (not held) past that.
   */
  #hold(batch: Batch): boolean {
    if (this.#held.length >= MAX_HELD) return false;
    if (this.#held.length === 0) queueMicrotask(this.#letGo);
    batch.stage = this.#stages.pop() ?? Buffer.allocUnsafeSlow(STAGE_BYTES);
    this.#held.push(batch);
    return true;
  }

  /**
   * Lets go of every held batch now, not at the end of the task: each is
   * announced on the ring (or sealed, if the sender asked). Called before a
   * step that must see every batch appended so far (a transaction's abort
   * or commit) is posted to the sender: a batch announced after the step
   * could join the next transaction.
   */
  letGoOfHeld(): void {
    this.#letGo();
  }

  /** Lets every held batch go. */
  readonly #letGo = (): void => {
    for (const batch of this.#held.splice(0)) this.#letGoOf(batch);
  };

  /**
   * Records into the slot, state OPEN, and the sender told of a new batch;
   * or sealed, if the sender wanted to seal it meanwhile (linger time, an
   * idle wire), so it leaves now rather than at the sender's next try.
   */
  #letGoOf(batch: Batch): void {
    if (batch.announced && batch.slot.takeSealWanted()) {
      if (batch.tp.open === batch) batch.tp.open = null;
      this.#sealByAppender(batch);
      return;
    }
    this.#publish(batch);
    this.#unstage(batch);
    batch.slot.endAppend();
    if (batch.announced) return;
    batch.announced = true;
    this.ring.push(encodeEvent(batch.slot.id, EVENT_OPENED));
  }

  /** Seals a batch main holds or appends to: its records go into the slot first. */
  #sealByAppender(batch: Batch): void {
    this.#publish(batch);
    this.#unstage(batch);
    const i = this.#held.indexOf(batch);
    if (i >= 0) this.#held.splice(i, 1);
    batch.slot.sealByAppender();
    this.ring.push(encodeEvent(batch.slot.id, EVENT_SEALED));
  }

  /** Copies the staged records into the slot and publishes count and end there (the state word follows later). */
  #publish(batch: Batch): void {
    if (batch.stage !== null && batch.used > batch.published) copyBytes(batch.bytes, batch.published, batch.stage.subarray(0, batch.used - batch.published));
    batch.published = batch.used;
    batch.slot.publish(batch.count, batch.used, batch.maxTimestamp);
  }

  #unstage(batch: Batch): void {
    if (batch.stage === null) return;
    this.#stages.push(batch.stage);
    batch.stage = null;
  }

  /** Writes into a batch the caller holds (APPENDING): to its stage while main holds it, else into the slot; false if it does not fit. */
  #write(batch: Batch, r: PreparedRecord, handle: RecordHandle): boolean {
    const offsetDelta = batch.count;
    const timestampDelta = r.timestamp - batch.slot.baseTimestamp;
    const body = recordBodySize(offsetDelta, timestampDelta, r.keyLength, r.valueLength, r.headerBytes);
    const size = recordSize(body);
    const end = batch.used + size;
    if (end > batch.room) return false;
    let stage = batch.stage;
    if (stage !== null && (size >= DIRECT_RECORD_BYTES || batch.used - batch.published + size > STAGE_BYTES)) {
      // The stage is full, or the record goes straight into the slot: what is staged goes in first, in order.
      this.#publish(batch);
      if (size >= DIRECT_RECORD_BYTES) stage = null;
    }
    if (stage !== null) {
      writeRecord(stage, batch.used - batch.published, body, offsetDelta, timestampDelta, r.key, r.keyLength, r.value, r.valueLength, r.headers);
    } else {
      writeRecord(batch.bytes, batch.used, body, offsetDelta, timestampDelta, r.key, r.keyLength, r.value, r.valueLength, r.headers);
      batch.published = end;
    }
    batch.used = end;
    if (r.timestamp > batch.maxTimestamp) batch.maxTimestamp = r.timestamp;
    batch.handles.push(handle.kept);
    handle.appended(batch, batch.count);
    batch.count++;
    return true;
  }

  /**
   * Makes room for `r` in a batch that is full, when the producer has a
   * backlog: another batch is not settled yet (open, queued or in flight),
   * so records come faster than a batch per round trip, and one batch of up
   * to maxBatchSize carries in one request what batches of batchSize would
   * spread over many (the idea of KIP-782). A Produce request carries one
   * batch per partition, so with records spread over partitions by key a
   * batch kept at batchSize caps every request at batchSize per partition.
   * With no other batch unsettled a batch stays at batchSize, as in the Java
   * client. The slot grows in doubling steps, each paid from bufferMemory;
   * false when the batch is at the cap, or the slot or the budget cannot grow.
   */
  #grow(batch: Batch, r: PreparedRecord): boolean {
    const slot = batch.slot;
    const end = batch.used + recordSize(recordBodySize(batch.count, r.timestamp - slot.baseTimestamp, r.keyLength, r.valueLength, r.headerBytes));
    if (end > this.pool.maxSlotSize) return false;
    if (end > batch.limit) {
      if (this.#outstanding.size < 2) return false;
      batch.limit = this.pool.maxSlotSize;
    }
    if (end > slot.capacity && !this.pool.grow(slot, Math.min(this.pool.maxSlotSize, Math.max(end, 2 * slot.capacity)))) return false;
    batch.room = Math.min(batch.limit, slot.capacity);
    batch.bytes = slot.bytes;
    return true;
  }

  /**
   * Memory is spent: seals the open batches that hold it idle, those of
   * partitions with nothing else unsettled, so the sender sends them now
   * instead of after linger (Java's "exhausted" readiness). A partition with
   * batches queued or in flight keeps its open batch: sealed, it would only
   * wait behind them, and once memory frees it goes on filling, where sealing
   * it would start a run of small batches, each taking a request of its own.
   */
  sealIdle(): void {
    this.#seal((tp) => tp.queued === 1);
  }

  /** Seals every open batch now (flush, close): the sender sends them without waiting for linger. */
  sealAll(): void {
    this.#seal(() => true);
  }

  #seal(which: (tp: TopicPartition) => boolean): void {
    for (const list of this.#partitions.values()) {
      for (const tp of list) {
        const open = tp?.open;
        if (!open || !which(tp)) continue;
        tp.open = null;
        // A held batch (stage set) is main's already; otherwise main takes it unless the sender sealed it.
        if (open.stage !== null || open.slot.beginAppend()) this.#sealByAppender(open);
      }
    }
  }

  /** Sequence number the next batch will get; flush waits for every batch below it. */
  get nextBatchSeq(): number {
    return this.#nextSeq;
  }

  /** The oldest unsettled batch's sequence number, or nextBatchSeq when none is left. */
  get oldestOutstandingSeq(): number {
    for (const seq of this.#outstanding.keys()) return seq;
    return this.#nextSeq;
  }

  get outstandingBatches(): number {
    return this.#outstanding.size;
  }

  /**
   * Settles records [from, from + count) of the batch in `slotId`. Once all
   * of a batch's records are settled its slot goes back to the pool, unless
   * `pinned`: a write still holds the slot's bytes, and release() frees it.
   */
  settle(slotId: number, generation: number, from: number, count: number, err: Error | null, baseOffset: number, logAppendTime: number, pinned = false): void {
    const batch = this.#bySlot.get(slotId);
    if (!batch || batch.generation !== generation) return;
    if (pinned) batch.pinned = true;
    const done = (batch.done ??= new Uint8Array(batch.count));
    batch.outcomes.push({ from, count, err, baseOffset, logAppendTime });
    // Delivered records nobody watched are only counted; failed ones are listed ('deliveryError' names each).
    let delivered = 0;
    let failed: number[] | null = null;
    for (let i = 0; i < count; i++) {
      const index = from + i;
      if (index >= batch.count || done[index] === 1) continue;
      done[index] = 1;
      batch.settled++;
      const handle = batch.handles[index];
      if (handle instanceof RecordGroup) {
        batch.handles[index] = null;
        handle.settled(err);
      } else if (handle) {
        batch.handles[index] = null;
        handle.settle(err, err || baseOffset < 0 ? -1 : baseOffset + i, logAppendTime);
        continue;
      }
      if (err) (failed ??= []).push(index);
      else delivered++;
    }
    if (failed && err) this.#hooks.onUnwatchedFailed(batch, failed, err);
    else if (delivered > 0) this.#hooks.onUnwatchedDelivered(batch, delivered);
    if (batch.settled >= batch.count) this.#release(batch);
  }

  /** No write holds the slot of the batch (slot id, generation) any more: once settled, its memory is free. */
  release(slotId: number, generation: number): void {
    const batch = this.#bySlot.get(slotId);
    if (!batch || batch.generation !== generation || !batch.pinned) return;
    batch.pinned = false;
    if (batch.finished) this.#free(batch);
  }

  /** Settles every unsettled record with `err` (the sender is gone, and its writes with it). */
  failAll(err: Error): void {
    for (const batch of this.#held) this.#unstage(batch);
    this.#held.length = 0;
    for (const batch of [...this.#outstanding.values()]) {
      batch.tp.open = null;
      this.settle(batch.slot.id, batch.generation, 0, batch.count, err, -1, -1);
    }
    for (const batch of [...this.#bySlot.values()]) this.release(batch.slot.id, batch.generation);
  }

  #release(batch: Batch): void {
    if (batch.finished) return;
    batch.finished = true;
    this.#outstanding.delete(batch.seq);
    batch.tp.queued--;
    if (batch.tp.open === batch) batch.tp.open = null;
    if (batch.tp.fullPending === batch) batch.tp.fullPending = null;
    if (!batch.pinned) this.#free(batch);
  }

  /** The slot goes back to the pool: another batch may be written in it. */
  #free(batch: Batch): void {
    this.#bySlot.delete(batch.slot.id);
    this.pool.release(batch.slot);
    this.#hooks.onBatchSettled(batch);
  }
}
