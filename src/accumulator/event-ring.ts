// A single-producer, single-consumer ring of int32 events in shared memory:
// the main thread tells the sender which slots opened and which it sealed,
// with no message per batch. The producer writes the entry, then publishes
// the new head with Atomics.store and wakes a waiting consumer with
// Atomics.notify; the consumer sleeps with Atomics.waitAsync on the head.
// Capacity must exceed the events that can be unconsumed at once (two per
// slot in use), which the caller guarantees by sizing it from the pool.
// Head and tail are int32 counters that wrap at 2^32; the capacity is a
// power of two, which divides 2^32, so a counter's position (its low bits)
// runs on continuously across the wrap.

const HEAD = 0;
const TAIL = 1;
const HEADER_WORDS = 2;

/** The smallest power of two at least `n` (and at least 1). */
function powerOfTwoAtLeast(n: number): number {
  let capacity = 1;
  while (capacity < n) capacity *= 2;
  return capacity;
}

export class EventRing {
  readonly sab: SharedArrayBuffer;
  readonly #words: Int32Array;
  /** Capacity - 1: a position is a counter's low bits. */
  readonly #mask: number;

  /**
   * A new ring for at least `capacityOrSab` unconsumed events, or the view of
   * an existing one. `startCounter` (tests only) starts head and tail there,
   * e.g. just before the wrap at 2^32, where a long-running producer gets.
   */
  constructor(capacityOrSab: number | SharedArrayBuffer, startCounter = 0) {
    this.sab = typeof capacityOrSab === 'number' ? new SharedArrayBuffer((HEADER_WORDS + powerOfTwoAtLeast(capacityOrSab)) * 4) : capacityOrSab;
    this.#words = new Int32Array(this.sab);
    const capacity = this.#words.length - HEADER_WORDS;
    if (capacity !== powerOfTwoAtLeast(capacity)) throw new Error(`event ring capacity ${capacity} is not a power of two`);
    this.#mask = capacity - 1;
    if (typeof capacityOrSab === 'number' && startCounter !== 0) {
      Atomics.store(this.#words, HEAD, startCounter | 0);
      Atomics.store(this.#words, TAIL, startCounter | 0);
    }
  }

  /** Producer side. Throws if the consumer fell a whole ring behind (a sizing bug, never silent). */
  push(event: number): void {
    const head = Atomics.load(this.#words, HEAD);
    if (((head - Atomics.load(this.#words, TAIL)) | 0) > this.#mask) throw new Error('event ring overflow: the sender stopped consuming');
    this.#words[HEADER_WORDS + (head & this.#mask)] = event;
    Atomics.store(this.#words, HEAD, (head + 1) | 0);
    Atomics.notify(this.#words, HEAD);
  }

  /** Consumer side: hands every published event to `each`, oldest first. */
  drain(each: (event: number) => void): void {
    let tail = Atomics.load(this.#words, TAIL);
    const head = Atomics.load(this.#words, HEAD);
    while (tail !== head) {
      each(this.#words[HEADER_WORDS + (tail & this.#mask)] as number);
      tail = (tail + 1) | 0;
      Atomics.store(this.#words, TAIL, tail);
    }
  }

  /** Consumer side: resolves once the head moves past what was drained. */
  waitForEvents(): Promise<unknown> | null {
    const tail = Atomics.load(this.#words, TAIL);
    const res = Atomics.waitAsync(this.#words, HEAD, tail);
    return res.async ? res.value : null;
  }

  /** Wakes a consumer waiting in waitForEvents (used when it shuts down). */
  wakeConsumer(): void {
    Atomics.notify(this.#words, HEAD);
  }
}
