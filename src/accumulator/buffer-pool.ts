// The bufferMemory budget, as in the Java client's BufferPool: slots of
// batchSize are created on first need and reused; a record too large for one
// gets a slot of its own size, paid from the same budget and released when
// done. A pooled slot may grow in place up to maxBatchSize (a batch growing
// under backlog): every byte it grows is paid from the budget first, and a
// grown slot comes back to the pool at its grown size. Memory for batches
// never exceeds bufferMemory, whatever the broker does: when the budget is
// spent, allocate() says no and send() waits, and grow() says no and the
// batch stays as it is.
//
// A grown free slot is never dropped to pay for another slot's growth: a
// dropped SharedArrayBuffer is freed only once both threads have collected
// their views of it, and the sender thread collects rarely, so every grown
// slot dropped under load stayed in the process's memory beside the budget
// (500,000 records of 1 KiB dropped some 400 slots, and RSS rose by tens of
// megabytes past bufferMemory). Grown slots are reused instead, first, so a
// pool under load settles into slots of maxBatchSize, as librdkafka's
// batches are; only slots still at slotSize, which cost little to drop, pay
// for growth.

import { Slot } from './slot.js';

/**
 * The most slots a pool holds at once. Each slot is charged at least
 * bufferMemory / MAX_SLOTS bytes, so tiny batchSizes cannot ask for
 * millions of slots (and an event ring to match).
 */
const MAX_SLOTS = 1 << 18;

/**
 * The most growable slots at once. Each one reserves address space for
 * maxBatchSize and takes memory mappings of its own, of which Linux allows a
 * process about 65,000 (past them V8 crashes instead of throwing); slots
 * created beyond this are plain ones that keep batchSize.
 */
const MAX_GROWABLE_SLOTS = 1024;

export class BufferPool {
  readonly totalMemory: number;
  readonly slotSize: number;
  /** How far a pooled slot may grow (slotSize: not at all). */
  readonly maxSlotSize: number;
  /** What a slot costs the budget at least (see MAX_SLOTS). */
  readonly #minCharge: number;
  /** Pooled slots not in use, at slotSize. */
  readonly #free: Slot[] = [];
  /** Pooled slots not in use, grown past slotSize: taken first, dropped only for a one-off size. */
  readonly #freeGrown: Slot[] = [];
  /** What the free pooled slots cost the budget. */
  #freeCharge = 0;
  /** Bytes not held by any slot. */
  #unallocated: number;
  #growableSlots = 0;
  #nextId = 0;
  /**
   * Ids of dropped slots with their last generation, given again: ids stay
   * below the most slots that exist at once, as the event ring's encoding
   * needs, and the slot that takes an id goes on counting its generations,
   * so an outcome about a batch of the dropped slot cannot match one of the
   * new slot's.
   */
  readonly #freeIds: { id: number; generation: number }[] = [];
  /** Told about every slot created and dropped, so the sender can map and unmap it. */
  readonly #onCreate: (slot: Slot) => void;
  readonly #onDrop: (slot: Slot) => void;
  /** A new slot's generation (tests start it near the wrap, see StartCounters). */
  readonly #firstGeneration: number;

  constructor(totalMemory: number, slotSize: number, maxSlotSize: number, onCreate: (slot: Slot) => void, onDrop: (slot: Slot) => void, firstGeneration = 0) {
    this.totalMemory = totalMemory;
    this.slotSize = slotSize;
    this.maxSlotSize = Math.max(slotSize, maxSlotSize);
    this.#unallocated = totalMemory;
    this.#minCharge = Math.ceil(totalMemory / MAX_SLOTS);
    this.#onCreate = onCreate;
    this.#onDrop = onDrop;
    this.#firstGeneration = firstGeneration;
  }

  /** The most slots that can exist at once. */
  get maxSlots(): number {
    return Math.floor(this.totalMemory / this.#charge(this.slotSize));
  }

  /** Bytes available for new batches right now. */
  get availableMemory(): number {
    return this.#unallocated + this.#freeCharge;
  }

  #charge(size: number): number {
    return Math.max(size, this.#minCharge);
  }

  /** A slot of at least `size` bytes, or null when the budget cannot cover it now. */
  allocate(size: number): Slot | null {
    if (size <= this.slotSize) {
      const pooled = this.#freeGrown.pop() ?? this.#free.pop();
      if (pooled) {
        this.#freeCharge -= this.#charge(pooled.capacity);
        return pooled;
      }
      return this.#create(this.slotSize, true);
    }
    // A one-off size: free pooled slots give their bytes back to the budget first, grown ones too.
    return this.#reclaim(this.#charge(size), true) ? this.#create(size, false) : null;
  }

  /** Grows a slot in use to `capacity`, paid from the budget; false (and no change) when the slot or the budget cannot. */
  grow(slot: Slot, capacity: number): boolean {
    const cost = this.#charge(capacity) - this.#charge(slot.capacity);
    if (capacity > slot.maxCapacity || !this.#reclaim(cost, false)) return false;
    this.#unallocated -= cost;
    slot.grow(capacity);
    return true;
  }

  /** Drops free pooled slots (grown ones only if `grownToo`) until `bytes` are unallocated; false if they were not enough. */
  #reclaim(bytes: number, grownToo: boolean): boolean {
    while (this.#unallocated < bytes) {
      const slot = this.#free.pop() ?? (grownToo ? this.#freeGrown.pop() : undefined);
      if (!slot) return false;
      const charge = this.#charge(slot.capacity);
      this.#freeCharge -= charge;
      this.#unallocated += charge;
      this.#drop(slot);
    }
    return true;
  }

  /** `pooled`: a slot of slotSize, growable while there are not too many (see MAX_GROWABLE_SLOTS). */
  #create(size: number, pooled: boolean): Slot | null {
    if (this.#unallocated < this.#charge(size)) return null;
    this.#unallocated -= this.#charge(size);
    const growable = pooled && this.maxSlotSize > size && this.#growableSlots < MAX_GROWABLE_SLOTS;
    if (growable) this.#growableSlots++;
    const reused = this.#freeIds.pop();
    const slot = new Slot(reused?.id ?? this.#nextId++, size, growable ? this.maxSlotSize : undefined, reused?.generation ?? this.#firstGeneration);
    this.#onCreate(slot);
    return slot;
  }

  release(slot: Slot): void {
    slot.free();
    if (slot.capacity > this.slotSize && slot.sab.growable) {
      this.#freeGrown.push(slot);
      this.#freeCharge += this.#charge(slot.capacity);
    } else if (slot.capacity === this.slotSize) {
      this.#free.push(slot);
      this.#freeCharge += this.#charge(slot.capacity);
    } else {
      this.#unallocated += this.#charge(slot.capacity);
      this.#drop(slot);
    }
  }

  #drop(slot: Slot): void {
    if (slot.sab.growable) this.#growableSlots--;
    this.#onDrop(slot);
    this.#freeIds.push({ id: slot.id, generation: slot.generation });
  }
}
