// KafkaProducer, the public face. send() validates, serializes, picks the
// partition and appends the record's bytes into the accumulator's shared
// memory: nothing else happens on the caller's thread. The sender (on a
// worker thread by default) does the network work and reports outcomes in
// bulk, which settle each record exactly once.
//
// A send() that cannot proceed (topic or partition not in metadata yet, or no
// buffer memory) waits (src/waiting-sends.ts) and fails after its own
// maxBlockMs; waiting sends are bounded by bufferMemory bytes, beyond which a
// send fails at once, and 'drain' / ready() / writable() let callers pace
// themselves. Every record sent before flush() has settled when it resolves;
// close() flushes, fails whatever is left, and stops the sender and its
// sockets and timers so the process can exit.

import { EventEmitter } from 'node:events';
import { RecordAccumulator, type Batch, type RecordGroup, type TopicPartition } from './accumulator/record-accumulator.js';
import { BATCH_HEADER_SIZE, decodeRecords } from './protocol/record-batch.js';
import { resolveConfig, senderConfig, type Bytes, type ProducerConfig, type ProducerOptions } from './config.js';
import {
  AuthenticationError,
  BufferExhaustedError,
  InvalidRecordError,
  KafkaResponseError,
  KafkaTimeoutError,
  ProducerClosedError,
  ProducerFatalError,
  TransactionStateError,
} from './errors.js';
import { errorInfo } from './protocol/errors.js';
import { murmur2 } from './partitioner/murmur2.js';
import type { KeylessStrategy } from './partitioner/partitioner.js';
import { RoundRobinPartitioner } from './partitioner/round-robin.js';
import { StickyPartitioner } from './partitioner/sticky.js';
import { checkRecord, type CheckedRecord, type ProducerRecord } from './record.js';
import { SendResult, type OutcomeSink, type SendCallback } from './send-result.js';
import { SENDER_DEPS, startSender, type SenderHost } from './sender/host.js';
import type { SenderDeps } from './sender/sender.js';
import type { FromSender, GroupMetadata, PartitionMetadata, ProvidedToken, SenderCounters, TopicMetadata, TransactionOffset } from './sender/messages.js';
import { Transactions } from './transactions.js';
import { deserializeError, serializeError } from './sender/wire-errors.js';
import { APPENDED, WaitingSends, type Attempt, type Waiting } from './waiting-sends.js';
import { ProducerWritable, type WritableOptions } from './writable.js';
import { DiagnosticsReporter } from './diagnostics/reporter.js';
import { sendTraced, traceSend } from './diagnostics/send-trace.js';

/** The producer's counts; the request-level ones come from the sender. */
export interface ProducerMetrics extends SenderCounters {
  recordsSent: number;
  recordsFailed: number;
  /** send() calls waiting for metadata or buffer memory. */
  recordsWaiting: number;
  /** Serialized bytes the waiting sends hold (at most bufferMemory). */
  waitingBytes: number;
  batchesOutstanding: number;
  bufferTotalBytes: number;
  bufferAvailableBytes: number;
}

/** What a failed delivery reports about its record. */
export interface FailedRecord {
  topic: string;
  /** -1 when no partition was chosen yet. */
  partition: number;
  timestamp: number;
}

/** The producer's events and their arguments. */
export interface ProducerEvents {
  /** A record failed; fires for every failure, also when the caller awaits or passed a callback. */
  deliveryError: [err: Error, record: FailedRecord];
  /** The producer cannot go on (e.g. the cluster refused the idempotent producer id): close it. */
  fatalError: [err: Error];
  /** Sends waited for buffer memory or metadata, and none waits any more. */
  drain: [];
}

interface FlushWaiter {
  /** Waiting sends below this id must be appended (or failed) first. */
  waitingId: number;
  /** Then every batch below this sequence must settle. */
  batchMark: number | null;
  resolve: () => void;
}

/** Waits for `p`, or for timeoutMs at most (Infinity: for `p`). */
async function within(p: Promise<void>, timeoutMs: number): Promise<void> {
  if (!Number.isFinite(timeoutMs)) return p;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, timeoutMs))))]);
  clearTimeout(timer);
}

