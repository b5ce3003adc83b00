// producer.writable(): records as an object-mode Writable, for
// stream.pipeline(). Backpressure comes from the producer itself: a write
// completes once its send() is appended, and waits while sends wait for
// buffer memory, so the stream never holds more than its highWaterMark on top
// of bufferMemory. The first failed record destroys the stream with its
// error; final() resolves once every record written has settled.

import { Writable } from 'node:stream';
import type { KafkaProducer } from './producer.js';
import type { ProducerRecord } from './record.js';

export interface WritableOptions {
  /** Topic for records that name none. */
  topic?: string;
  /** Records the stream buffers before write() returns false (default 16). */
  highWaterMark?: number;
}

/** A record for the stream; `topic` may come from the stream's options instead. */
export type StreamRecord<K, V> = Omit<ProducerRecord<K, V>, 'topic'> & { topic?: string };

export class ProducerWritable<K, V> extends Writable {
  readonly #producer: KafkaProducer<K, V>;
  readonly #topic: string | undefined;
  /** Records written and not settled yet. */
  #pending = 0;
  #failure: Error | null = null;
  #onSettled: (() => void) | null = null;
  readonly #settled = (err: Error | null): void => {
    this.#pending--;
    if (err && !this.#failure) {
      this.#failure = err;
      this.destroy(err);
    }
    if (this.#pending === 0) this.#onSettled?.();
  };

  constructor(producer: KafkaProducer<K, V>, options: WritableOptions) {
    super({ objectMode: true, highWaterMark: options.highWaterMark ?? 16 });
    this.#producer = producer;
    this.#topic = options.topic;
  }

  override _write(chunk: StreamRecord<K, V>, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    const topic = chunk?.topic ?? this.#topic;
    const record = { ...chunk, topic } as ProducerRecord<K, V>;
    this.#pending++;
    this.#producer.send(record, this.#settled);
    if (this.#producer.needsDrain) this.#producer.ready().then(() => done(), done);
    else done();
  }

  override _final(done: (err?: Error | null) => void): void {
    if (this.#pending === 0) {
      done(this.#failure);
      return;
    }
    this.#onSettled = () => done(this.#failure);
  }
}

