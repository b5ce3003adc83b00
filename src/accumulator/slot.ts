// A batch slot: one SharedArrayBuffer holding a record batch and the words
// the two threads use to hand it over. The main thread appends records; the
// sender reads the bytes in place (no copy) once the slot is sealed.
// A growable slot's buffer grows in place (a growable SharedArrayBuffer,
// ES2024) up to its maxCapacity, only by main while it holds the slot
// (APPENDING): the sender sees the new length once it sees the state word
// that follows, and takes a fresh view of the bytes (see `bytes`).
//
// State word transitions, each by one side only, so appending and sealing
// never race:
//   FREE -> OPEN                 main, when it starts a batch in the slot
//   OPEN -> APPENDING -> OPEN    main, around its appends of one task (compareExchange)
//   OPEN -> SEALED               sender at linger time (compareExchange), or
//   APPENDING -> SEALED          main, when the next record does not fit, or
//                                when it lets go of a batch the sender asked
//                                to seal meanwhile (wantSeal)
//   SEALED -> FREE               main, once every record's outcome is known
//                                and no request holds the bytes (the sender
//                                releases a slot it reported pinned)
// The sender's compareExchange fails while main is APPENDING, and main's
// fails once the sender SEALED: whoever wins, exactly one side seals.

import { BATCH_HEADER_SIZE } from '../protocol/record-batch.js';

export const FREE = 0;
export const OPEN = 1;
export const APPENDING = 2;
export const SEALED = 3;

// Int32 words at the start of the slot.
const STATE = 0;
const COUNT = 1;
/** End of the last record, relative to the batch start (header included). */
const USED = 2;
const TP_REF = 3;
/** Counts the batches the slot has held: an outcome names the one it is about, so a late one cannot reach the next. Wraps at 2^31; only ever compared for equality. */
const GENERATION = 4;
/** 1 once the sender wanted to seal the batch while main held it: main seals it when it lets go. */
const SEAL_WANTED = 5;
// Float64 words after them.
const CREATED_AT = 0;
const BASE_TIMESTAMP = 1;
const MAX_TIMESTAMP = 2;

const INT_WORDS_BYTES = 32;
/** Where the batch bytes start in the SharedArrayBuffer (8-byte aligned). */
const DATA_OFFSET = 64;

export class Slot {
  readonly id: number;
  readonly sab: SharedArrayBuffer;
  /** The most the batch bytes may grow to (capacity itself for a slot that cannot grow). */
  readonly maxCapacity: number;
  readonly #ints: Int32Array;
  readonly #times: Float64Array;
  #bytes: Buffer;