const WAIT_FOR_TOPIC: Attempt = { wait: 'metadata', partition: null };

const keyScratch = { buf: Buffer.allocUnsafe(256) };

/** murmur2 of a key as bytes; string keys are encoded into a reused scratch buffer. */
function keyHash(key: Uint8Array | string): number {
  if (typeof key !== 'string') return murmur2(key);
  const len = Buffer.byteLength(key, 'utf8');
  if (len > keyScratch.buf.length) keyScratch.buf = Buffer.allocUnsafe(len * 2);
  keyScratch.buf.write(key, 0, len, 'utf8');
  return murmur2(keyScratch.buf.subarray(0, len));
}

/**
 * A Kafka producer. K and V are the key and value types: what the
 * keySerializer and valueSerializer take, or strings and bytes without them.
 */
export class KafkaProducer<K = Bytes, V = Bytes> extends EventEmitter<ProducerEvents> {
  readonly #config: ProducerConfig;
  readonly #accumulator: RecordAccumulator;
  readonly #host: SenderHost;
  readonly #keyless: KeylessStrategy;
  readonly #metadata = new Map<string, TopicMetadata>();
  readonly #metadataRequested = new Map<string, number>();
  readonly #metadataListeners: ((m: TopicMetadata) => void)[] = [];
  readonly #waiting: WaitingSends;
  #readyWaiters: (() => void)[] = [];
  /** Sends refused by send() whose callbacks, event or trace are still to hear of it. */
  #failing: SendResult[] = [];
  /** This tick's error for sends refused for the bound (see #refusal). */
  #refused: BufferExhaustedError | null = null;
  #flushes: FlushWaiter[] = [];
  #counters: SenderCounters = { requests: 0, batches: 0, batchBytes: 0, retries: 0, splits: 0, metadataRefreshes: 0, epochBumps: 0, transactionVersion: 0 };
  #sent = 0;
  #failed = 0;
  /** Batch creation times (and default record timestamps) come from here. */
  #now: () => number = Date.now;
  #closing = false;
  #closed: Promise<void> | null = null;
  /** The host keeps the process alive: records, a transaction step, an open transaction or a flush are pending. */
  #held = false;
  /** Transaction steps posted to the sender and not answered yet. */
  #txnSteps = 0;
  #senderClosed: (() => void) | null = null;
  /** The sender's thread died: close() has nothing to wait for. */
  #senderCrashed = false;
  #fatal: Error | null = null;
  readonly #sink: OutcomeSink;
  /** Set with transactionalId: the transaction API's state. */
  readonly #txn: Transactions | null;
  readonly #diagnostics: DiagnosticsReporter;
  readonly #queued = (topic: string, partition: number): number => this.#accumulator.queued(topic, partition);

