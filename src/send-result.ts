// What send() returns: a thenable, not a Promise. A Promise (and with it a
// possible unhandled rejection) exists only once someone calls then(), so
// fire-and-forget costs no promise per record and never rejects unhandled.
// The outcome is delivered exactly once, to the callback and/or the promise.
// A throwing callback is reported to the producer's sink, never rethrown.
// One lives per record until its batch is acknowledged, so it stays small:
// the metadata object and the promise are made only when someone asks.

import { type Batch, RecordGroup } from './accumulator/record-accumulator.js';
import type { SendContext } from './diagnostics/channels.js';
import { ATTACH_TRACE, traceSettled } from './diagnostics/send-trace.js';

/** Where a delivered record is stored. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 when the broker does not say (acks=0, or a duplicate the broker already had). */
  offset: number;
  /** The record's timestamp, or the broker's append time for LogAppendTime topics. */
  timestamp: number;
}

/** Called once with the record's outcome: an error, or null and its metadata. */
export type SendCallback = (err: Error | null, metadata?: RecordMetadata) => void;

/** Where every outcome is also counted and every failure announced. */
export interface OutcomeSink {
  succeeded(): void;
  failed(err: Error, result: SendResult): void;
  /** The user's callback threw: reported, never rethrown. */
  callbackFailed(thrown: unknown, result: SendResult): void;
}

const PENDING = -2;
const noop = (): void => {};

/** The promise of a result someone awaited, with its settle functions. */
interface Deferred {
  promise: Promise<RecordMetadata>;
  resolve(m: RecordMetadata): void;
  reject(e: Error): void;
}

// It is the accumulator's RecordHandle by shape; members marked internal are
// left out of the published types (stripInternal), so users see a thenable
// with topic, partition and timestamp, and cannot settle it or move it.
/**
 * What send() returns: await it (or call then) for the record's metadata, or
 * ignore it; it is a thenable, so no promise is made unless someone asks.
 */
export class SendResult implements PromiseLike<RecordMetadata> {
  readonly topic: string;
  readonly timestamp: number;
  #partition = -1;
  readonly #sink: OutcomeSink;
  /** The user's callback, or the group the record was sent in (producer.writable()). */
  readonly #watcher: SendCallback | RecordGroup | undefined;
  /** -2 while pending; the offset once delivered (-1 when unknown). */
  #offset = PENDING;
  #appendTime = -1;
  #error: Error | null = null;
  #deferred: Deferred | null = null;
  #trace: SendContext | null = null;
  /** The batch holding the record once appended, and its index there. */
  #batch: Batch | null = null;
  #index = -1;

  /** @internal */
  constructor(topic: string, timestamp: number, sink: OutcomeSink, watcher?: SendCallback | RecordGroup) {
    this.topic = topic;
    this.timestamp = timestamp;
    this.#sink = sink;
    this.#watcher = watcher;
  }

  /** The partition the record went to, once the partitioner chose it; -1 until then (and when it could not be chosen). */
  get partition(): number {
    return this.#partition;
  }

  /** @internal */
  set partition(p: number) {
    this.#partition = p;
  }

  /**
   * @internal send() hands over the send trace's context, only while
   * kafka-producer-ts:send has subscribers. A method under a symbol, not a
   * symbol-keyed field: such a field would cost every record its definition.
   */
  [ATTACH_TRACE](ctx: SendContext): void {
    this.#trace = ctx;
    this.#watch();
  }

  /** @internal */
  get watched(): boolean {
    return this.#watcher !== undefined || this.#deferred !== null || this.#trace !== null;
  }

  /** @internal */
  get kept(): SendResult | RecordGroup | null {
    const w = this.#watcher;
    if (this.#deferred !== null || this.#trace !== null || typeof w === 'function') return this;
    return w ?? null;
  }

  get #callback(): SendCallback | undefined {
    const w = this.#watcher;
    return typeof w === 'function' ? w : undefined;
  }

  /** @internal */
  appended(batch: Batch, index: number): void {
    this.#batch = batch;
    this.#index = index;
  }

  /** Someone waits now: a record in a batch that did not keep this handle asks the batch for it. */
  #watch(): void {
    if (this.#batch && !this.settled) this.#batch.watch(this.#index, this);
  }

  /** @internal */
  get settled(): boolean {
    return this.#error !== null || this.#offset !== PENDING;
  }

  /** @internal */
  settle(err: Error | null, offset: number, logAppendTime: number, announced = false): void {
    if (this.settled) return;
    if (err) {
      this.#error = err;
    } else {
      this.#offset = offset;
      this.#appendTime = logAppendTime;
    }
    this.notify(announced);
  }

  /**
   * @internal Fails the record now without telling anyone yet: send() refused it and
   * must not run a callback before it returns. notify() tells the sink, the
   * promise, the trace and the callback later, if anyone is to hear of it.
   */
  failNow(err: Error): void {
    if (!this.settled) this.#error = err;
  }

  /** @internal Delivers the settled outcome to the sink (unless `announced` already), the promise, the trace and the callback. */
  notify(announced = false): void {
    const err = this.#error;
    if (err) {
      if (!announced) this.#sink.failed(err, this);
      this.#deferred?.reject(err);
    } else {
      if (!announced) this.#sink.succeeded();
      this.#deferred?.resolve(this.#metadata() as RecordMetadata);
    }
    // Unless announced: then the batch told the group already, with the count.
    if (!announced && this.#watcher instanceof RecordGroup) this.#watcher.settled(err);
    const trace = this.#trace;
    if (trace) traceSettled(trace, this.#error, this.#metadata(), this.#callback ? this.#runCallback : null, this);
    else if (this.#callback) this.#runCallback();
  }

  /** The record's metadata once delivered, else null. */
  #metadata(): RecordMetadata | null {
    if (this.#offset === PENDING || this.#error) return null;
    return { topic: this.topic, partition: this.partition, offset: this.#offset, timestamp: this.#appendTime >= 0 ? this.#appendTime : this.timestamp };
  }

  #runCallback(): void {
    try {
      this.#callback?.(this.#error, this.#metadata() ?? undefined);
    } catch (thrown) {
      // As in Java: reported, and the other records' outcomes and the process go on.
      this.#sink.callbackFailed(thrown, this);
    }
  }

  #asPromise(): Promise<RecordMetadata> {
    const existing = this.#deferred;
    if (existing) return existing.promise;
    const d: Deferred = { promise: null as unknown as Promise<RecordMetadata>, resolve: noop, reject: noop };
    if (this.#error) d.promise = Promise.reject(this.#error);
    else if (this.#offset !== PENDING) d.promise = Promise.resolve(this.#metadata() as RecordMetadata);
    else {
      d.promise = new Promise<RecordMetadata>((resolve, reject) => {
        d.resolve = resolve;
        d.reject = reject;
      });
    }
    this.#deferred = d;
    // The batch may not have kept this handle: ask it, now that someone waits.
    this.#watch();
    return d.promise;
  }

  then<A = RecordMetadata, B = never>(
    onFulfilled?: ((value: RecordMetadata) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#asPromise().then(onFulfilled, onRejected);
  }

  /** As Promise.prototype.catch. */
  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<RecordMetadata | B> {
    return this.#asPromise().catch(onRejected);
  }
}
