// Outcomes go to the producer in bulk: every outcome (and traced Produce
// request) of one tick in one message, with the counters as they stand. A
// counter that changes with no outcome to carry it (a retry, an epoch bump,
// a metadata refresh while every record waits) sends the message anyway, so
// that metrics() does not lag behind a producer stuck retrying.

import type { Channel, FromSender, Outcome, ProduceFacts, SenderCounters, SlotRef, ToSender } from './messages.js';

export class OutcomeReporter {
  readonly #channel: Channel<ToSender, FromSender>;
  readonly counters: SenderCounters = { requests: 0, batches: 0, batchBytes: 0, retries: 0, splits: 0, metadataRefreshes: 0, epochBumps: 0, transactionVersion: 0 };
  #outcomes: Outcome[] = [];
  /** Produce requests answered since the last message, while tracing. */
  #requests: ProduceFacts[] | null = null;
  /** Slots of pinned outcomes whose last write finished since the last message. */
  #released: SlotRef[] | null = null;
  #scheduled = false;
  #countersChanged = false;

  constructor(channel: Channel<ToSender, FromSender>) {
    this.#channel = channel;
  }

  report(o: Outcome): void {
    this.#outcomes.push(o);
    this.#schedule();
  }

  reportRequest(facts: ProduceFacts): void {
    (this.#requests ??= []).push(facts);
    this.#schedule();
  }

  /** No write holds the slot of a batch reported pinned any more: main may free it. */
  release(slot: number, gen: number): void {
    (this.#released ??= []).push({ slot, gen });
    this.#schedule();
  }

  countersChanged(): void {
    this.#countersChanged = true;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** Sends what is pending now (also before the closing word). */
  flush(): void {
    this.#scheduled = false;
    if (this.#outcomes.length === 0 && this.#requests === null && this.#released === null && !this.#countersChanged) return;
    this.#countersChanged = false;
    const outcomes = this.#outcomes;
    const requests = this.#requests;
    const released = this.#released;
    this.#outcomes = [];
    this.#requests = null;
    this.#released = null;
    this.#channel.post({ t: 'outcomes', outcomes, counters: { ...this.counters }, requests, released });
  }
}