  /**
   * A new slot of `capacityOrSab` bytes, growable up to `maxCapacity` when
   * that is larger, its generations counted on from `generation` (the last
   * one of a dropped slot whose id it takes); or the view of an existing one.
   */
  constructor(id: number, capacityOrSab: number | SharedArrayBuffer, maxCapacity?: number, generation = 0) {
    this.id = id;
    if (typeof capacityOrSab !== 'number') this.sab = capacityOrSab;
    else if (maxCapacity !== undefined && maxCapacity > capacityOrSab) this.sab = new SharedArrayBuffer(DATA_OFFSET + capacityOrSab, { maxByteLength: DATA_OFFSET + maxCapacity });
    else this.sab = new SharedArrayBuffer(DATA_OFFSET + capacityOrSab);
    this.maxCapacity = (this.sab.growable ? this.sab.maxByteLength : this.sab.byteLength) - DATA_OFFSET;
    this.#ints = new Int32Array(this.sab, 0, INT_WORDS_BYTES / 4);
    this.#times = new Float64Array(this.sab, INT_WORDS_BYTES, 3);
    this.#bytes = Buffer.from(this.sab, DATA_OFFSET, this.capacity);
    if (generation !== 0) Atomics.store(this.#ints, GENERATION, generation);
  }

  /** Batch capacity in bytes, header included: what the buffer holds now. */
  get capacity(): number {
    return this.sab.byteLength - DATA_OFFSET;
  }

  /** The batch bytes: header, then records. A view taken before the slot grew is replaced. */
  get bytes(): Buffer {
    if (this.#bytes.length !== this.capacity) this.#bytes = Buffer.from(this.sab, DATA_OFFSET, this.capacity);
    return this.#bytes;
  }

  /** Main, while APPENDING: the buffer grows in place to `capacity` (at most maxCapacity); the bytes written stay. */
  grow(capacity: number): void {
    this.sab.grow(DATA_OFFSET + capacity);
  }

  get state(): number {
    return Atomics.load(this.#ints, STATE);
  }

  /** Main: starts a batch for one partition; the slot is APPENDING until main lets it go. */
  open(tpRef: number, now: number, timestamp: number): void {
    Atomics.store(this.#ints, COUNT, 0);
    Atomics.store(this.#ints, USED, BATCH_HEADER_SIZE);
    Atomics.store(this.#ints, TP_REF, tpRef);
    Atomics.add(this.#ints, GENERATION, 1);
    Atomics.store(this.#ints, SEAL_WANTED, 0);
    this.#times[CREATED_AT] = now;
    this.#times[BASE_TIMESTAMP] = timestamp;
    this.#times[MAX_TIMESTAMP] = timestamp;
    Atomics.store(this.#ints, STATE, APPENDING);
  }

  /** Main: claims an OPEN slot for one append; false once the sender sealed it. */
  beginAppend(): boolean {
    return Atomics.compareExchange(this.#ints, STATE, OPEN, APPENDING) === OPEN;
  }

  /**
   * Main, while APPENDING: publishes the records written so far (count, end
   * and newest timestamp). Plain writes suffice, as for the record bytes:
   * the sender reads them only after it saw a later state (its seal, or the
   * SEALED event), and the atomic store of that state orders them before it.
   */
  publish(count: number, used: number, maxTimestamp: number): void {
    if (maxTimestamp > (this.#times[MAX_TIMESTAMP] as number)) this.#times[MAX_TIMESTAMP] = maxTimestamp;
    this.#ints[COUNT] = count;
    this.#ints[USED] = used;
  }

  /** Main: lets the slot go (OPEN), after publish(). */
  endAppend(): void {
    Atomics.store(this.#ints, STATE, OPEN);
  }

  /** Main: seals while it holds the slot (APPENDING). */
  sealByAppender(): void {
    Atomics.store(this.#ints, STATE, SEALED);
  }

  /** Sender: seals an idle OPEN slot (linger, flush); false if main holds it or it is sealed. */
  trySeal(): boolean {
    return Atomics.compareExchange(this.#ints, STATE, OPEN, SEALED) === OPEN;
  }

  /** Sender: trySeal() found main holding the batch; main is to seal it when it lets go. */
  wantSeal(): void {
    Atomics.store(this.#ints, SEAL_WANTED, 1);
  }

  /** Main, while APPENDING: whether the sender wanted the batch sealed (and no longer). */
  takeSealWanted(): boolean {
    return Atomics.exchange(this.#ints, SEAL_WANTED, 0) === 1;
  }

  free(): void {
    Atomics.store(this.#ints, STATE, FREE);
  }

  get count(): number {
    return Atomics.load(this.#ints, COUNT);
  }

  get used(): number {
    return Atomics.load(this.#ints, USED);
  }

  get generation(): number {
    return Atomics.load(this.#ints, GENERATION);
  }

  get tpRef(): number {
    return Atomics.load(this.#ints, TP_REF);
  }

  get createdAt(): number {
    return this.#times[CREATED_AT] as number;
  }

  get baseTimestamp(): number {
    return this.#times[BASE_TIMESTAMP] as number;
  }

  get maxTimestamp(): number {
    return this.#times[MAX_TIMESTAMP] as number;
  }
}
