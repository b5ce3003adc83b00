// The bufferMemory budget, as in the Java client's BufferPool: slots of
// batchSize are created on first need and reused; a record too large for one
// gets a slot of its own size, paid from the same budget and released when
// done. Memory for batches never exceeds bufferMemory, whatever the broker
// does: when the budget is spent, allocate() says no and send() waits.

import { Slot } from './slot.js';

/**
 * The most slots a pool holds at once. Each slot is charged at least
 * bufferMemory / MAX_SLOTS bytes, so tiny batchSizes cannot ask for
 * millions of slots (and an event ring to match).
 */
const MAX_SLOTS = 1 << 18;

export class BufferPool {
  readonly totalMemory: number;
  readonly slotSize: number;
  /** What a slot costs the budget at least (see MAX_SLOTS). */
  readonly #minCharge: number;
  readonly #free: Slot[] = [];
  /** Bytes not held by any slot (free pooled slots are counted separately). */
  #unallocated: number;
  #nextId = 0;
  /** Ids of dropped slots, given again: ids stay below the most slots that exist at once, as the event ring's encoding needs. */
  readonly #freeIds: number[] = [];
  /** Told about every slot created and dropped, so the sender can map and unmap it. */
  readonly #onCreate: (slot: Slot) => void;
  readonly #onDrop: (slot: Slot) => void;

  constructor(totalMemory: number, slotSize: number, onCreate: (slot: Slot) => void, onDrop: (slot: Slot) => void) {
    this.totalMemory = totalMemory;
    this.slotSize = slotSize;
    this.#unallocated = totalMemory;
    this.#minCharge = Math.ceil(totalMemory / MAX_SLOTS);
    this.#onCreate = onCreate;
    this.#onDrop = onDrop;
  }

  /** The most slots that can exist at once. */
  get maxSlots(): number {
    return Math.floor(this.totalMemory / this.#charge(this.slotSize));
  }

  /** Bytes available for new batches right now. */
  get availableMemory(): number {
    return this.#unallocated + this.#free.length * this.#charge(this.slotSize);
  }

  #charge(size: number): number {
    return Math.max(size, this.#minCharge);
  }

  /** A slot of at least `size` bytes, or null when the budget cannot cover it now. */
  allocate(size: number): Slot | null {
    if (size <= this.slotSize) {
      const pooled = this.#free.pop();
      if (pooled) return pooled;
      return this.#create(this.slotSize);
    }
    // A one-off size: free pooled slots give their bytes back to the budget first.
    while (this.#unallocated < this.#charge(size) && this.#free.length > 0) {
      this.#drop(this.#free.pop() as Slot);
      this.#unallocated += this.#charge(this.slotSize);
    }
    return this.#create(size);
  }

  #create(size: number): Slot | null {
    if (this.#unallocated < this.#charge(size)) return null;
    this.#unallocated -= this.#charge(size);
    const slot = new Slot(this.#freeIds.pop() ?? this.#nextId++, size);
    this.#onCreate(slot);
    return slot;
  }

  release(slot: Slot): void {
    slot.free();
    if (slot.capacity === this.slotSize) {
      this.#free.push(slot);
    } else {
      this.#unallocated += this.#charge(slot.capacity);
      this.#drop(slot);
    }
  }

  #drop(slot: Slot): void {
    this.#onDrop(slot);
    this.#freeIds.push(slot.id);
  }
}
