// A single-producer, single-consumer ring of int32 events in shared memory:
// the main thread tells the sender which slots opened and which it sealed,
// with no message per batch. The producer writes the entry, then publishes
// the new head with Atomics.store and wakes a waiting consumer with
// Atomics.notify; the consumer sleeps with Atomics.waitAsync on the head.
// Capacity must exceed the events that can be unconsumed at once (two per
// slot in use), which the caller guarantees by sizing it from the pool.

const HEAD = 0;
const TAIL = 1;
const HEADER_WORDS = 2;

export class EventRing {
  readonly sab: SharedArrayBuffer;
  readonly #words: Int32Array;
  readonly #capacity: number;

  constructor(capacityOrSab: number | SharedArrayBuffer) {
    this.sab = typeof capacityOrSab === 'number' ? new SharedArrayBuffer((HEADER_WORDS + capacityOrSab) * 4) : capacityOrSab;
    this.#words = new Int32Array(this.sab);
    this.#capacity = this.#words.length - HEADER_WORDS;
  }

  /** Producer side. Throws if the consumer fell a whole ring behind (a sizing bug, never silent). */
  push(event: number): void {
    const head = Atomics.load(this.#words, HEAD);
    if (((head - Atomics.load(this.#words, TAIL)) | 0) >= this.#capacity) throw new Error('event ring overflow: the sender stopped consuming');
    this.#words[HEADER_WORDS + ((head >>> 0) % this.#capacity)] = event;
    Atomics.store(this.#words, HEAD, (head + 1) | 0);
    Atomics.notify(this.#words, HEAD);
  }

  /** Consumer side: hands every published event to `each`, oldest first. */
  drain(each: (event: number) => void): void {
    let tail = Atomics.load(this.#words, TAIL);
    const head = Atomics.load(this.#words, HEAD);
    while (tail !== head) {
      each(this.#words[HEADER_WORDS + ((tail >>> 0) % this.#capacity)] as number);
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
