// The record stream of a chaos phase: numbered records (the value starts
// with the record's index, as test/support/read-back.ts reads them) under
// keys of which one carries a quarter of the records, so that one partition
// is the busiest; each sent with a callback into a Ledger, paced as the
// README says (needsDrain / ready()), and spread over a fault timeline when
// given one.

import type { KafkaProducer } from 'kafka-producer-ts';
import { Ledger } from '../support/read-back.js';

/** Records between pacing decisions. */
const CHUNK = 200;

export interface LoadOptions {
  valueBytes: number;
  /** Ledger room written to at once (see Ledger). */
  capacity?: number;
}

export interface RunOptions {
  /** Records to send; without it, send until `until` says stop. */
  records?: number;
  /** The time the faults still need: records left are spread over it; none or 0: as fast as the producer takes them. */
  msLeft?: () => number;
  until?: () => boolean;
}

export class Load {
  readonly ledger: Ledger;
  readonly #producer: KafkaProducer;
  readonly #topic: string;
  readonly #filler: string;
  /** Acknowledged records per partition since the last busiest(), and in all. */
  #window = new Map<number, number>();
  #total = new Map<number, number>();
  /** Acknowledgements since the caller last set it to 0 (e.g. when the cluster came back). */
  acksSince = 0;

  constructor(producer: KafkaProducer, topic: string, opts: LoadOptions) {
    this.#producer = producer;
    this.#topic = topic;
    this.#filler = '.'.repeat(opts.valueBytes);
    this.ledger = new Ledger(opts.capacity);
  }

  /** Sends the next record; it settles into the ledger. */
  sendOne(): void {
    const i = this.ledger.sent;
    const settle = this.ledger.record();
    const index = String(i);
    const key = i % 4 === 0 ? 'hot' : `k${i % 61}`;
    this.#producer.send({ topic: this.#topic, key, value: index + ' ' + this.#filler.slice(index.length + 1) }, (err, md) => {
      settle(err, md);
      if (md) {
        this.#window.set(md.partition, (this.#window.get(md.partition) ?? 0) + 1);
        this.#total.set(md.partition, (this.#total.get(md.partition) ?? 0) + 1);
        this.acksSince++;
      }
    });
  }

  async run(opts: RunOptions): Promise<void> {
    const records = opts.records ?? Infinity;
    while (this.ledger.sent < records && !(opts.until?.() ?? false)) {
      const end = Math.min(records, this.ledger.sent + CHUNK);
      while (this.ledger.sent < end) {
        // As the README paces a loop: a send that would wait for memory waits here instead.
        if (this.#producer.needsDrain) await this.#producer.ready();
        this.sendOne();
      }
      const left = opts.msLeft?.() ?? 0;
      const wait = left > 0 ? (CHUNK * left) / Math.max(1, records - this.ledger.sent) : 0;
      await new Promise((r) => (wait >= 1 ? setTimeout(r, wait) : setImmediate(r)));
    }
  }

  /** The partition with the most acknowledgements since the last call (or ever, if none since). */
  busiest(): number {
    const counts = [...this.#window].length > 0 ? this.#window : this.#total;
    this.#window = new Map();
    let best = -1;
    let most = -1;
    for (const [p, n] of counts) if (n > most) [best, most] = [p, n];
    if (best < 0) throw new Error('no record was acknowledged yet: no busiest partition');
    return best;
  }
}