  constructor(options: ProducerOptions<K, V>) {
    super();
    this.#config = resolveConfig(options);
    const cfg = this.#config;
    const deps = (options as { [SENDER_DEPS]?: SenderDeps } | undefined)?.[SENDER_DEPS];
    // A test's clock dates batches and moves maxBlockMs deadlines too, so the Sender's linger and expiry see one time.
    const clock = deps?.clock;
    this.#waiting = new WaitingSends(
      {
        attempt: (w, now) => this.#attempt(w.record, w.result, w.tp, now),
        expire: (w) => w.result.settle(this.#blockTimeout(w), -1, -1),
        requestMetadata: (topic, now) => this.#requestMetadata(topic, now),
        drained: () => this.#onDrained(),
      },
      cfg.maxBlockMs,
      cfg.retryBackoffMs,
      clock,
    );
    this.#keyless = cfg.partitioner === 'round-robin' ? new RoundRobinPartitioner() : new StickyPartitioner(cfg.batchSize, Math.random, (topic, partition) => this.#accumulator.growing(topic, partition), cfg.maxBatchSize);
    if (clock) this.#now = () => clock.now();
    this.#host = startSender(cfg.worker && !deps, deps);
    const channel = this.#host.channel;
    this.#accumulator = new RecordAccumulator(cfg.bufferMemory, cfg.batchSize, cfg.maxBatchSize, {
      onSlotCreated: (slot) => channel.post({ t: 'slot', id: slot.id, sab: slot.sab }),
      onSlotDropped: (id) => channel.post({ t: 'drop-slot', id }),
      onTopicPartition: (tp) => channel.post({ t: 'tp', ref: tp.ref, topic: tp.topic, partition: tp.partition }),
      onBatchSettled: () => this.#onBatchSettled(),
      onUnwatchedDelivered: (_batch, count) => (this.#sent += count),
      onUnwatchedFailed: (batch, indexes, err) => this.#onUnwatchedFailed(batch, indexes, err),
    }, deps?.startCounters);
    channel.onMessage((m) => {
      this.#onSenderMessage(m);
      if (this.#held) this.#releaseIfIdle();
    });
    channel.post({ t: 'init', config: senderConfig(cfg), ring: this.#accumulator.ring.sab });
    this.#diagnostics = new DiagnosticsReporter(cfg.logger, (m) => channel.post(m));
    this.#txn =
      cfg.transactionalId === null
        ? null
        : new Transactions(cfg.maxBlockMs, {
            post: (id, op, timeoutMs) => {
              // The step must see every batch appended so far: those held until the task ends are announced first.
              this.#accumulator.letGoOfHeld();
              this.#txnSteps++;
              this.#holdIfPending();
              channel.post({ t: 'txn', id, op, timeoutMs });
            },
            flush: () => this.flush(),
            abandon: (err) => this.#waiting.failAll(err),
            fatal: () => this.#fatal,
          }, cfg.transactionTimeoutMs);
    this.#sink = {
      succeeded: () => {
        this.#sent++;
      },
      failed: (err, result) => {
        this.#countFailed(1, err);
        this.emit('deliveryError', err, { topic: result.topic, partition: result.partition, timestamp: result.timestamp });
      },
      callbackFailed: (thrown, result) => this.#diagnostics.callbackFailed(thrown, result.topic, result.partition),
    };
  }

  /**
   * Sends a record. Await it (or call .then) for its metadata, pass a
   * callback, or ignore the result: failures then still reach the
   * 'deliveryError' event and metrics().recordsFailed. A send that would
   * make the waiting sends hold more than bufferMemory leaves them fails at
   * once with BufferExhaustedError: pace with ready(), 'drain' or writable().
   */
  send(record: ProducerRecord<K, V>, callback?: SendCallback): SendResult {
    return this.#sendTraced(record, callback);
  }

  /** Tracing only while kafka-producer-ts:send has subscribers: otherwise no context is allocated. */
  #sendTraced(record: ProducerRecord<K, V>, watcher: SendCallback | RecordGroup | undefined): SendResult {
    return sendTraced() ? traceSend(this, this.#send, record, watcher) : this.#send(record, watcher);
  }

  /** `watcher`: the user's callback, or the group of a writable() stream. */
  #send(record: ProducerRecord<K, V>, watcher: SendCallback | RecordGroup | undefined): SendResult {
    const now = this.#now();
    let checked: CheckedRecord;
    try {
      if (this.#fatal) throw this.#fatal;
      if (this.#closing) throw new ProducerClosedError('send() after close(): create a new producer');
      const outsideTransaction = this.#txn?.sendRefusal();
      if (outsideTransaction) throw outsideTransaction;
      checked = checkRecord(record, this.#config.keySerializer, this.#config.valueSerializer, now);
      this.#checkSize(checked);
    } catch (err) {
      return this.#failedAtOnce(typeof record?.topic === 'string' ? record.topic : '', now, err as Error, watcher);
    }
    const result = new SendResult(checked.topic, checked.timestamp, this.#sink, watcher);
    const attempt = this.#waiting.topicBlocked(checked.topic) ? WAIT_FOR_TOPIC : this.#attempt(checked, result, null, now);
    if (attempt.wait === 'none') {
      if (!this.#held) this.#holdIfPending();
      return result;
    }
    if (!this.#waiting.hasRoomFor(checked.soloSize, this.#waitingAllowance())) {
      result.partition = attempt.wait === 'memory' ? attempt.tp.partition : -1;
      this.#settleSoon(result, this.#refusal());
      return result;
    }
    this.#waiting.add(checked, result, now, attempt);
    if (!this.#held) this.#holdIfPending();
    return result;
  }

  /**
   * Pending work holds the process; an idle producer does not (the Java
   * client's sender thread is a daemon). A script that sends, awaits and
   * never closes exits; one that sends without awaiting exits once the
   * record settled.
   */
  #pending(): boolean {
    return this.#waiting.size > 0 || this.#accumulator.outstandingBatches > 0 || this.#txnSteps > 0 || this.#flushes.length > 0 || this.#txnOpen();
  }

  /** A transaction begun and not ended holds the process, as its records and steps do. */
  #txnOpen(): boolean {
    const state = this.#txn?.state;
    return state === 'in-transaction' || state === 'abortable-error';
  }

  #holdIfPending(): void {
    if (this.#held || !this.#pending()) return;
    this.#held = true;
    this.#host.keepAlive(true);
  }

  #releaseIfIdle(): void {
    if (!this.#held || this.#pending()) return;
    this.#held = false;
    this.#host.keepAlive(false);
  }

  /**
   * The error of a send refused for the bound. Every refusal of one tick
   * shares it (as a stream's pending writes share its error): a loop far
   * past the bound must not pay an error, with its stack, per record.
   */
  #refusal(): BufferExhaustedError {
    if (this.#refused) return this.#refused;
    const err = new BufferExhaustedError(
      `send() refused the record: ${this.#waiting.size} send(s) already wait for buffer memory or metadata holding ${this.#waiting.bytes} bytes, all that bufferMemory (${this.#config.bufferMemory}) leaves them; pace sends with await producer.ready(), the 'drain' event or producer.writable()`,
    );
    this.#refused = err;
    queueMicrotask(() => {
      this.#refused = null;
    });
    return err;
  }

  /**
   * Waiting sends and batches share bufferMemory, so memory stays near it
   * however fast send() is called: waiting records may hold what the batches
   * leave free (all of it while the first metadata is awaited), and at least
   * one batchSize, so a send under load can still wait its maxBlockMs.
   */
  #waitingAllowance(): number {
    return Math.max(this.#config.batchSize, this.#accumulator.pool.availableMemory);
  }

  #failedAtOnce(topic: string, now: number, err: Error, watcher: SendCallback | RecordGroup | undefined): SendResult {
    const failed = new SendResult(topic, now, this.#sink, watcher);
    this.#settleSoon(failed, err);
    return failed;
  }

  /**
   * Fails a send that send() refuses. Its result is failed at once (a later
   * then() rejects), but callbacks, 'deliveryError' and the trace hear of it
   * only after send() returned, all of the tick's in one microtask. With none
   * of those to tell, nothing is kept: a tight loop far past the bound holds
   * no memory for the sends it was refused.
   */
  #settleSoon(result: SendResult, err: Error): void {
    result.failNow(err);
    // Nobody to tell: no callback, promise or trace (now or, traced, right after send() returns), no listener.
    if (!result.watched && !sendTraced() && this.listenerCount('deliveryError') === 0) {
      this.#countFailed(1, err);
      return;
    }
    this.#failing.push(result);
    if (this.#failing.length === 1) queueMicrotask(this.#notifyFailing);
  }

  readonly #notifyFailing = (): void => {
    const failing = this.#failing;
    this.#failing = [];
    for (const result of failing) result.notify();
  };

  /** True while sends wait for buffer memory or metadata; 'drain' fires when none does. */
  get needsDrain(): boolean {
    return this.#waiting.size > 0;
  }

  /** Resolves once no send waits for buffer memory or metadata (at once if none does). */
  ready(): Promise<void> {
    if (this.#waiting.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#readyWaiters.push(resolve));
  }

  #onDrained(): void {
    for (const r of this.#readyWaiters.splice(0)) r();
    this.#checkFlushes();
    // Waiting sends may have expired (maxBlockMs) with no answer from the sender.
    this.#releaseIfIdle();
    this.emit('drain');
  }

  /**
   * An object-mode Writable of records: write() returns false while sends
   * wait for buffer memory, so stream.pipeline() never buffers more than
   * bufferMemory plus the stream's highWaterMark. A failed record destroys
   * the stream with its error; finishing waits until every record settled.
   */
  writable(options: WritableOptions = {}): ProducerWritable<K, V> {
    return new ProducerWritable<K, V>(this, options, (record, group) => this.#sendTraced(record, group));
  }

  #checkSize(r: CheckedRecord): void {
    const { maxRequestSize, bufferMemory } = this.#config;
    if (r.soloSize > maxRequestSize) {
      throw new InvalidRecordError(`the record is ${r.soloSize} bytes when serialized, larger than maxRequestSize (${maxRequestSize}); raise maxRequestSize or send a smaller record`);
    }
    if (r.soloSize > bufferMemory) {
      throw new InvalidRecordError(`the record is ${r.soloSize} bytes when serialized, larger than bufferMemory (${bufferMemory}); raise bufferMemory`);
    }
  }

  /**
   * Appends now if it can. Otherwise says what the record waits for: its
   * topic's metadata, a partition the topic does not have yet (partitions may
   * be added), or buffer memory (once its partition is chosen). A record that
   * can never be sent (partitioner error) is failed here and counts as done.
   */
  #attempt(r: CheckedRecord, result: SendResult, chosen: TopicPartition | null, now: number): Attempt {
    let tp = chosen;
    if (!tp) {
      const md = this.#metadata.get(r.topic);
      if (!md || md.partitionCount === 0) {
        this.#requestMetadata(r.topic, now);
        return WAIT_FOR_TOPIC;
      }
      if (r.partition !== undefined && r.partition >= md.partitionCount) {
        this.#requestMetadata(r.topic, now);
        return { wait: 'metadata', partition: r.partition };
      }
      let partition: number;
      try {
        partition = this.#choosePartition(r, md);
      } catch (err) {
        this.#settleSoon(result, err as Error);
        return APPENDED;
      }
      tp = this.#accumulator.partition(r.topic, partition);
      result.partition = partition;
      // Records already waiting for this partition's memory go first.
      if (this.#waiting.partitionBlocked(tp)) return { wait: 'memory', tp };
    }
    if (!this.#accumulator.tryAppend(tp, r, result, now)) {
      // Memory is spent: batches that hold it idle go now (Java's "exhausted" readiness).
      this.#accumulator.sealIdle();
      return { wait: 'memory', tp };
    }
    this.#keyless.onAppend(r.topic, tp.partition, r.soloSize);
    return APPENDED;
  }

  #choosePartition(r: CheckedRecord, md: TopicMetadata): number {
    const count = md.partitionCount;
    if (r.partition !== undefined) return r.partition;
    const custom = this.#config.partitioner;
    if (typeof custom === 'function') {
      const key = typeof r.key === 'string' ? Buffer.from(r.key, 'utf8') : r.key;
      let p: number;
      try {
        p = custom(r.topic, key, r.value, count);
      } catch (err) {
        throw new InvalidRecordError(`the partitioner threw for topic ${r.topic}: ${(err as Error).message}`);
      }
      if (!Number.isInteger(p) || p < 0 || p >= count) {
        throw new InvalidRecordError(`the partitioner returned ${String(p)} for topic ${r.topic}, which has partitions 0..${count - 1}`);
      }
      return p;
    }
    if (r.key !== null && custom === 'default') return (keyHash(r.key) & 0x7fffffff) % count;
    return this.#keyless.partition(r.topic, md, this.#queued);
  }

  #blockTimeout(w: Waiting): Error {
    const ms = this.#config.maxBlockMs;
    const md = this.#metadata.get(w.record.topic);
    if (!w.tp && (!md || md.partitionCount === 0)) {
      const why = md?.error ? ` (last error: ${md.error.message})` : '';
      return new KafkaTimeoutError(`Topic ${w.record.topic} not present in metadata after ${ms} ms (maxBlockMs)${why}; create it, or check its name and the broker`, md?.error ? deserializeError(md.error) : undefined);
    }
    const p = w.record.partition;
    if (!w.tp && md && p !== undefined && p >= md.partitionCount) {
      return new KafkaTimeoutError(
        `Partition ${p} of topic ${w.record.topic} with partition count ${md.partitionCount} is not present in metadata after ${ms} ms (maxBlockMs); send to partitions 0..${md.partitionCount - 1} or add partitions to the topic`,
      );
    }
    return new BufferExhaustedError(
      `Failed to allocate ${w.record.soloSize} bytes of buffer memory within maxBlockMs (${ms} ms): all ${this.#config.bufferMemory} bytes of bufferMemory are held by batches not yet delivered (is the broker reachable?)`,
    );
  }

  #requestMetadata(topic: string, now: number): void {
    const last = this.#metadataRequested.get(topic);
    if (last !== undefined && now - last < this.#config.retryBackoffMs) return;
    this.#metadataRequested.set(topic, now);
    this.#host.channel.post({ t: 'metadata', topic });
  }

  #onSenderMessage(m: FromSender): void {
    switch (m.t) {
      case 'outcomes':
        this.#diagnostics.outcomes(m.requests);
        this.#counters = m.counters;
        for (const o of m.outcomes) {
          this.#accumulator.settle(o.slot, o.gen, o.from, o.count, o.error ? deserializeError(o.error) : null, o.baseOffset, o.logAppendTime, o.pinned === true);
        }
        if (m.released) for (const r of m.released) this.#accumulator.release(r.slot, r.gen);
        this.#checkFlushes();
        return;
      case 'metadata': {
        this.#diagnostics.metadata(m.metadata);
        const known = this.#metadata.get(m.metadata.topic);
        // A refresh that could not reach the cluster (-1) says nothing new
        // about the topic: keep what was known, with the reason.
        if (m.metadata.errorCode === -1 && known && known.partitionCount > 0) this.#metadata.set(m.metadata.topic, { ...known, error: m.metadata.error });
        else this.#metadata.set(m.metadata.topic, m.metadata);
        for (const l of this.#metadataListeners.splice(0)) l(m.metadata);
        if (this.#waiting.size === 0) return;
        // An error no refresh will cure (invalid name, not authorized) fails the topic's sends now, not after maxBlockMs.
        const code = m.metadata.errorCode;
        if (code !== 0 && code !== -1 && !errorInfo(code).retriable) {
          const err = m.metadata.error ? deserializeError(m.metadata.error) : new KafkaResponseError(code, `Metadata for topic ${m.metadata.topic}`);
          this.#waiting.failTopic(m.metadata.topic, err);
        }
        this.#waiting.onMetadata(m.metadata.topic, this.#now());
        return;
      }
      case 'fatal':
        this.#fatal = deserializeError(m.error);
        if (!(this.#fatal instanceof ProducerFatalError || this.#fatal instanceof AuthenticationError)) this.#fatal = new ProducerFatalError(this.#fatal.message);
        this.emit('fatalError', this.#fatal);
        // Sends waiting for metadata would otherwise wait out maxBlockMs for an answer that cannot come.
        this.#waiting.failAll(this.#fatal);
        return;
      case 'token-request':
        this.#provideToken(m.id);
        return;
      case 'crashed': {
        const err = deserializeError(m.error);
        this.#senderCrashed = true;
        this.#fatal ??= err;
        this.emit('fatalError', err);
        // Nothing the sender held will be reported: settle it all here, once.
        this.#accumulator.failAll(err);
        this.#waiting.failAll(err);
        this.#txn?.failSteps(err);
        this.#txnSteps = 0;
        this.#senderClosed?.();
        this.#checkFlushes();
        return;
      }
      case 'event':
        this.#diagnostics.event(m.event);
        return;
      case 'closed':
        this.#senderClosed?.();
        return;
      case 'txn':
        this.#counters = m.counters;
        if (this.#txnSteps > 0) this.#txnSteps--;
        this.#txn?.answered(m.id, m.error);
        return;
    }
  }

  /**
   * OAUTHBEARER: a connection of the sender needs a token. The provider is
   * the user's function, so it runs here; the sender checks what it gave.
   */
  #provideToken(id: number): void {
    const answer = (token: ProvidedToken | null, error: unknown) => {
      try {
        this.#host.channel.post({ t: 'token', id, token, error: error === null ? null : serializeError(error) });
      } catch (err) {
        // The token's fields could not be copied to the sender's thread.
        this.#host.channel.post({ t: 'token', id, token: null, error: serializeError(err) });
      }
    };
    const sasl = this.#config.sasl;
    if (sasl?.mechanism !== 'oauthbearer') return answer(null, new Error('a token was asked for, but sasl.mechanism is not oauthbearer'));
    new Promise<unknown>((resolve) => resolve(sasl.token())).then(
      (t) => answer({ value: (t as { value?: unknown } | null)?.value, extensions: (t as { extensions?: unknown } | null)?.extensions }, null),
      (err: unknown) => answer(null, err ?? new Error('the token provider rejected without a reason')),
    );
  }

  /** Failed records are counted; inside a transaction, one failure means it cannot commit. */
  #countFailed(records: number, err: Error): void {
    this.#failed += records;
    this.#txn?.recordFailed(err);
  }

  /** Records nobody watched (fire-and-forget) failed: counted, and announced. */
  #onUnwatchedFailed(batch: Batch, indexes: number[], err: Error): void {
    this.#countFailed(indexes.length, err);
    if (this.listenerCount('deliveryError') === 0) return;
    // The records' own timestamps are in the slot, which is freed only after this.
    const slot = batch.slot;
    const records = decodeRecords(slot.bytes.subarray(BATCH_HEADER_SIZE, batch.used), batch.count, 0, slot.baseTimestamp);
    for (const i of indexes) this.emit('deliveryError', err, { topic: batch.tp.topic, partition: batch.tp.partition, timestamp: records[i]?.timestamp ?? -1 });
  }

  /** Memory came free: waiting sends may go on. */
  #onBatchSettled(): void {
    if (this.#waiting.size > 0) this.#waiting.onMemory(this.#now());
  }

  /** Resolves when every record sent before it has settled (sent or failed). */
  flush(): Promise<void> {
    if (this.#waiting.size === 0 && this.#accumulator.outstandingBatches === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#flushes.push({ waitingId: this.#waiting.nextId, batchMark: null, resolve });
      this.#holdIfPending();
      this.#checkFlushes();
    });
  }

  #checkFlushes(): void {
    if (this.#flushes.length === 0) return;
    const oldestWaiting = this.#waiting.oldestId;
    let sealed = false;
    this.#flushes = this.#flushes.filter((f) => {
      if (f.batchMark === null) {
        if (oldestWaiting < f.waitingId) return true;
        f.batchMark = this.#accumulator.nextBatchSeq;
        if (!sealed) {
          this.#accumulator.sealAll();
          sealed = true;
        }
      }
      if (this.#accumulator.oldestOutstandingSeq >= f.batchMark) {
        f.resolve();
        return false;
      }
      return true;
    });
  }

  /**
   * Transactions (transactionalId set): finds the transaction coordinator
   * and takes the producer id and epoch for the transactional id, which
   * fences off any older producer with the same id and lets the coordinator
   * finish that one's open transaction. Call once, before the first
   * transaction.
   */
  async initTransactions(): Promise<void> {
    await this.#transactions('initTransactions()').init();
  }

  /** Starts a transaction: records sent from now on commit or abort together. */
  beginTransaction(): void {
    this.#transactions('beginTransaction()').begin();
    this.#holdIfPending();
  }

  /**
   * Commits consumed offsets of a consumer group with the transaction: they
   * count only if it commits (consume-transform-produce). `offsets`: the
   * next offset to read per partition.
   */
  async sendOffsetsToTransaction(offsets: readonly TransactionOffset[], groupMetadata: GroupMetadata): Promise<void> {
    const txn = this.#transactions('sendOffsetsToTransaction()');
    if (typeof groupMetadata?.groupId !== 'string' || groupMetadata.groupId === '') throw new TypeError('sendOffsetsToTransaction(): groupMetadata.groupId must be a non-empty string');
    for (const o of offsets) {
      if (typeof o?.topic !== 'string' || !Number.isInteger(o.partition) || o.partition < 0 || !Number.isInteger(o.offset) || o.offset < 0) {
        throw new TypeError(`sendOffsetsToTransaction(): each offset needs a topic, a partition and an offset (integers, 0 or more), got ${JSON.stringify(o)}`);
      }
    }
    await txn.sendOffsets([...offsets], groupMetadata);
  }

  /**
   * Flushes, then commits the transaction. If any of its records failed,
   * rejects with TransactionAbortableError: call abortTransaction().
   */
  async commitTransaction(): Promise<void> {
    await this.#transactions('commitTransaction()').commit();
  }

  /**
   * Aborts the transaction: records not sent yet fail with
   * TransactionAbortedError, those in flight are awaited, and read_committed
   * consumers never see any of it.
   */
  async abortTransaction(): Promise<void> {
    await this.#transactions('abortTransaction()').abort();
  }

  #transactions(call: string): Transactions {
    if (this.#closing) throw new ProducerClosedError(`${call} after close(): create a new producer`);
    if (!this.#txn) throw new TransactionStateError(`${call} needs a transactional producer: set the transactionalId option`);
    return this.#txn;
  }

  /** Topic partitions with their leaders, from the cluster (waits up to maxBlockMs). */
  async partitionsFor(topic: string): Promise<PartitionMetadata[]> {
    if (this.#closing) throw new ProducerClosedError('partitionsFor() after close()');
    const deadline = Date.now() + this.#config.maxBlockMs;
    for (;;) {
      // Refused credentials, say: no answer will come.
      if (this.#fatal) throw this.#fatal;
      const known = this.#metadata.get(topic);
      if (known && known.partitionCount > 0) return known.partitions;
      if (Date.now() >= deadline) {
        throw new KafkaTimeoutError(`Topic ${topic} not present in metadata after ${this.#config.maxBlockMs} ms (maxBlockMs)`, known?.error ? deserializeError(known.error) : undefined);
      }
      this.#metadataRequested.delete(topic);
      this.#requestMetadata(topic, Date.now());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(this.#config.retryBackoffMs, Math.max(0, deadline - Date.now())));
        this.#metadataListeners.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Counters of records, batches, requests and buffer memory, as of now. */
  metrics(): ProducerMetrics {
    return {
      recordsSent: this.#sent,
      recordsFailed: this.#failed,
      recordsWaiting: this.#waiting.size,
      waitingBytes: this.#waiting.bytes,
      batchesOutstanding: this.#accumulator.outstandingBatches,
      bufferTotalBytes: this.#accumulator.pool.totalMemory,
      bufferAvailableBytes: this.#accumulator.pool.availableMemory,
      ...this.#counters,
    };
  }

  /**
   * Flushes for up to timeoutMs (default: until every record settled, which
   * deliveryTimeoutMs bounds), then fails whatever is left with
   * ProducerClosedError and stops the sender, its sockets and its timers.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#closed ??= this.#close(options.timeoutMs ?? Infinity);
    return this.#closed;
  }

  /** `await using producer = new KafkaProducer(...)` closes it (close() without a timeout) when the block ends. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(timeoutMs: number): Promise<void> {
    // As Java's sender does on close: a commit or abort under way (or timed out) completes, an open transaction is aborted; none is left to its timeout.
    if (this.#txn) await within(this.#txn.finish(), timeoutMs);
    this.#closing = true;
    await within(this.flush(), timeoutMs);
    const closedError = new ProducerClosedError(`the producer was closed (close timeout ${timeoutMs} ms) before the record was delivered`);
    this.#waiting.failAll(closedError);
    // The sender fails what it holds and closes its connections; its last outcomes arrive before 'closed'.
    if (!this.#senderCrashed) await new Promise<void>((resolve) => {
      const guard = setTimeout(resolve, 5000);
      this.#senderClosed = () => {
        clearTimeout(guard);
        resolve();
      };
      this.#host.channel.post({ t: 'close' });
    });
    this.#accumulator.failAll(closedError);
    this.#txn?.failSteps(closedError);
    this.#txnSteps = 0;
    for (const f of this.#flushes.splice(0)) f.resolve();
    this.#held = false;
    this.#host.keepAlive(false);
    await this.#host.terminate();
  }
}
