// Intake: batches arrive from the accumulator through the shared event ring
// (a slot opened or sealed) and the slot/partition messages that map them.
// Open batches are sealed here when their linger time is up. Sealed batches
// join their partition's queue in ring order.

import type { EventRing } from '../accumulator/event-ring.js';
import { Fifo } from '../accumulator/fifo.js';
import { decodeEvent, EVENT_OPENED } from '../accumulator/record-accumulator.js';
import { FREE, SEALED, Slot } from '../accumulator/slot.js';
import { PartitionQueue } from './partition-queue.js';
import { SenderBatch } from './sender-batch.js';

export interface IntakeHooks {
  /** Something new may be sent. */
  wake(): void;
  /** Run the loop again at `at` (ms). */
  scheduleAt(at: number): void;
}

export class Intake {
  readonly #lingerMs: number;
  readonly #batchSize: number;
  readonly #hooks: IntakeHooks;
  readonly slots = new Map<number, Slot>();
  readonly queues = new Map<number, PartitionQueue>();
  readonly topics = new Set<string>();
  /**
   * Ring events waiting for the message that maps their slot or partition
   * (the ring is faster than postMessage), and every event behind them:
   * events are handled strictly in ring order, or a later batch of a
   * partition could be queued before an earlier one.
   */
  readonly #pendingEvents = new Fifo<number>();
  /** Open batches by slot id, with the time linger seals them. */
  readonly #lingering = new Map<number, number>();
  #nextOrder = 0;
  readonly #firstSequence: number;

  /** `firstSequence`: where partitions start numbering (0; the simulator starts near the wrap). */
  constructor(lingerMs: number, batchSize: number, hooks: IntakeHooks, firstSequence = 0) {
    this.#lingerMs = lingerMs;
    this.#batchSize = batchSize;
    this.#hooks = hooks;
    this.#firstSequence = firstSequence;
  }

  addSlot(id: number, sab: SharedArrayBuffer): void {
    this.slots.set(id, new Slot(id, sab));
    this.#handlePending();
  }

  dropSlot(id: number): void {
    this.slots.delete(id);
  }

  addPartition(ref: number, topic: string, partition: number): void {
    this.queues.set(ref, new PartitionQueue(ref, topic, partition, this.#firstSequence));
    this.topics.add(topic);
    this.#handlePending();
  }

  readEvents(ring: EventRing): void {
    let any = false;
    ring.drain((event) => {
      any = true;
      if (this.#pendingEvents.size > 0 || !this.#onEvent(event)) this.#pendingEvents.push(event);
    });
    if (any) this.#hooks.wake();
  }

  /** Handles waiting events from the oldest until one still cannot be handled. */
  #handlePending(): void {
    let any = false;
    for (let e = this.#pendingEvents.peek(); e !== undefined && this.#onEvent(e); e = this.#pendingEvents.peek()) {
      this.#pendingEvents.shift();
      any = true;
    }
    if (any) this.#hooks.wake();
  }

  /**
   * Handles one ring event; false if its slot or partition is not mapped
   * yet. A slot id is given again once its slot is dropped, and the event
   * about the new slot may come before the messages that unmap the old one
   * and map the new: the old one is FREE (dropped slots always are, and a
   * slot in use never is while events about it are unread), so that mapping
   * is stale, and the event waits for the new one.
   */
  #onEvent(event: number): boolean {
    const { slotId, kind } = decodeEvent(event);
    const slot = this.slots.get(slotId);
    const q = slot && slot.state !== FREE ? this.queues.get(slot.tpRef) : undefined;
    if (!slot || !q) return false;
    if (kind === EVENT_OPENED) {
      this.#lingering.set(slotId, slot.createdAt + this.#lingerMs);
      this.#hooks.scheduleAt(slot.createdAt + this.#lingerMs);
      return true;
    }
    this.#lingering.delete(slotId);
    q.queue.push(SenderBatch.fromSlot(slot, this.#nextOrder++));
    return true;
  }

  /**
   * Seals open batches whose linger time is up, or whose partition's wire is
   * idle (`idle`): lingering only pays while a request is outstanding, as in
   * Nagle's rule; with nothing in flight, waiting would only add latency.
   * Unless the open batches already hold more than batchSize between them:
   * then records come faster than the wire empties, and a request sent at
   * every idle moment would carry only what came in one round trip (a
   * Produce request takes one batch per partition), so they linger and fill.
   * Main may hold a batch (its appends of one task): then it seals the
   * batch when it lets go, and we try again in a millisecond.
   */
  sealLingering(now: number, idle: (q: PartitionQueue) => boolean = () => false): void {
    let open = 0;
    for (const slotId of this.#lingering.keys()) open += this.slots.get(slotId)?.used ?? 0;
    const filling = open > this.#batchSize;
    for (const [slotId, deadline] of this.#lingering) {
      const slot = this.slots.get(slotId);
      if (!slot) continue;
      if (deadline > now) {
        const q = this.queues.get(slot.tpRef);
        if (!q || filling || !idle(q)) {
          this.#hooks.scheduleAt(deadline);
          continue;
        }
      }
      if (slot.trySeal()) {
        this.#lingering.delete(slotId);
        this.queues.get(slot.tpRef)?.queue.push(SenderBatch.fromSlot(slot, this.#nextOrder++));
      } else if (slot.state === SEALED) {
        // Main sealed it; its SEALED event is on the ring.
        this.#lingering.delete(slotId);
      } else {
        // Main holds it: it seals it when it lets go; the retry covers a let-go that came before the wish.
        slot.wantSeal();
        this.#hooks.scheduleAt(now + 1);
      }
    }
  }

  hasQueued(): boolean {
    for (const q of this.queues.values()) if (q.queue.length > 0) return true;
    return false;
  }
}
