// KafkaProducer, the public face. send() validates, serializes, picks the
// partition and appends the record's bytes into the accumulator's shared
// memory: nothing else happens on the caller's thread. The sender (on a
// worker thread by default) does the network work and reports outcomes in
// bulk, which settle each record exactly once.
//
// A send() that cannot proceed (topic metadata not known yet, or no buffer
// memory) waits in a FIFO queue, so records keep their order, and fails after
// maxBlockMs. Every record sent before flush() has settled when it resolves;
// close() flushes, fails whatever is left, and stops the sender and its
// sockets and timers so the process can exit.

import { EventEmitter } from 'node:events';
import { RecordAccumulator, type TopicPartition } from './accumulator/record-accumulator.js';
import { resolveConfig, senderConfig, type ProducerConfig, type ProducerOptions } from './config.js';
import { BufferExhaustedError, InvalidRecordError, KafkaTimeoutError, ProducerClosedError, ProducerFatalError } from './errors.js';
import { murmur2 } from './partitioner/murmur2.js';
import type { KeylessStrategy } from './partitioner/partitioner.js';
import { RoundRobinPartitioner } from './partitioner/round-robin.js';
import { StickyPartitioner } from './partitioner/sticky.js';
import { Fifo } from './accumulator/fifo.js';
import { checkRecord, type CheckedRecord, type ProducerRecord } from './record.js';
import { SendResult, type OutcomeSink, type SendCallback } from './send-result.js';
import { startSender, type SenderHost } from './sender/host.js';
import type { FromSender, PartitionMetadata, SenderCounters, TopicMetadata } from './sender/messages.js';
import { deserializeError } from './sender/wire-errors.js';
import { DiagnosticsReporter } from './diagnostics/reporter.js';
import { sendTraced, traceSend } from './diagnostics/send-trace.js';

/** The producer's counts; the request-level ones come from the sender. */
export interface ProducerMetrics extends SenderCounters {
  recordsSent: number;
  recordsFailed: number;
  /** send() calls waiting for metadata or buffer memory. */
  recordsWaiting: number;
  batchesOutstanding: number;
  bufferTotalBytes: number;
  bufferAvailableBytes: number;
}

interface Waiting {
  id: number;
  record: CheckedRecord;
  result: SendResult;
  deadline: number;
  /** Chosen once metadata is known; kept while waiting for memory. */
  tp: TopicPartition | null;
}

interface FlushWaiter {
  /** Waiting sends up to this id must be appended first. */
  waitingId: number;
  /** Then every batch below this sequence must settle. */
  batchMark: number | null;
  resolve: () => void;
}

const keyScratch = { buf: Buffer.allocUnsafe(256) };

/** murmur2 of a key as bytes; string keys are encoded into a reused scratch buffer. */
function keyHash(key: Uint8Array | string): number {
  if (typeof key !== 'string') return murmur2(key);
  const len = Buffer.byteLength(key, 'utf8');
  if (len > keyScratch.buf.length) keyScratch.buf = Buffer.allocUnsafe(len * 2);
  keyScratch.buf.write(key, 0, len, 'utf8');
  return murmur2(keyScratch.buf.subarray(0, len));
}

export class KafkaProducer extends EventEmitter {
  readonly #config: ProducerConfig;
  readonly #accumulator: RecordAccumulator;
  readonly #host: SenderHost;
  readonly #keyless: KeylessStrategy;
  readonly #metadata = new Map<string, TopicMetadata>();
  readonly #metadataRequested = new Map<string, number>();
  readonly #metadataListeners: ((m: TopicMetadata) => void)[] = [];
  readonly #waiting = new Fifo<Waiting>();
  #nextWaitingId = 1;
  #flushes: FlushWaiter[] = [];
  #waitTimer: NodeJS.Timeout | null = null;
  #counters: SenderCounters = { requests: 0, batches: 0, batchBytes: 0, retries: 0, splits: 0, metadataRefreshes: 0 };
  #sent = 0;
  #failed = 0;
  #closing = false;
  #closed: Promise<void> | null = null;
  #senderClosed: (() => void) | null = null;
  #fatal: Error | null = null;
  readonly #sink: OutcomeSink;
  readonly #diagnostics: DiagnosticsReporter;
  readonly #queued = (topic: string, partition: number): number => this.#accumulator.queued(topic, partition);

  constructor(options: ProducerOptions) {
    super();
    this.#config = resolveConfig(options);
    const cfg = this.#config;
    this.#keyless = cfg.partitioner === 'round-robin' ? new RoundRobinPartitioner() : new StickyPartitioner(cfg.batchSize);
    this.#host = startSender(cfg.worker);
    const channel = this.#host.channel;
    this.#accumulator = new RecordAccumulator(cfg.bufferMemory, cfg.batchSize, {
      onSlotCreated: (slot) => channel.post({ t: 'slot', id: slot.id, sab: slot.sab }),
      onSlotDropped: (id) => channel.post({ t: 'drop-slot', id }),
      onTopicPartition: (tp) => channel.post({ t: 'tp', ref: tp.ref, topic: tp.topic, partition: tp.partition }),
      onBatchSettled: () => this.#onBatchSettled(),
    });
    channel.onMessage((m) => this.#onSenderMessage(m));
    channel.post({ t: 'init', config: senderConfig(cfg), ring: this.#accumulator.ring.sab });
    this.#diagnostics = new DiagnosticsReporter(cfg.logger, (m) => channel.post(m));
    this.#sink = {
      succeeded: () => {
        this.#sent++;
      },
      failed: (err, result) => {
        this.#failed++;
        this.emit('deliveryError', err, { topic: result.topic, partition: result.partition, timestamp: result.timestamp });
      },
      callbackFailed: (thrown, result) => this.#diagnostics.callbackFailed(thrown, result.topic, result.partition),
    };
  }

  /**
   * Sends a record. Await it (or call .then) for its metadata, pass a
   * callback, or ignore the result: failures then still reach the
   * 'deliveryError' event and metrics().recordsFailed.
   */
  send<K = unknown, V = unknown>(record: ProducerRecord<K, V>, callback?: SendCallback): SendResult {
    // Tracing only while kafka-producer-ts:send has subscribers: otherwise no context is allocated.
    return sendTraced() ? traceSend(this, this.#send, record as ProducerRecord, callback) : this.#send(record as ProducerRecord, callback);
  }

  #send(record: ProducerRecord, callback: SendCallback | undefined): SendResult {
    const now = Date.now();
    let checked: CheckedRecord;
    try {
      if (this.#fatal) throw this.#fatal;
      if (this.#closing) throw new ProducerClosedError('send() after close(): create a new producer');
      checked = checkRecord(record, this.#config.keySerializer, this.#config.valueSerializer, now);
      this.#checkSize(checked);
    } catch (err) {
      const failed = new SendResult(typeof record?.topic === 'string' ? record.topic : '', now, this.#sink, callback);
      queueMicrotask(() => failed.settle(err as Error, -1, -1));
      return failed;
    }
    const result = new SendResult(checked.topic, checked.timestamp, this.#sink, callback);
    if (this.#waiting.size > 0) {
      this.#enqueueWaiting(checked, result, now, null);
      return result;
    }
    const appended = this.#tryAppend(checked, result, null, now);
    if (appended !== true) this.#enqueueWaiting(checked, result, now, appended);
    return result;
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
   * Appends now if it can (true). Otherwise returns what it waits for: null
   * for metadata, or the chosen partition when buffer memory is short. A
   * record that can never be sent (bad partition, partitioner error) is
   * failed here and counts as handled (true).
   */
  #tryAppend(r: CheckedRecord, result: SendResult, w: Waiting | null, now: number): true | TopicPartition | null {
    let tp = w?.tp ?? null;
    if (!tp) {
      const md = this.#metadata.get(r.topic);
      if (!md || md.partitionCount === 0) {
        this.#requestMetadata(r.topic, now);
        return null;
      }
      let partition: number;
      try {
        partition = this.#choosePartition(r, md);
      } catch (err) {
        queueMicrotask(() => result.settle(err as Error, -1, -1));
        return true;
      }
      tp = this.#accumulator.partition(r.topic, partition);
      result.partition = partition;
      if (w) w.tp = tp;
    }
    if (!this.#accumulator.tryAppend(tp, r, result, now)) return tp;
    this.#keyless.onAppend(r.topic, tp.partition, r.soloSize);
    return true;
  }

  #choosePartition(r: CheckedRecord, md: TopicMetadata): number {
    const count = md.partitionCount;
    if (r.partition !== undefined) {
      if (r.partition >= count) throw new InvalidRecordError(`partition ${r.partition} of topic ${r.topic} does not exist (it has ${count} partitions)`);
      return r.partition;
    }
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

  #enqueueWaiting(record: CheckedRecord, result: SendResult, now: number, tp: TopicPartition | null): void {
    this.#waiting.push({ id: this.#nextWaitingId++, record, result, deadline: now + this.#config.maxBlockMs, tp });
    this.#armWaitTimer();
  }

  #armWaitTimer(): void {
    const head = this.#waiting.peek();
    if (this.#waitTimer || !head) return;
    const metadataRetry = head.tp ? Infinity : (this.#metadataRequested.get(head.record.topic) ?? 0) + this.#config.retryBackoffMs;
    this.#waitTimer = setTimeout(() => {
      this.#waitTimer = null;
      this.#drainWaiting();
    }, Math.max(0, Math.min(head.deadline, metadataRetry) - Date.now()));
  }

  /**
   * Appends waiting records in order until one must still wait; fails those
   * past maxBlockMs. Deadlines follow queue order (one maxBlockMs for all),
   * so only the head is ever examined: O(1) per record however long the queue.
   */
  #drainWaiting(): void {
    const now = Date.now();
    for (let w = this.#waiting.peek(); w; w = this.#waiting.peek()) {
      if (this.#tryAppend(w.record, w.result, w, now) === true) {
        this.#waiting.shift();
      } else if (w.deadline <= now) {
        this.#waiting.shift();
        w.result.settle(this.#blockTimeout(w), -1, -1);
      } else {
        break;
      }
    }
    this.#armWaitTimer();
    this.#checkFlushes();
  }

  #blockTimeout(w: Waiting): Error {
    const ms = this.#config.maxBlockMs;
    const md = this.#metadata.get(w.record.topic);
    // Records queued behind others never had a partition chosen: what they
    // waited for is memory when their topic is known.
    if (!md || md.partitionCount === 0) {
      const why = md?.error ? ` (last error: ${md.error.message})` : '';
      return new KafkaTimeoutError(`Topic ${w.record.topic} not present in metadata after ${ms} ms (maxBlockMs)${why}; create it, or check its name and the broker`, md?.error ? deserializeError(md.error) : undefined);
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
          this.#accumulator.settle(o.slot, o.from, o.count, o.error ? deserializeError(o.error) : null, o.baseOffset, o.logAppendTime);
        }
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
        if (this.#waiting.size > 0) this.#drainWaiting();
        return;
      }
      case 'fatal':
        this.#fatal = deserializeError(m.error);
        if (!(this.#fatal instanceof ProducerFatalError)) this.#fatal = new ProducerFatalError(this.#fatal.message);
        this.emit('fatalError', this.#fatal);
        return;
      case 'crashed': {
        const err = deserializeError(m.error);
        this.#fatal ??= err;
        this.emit('fatalError', err);
        // Nothing the sender held will be reported: settle it all here, once.
        this.#accumulator.failAll(err);
        for (const w of this.#waiting.drain()) w.result.settle(err, -1, -1);
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
    }
  }

  /** Memory came free: waiting sends may go on. */
  #onBatchSettled(): void {
    if (this.#waiting.size > 0) this.#drainWaiting();
  }

  /** Resolves when every record sent before it has settled (sent or failed). */
  flush(): Promise<void> {
    if (this.#waiting.size === 0 && this.#accumulator.outstandingBatches === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const last = this.#waiting.last();
      this.#flushes.push({ waitingId: last ? last.id : 0, batchMark: null, resolve });
      this.#checkFlushes();
    });
  }

  #checkFlushes(): void {
    if (this.#flushes.length === 0) return;
    const headWaiting = this.#waiting.peek()?.id ?? Infinity;
    let sealed = false;
    this.#flushes = this.#flushes.filter((f) => {
      if (f.batchMark === null) {
        if (headWaiting <= f.waitingId) return true;
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

  /** Topic partitions with their leaders, from the cluster (waits up to maxBlockMs). */
  async partitionsFor(topic: string): Promise<PartitionMetadata[]> {
    if (this.#closing) throw new ProducerClosedError('partitionsFor() after close()');
    const deadline = Date.now() + this.#config.maxBlockMs;
    for (;;) {
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

  metrics(): ProducerMetrics {
    return {
      recordsSent: this.#sent,
      recordsFailed: this.#failed,
      recordsWaiting: this.#waiting.size,
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

  async #close(timeoutMs: number): Promise<void> {
    this.#closing = true;
    let timer: NodeJS.Timeout | null = null;
    const flushed = this.flush();
    if (Number.isFinite(timeoutMs)) {
      await Promise.race([flushed, new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, timeoutMs))))]);
      if (timer) clearTimeout(timer);
    } else {
      await flushed;
    }
    const closedError = new ProducerClosedError(`the producer was closed (close timeout ${timeoutMs} ms) before the record was delivered`);
    for (const w of this.#waiting.drain()) w.result.settle(closedError, -1, -1);
    if (this.#waitTimer) clearTimeout(this.#waitTimer);
    this.#waitTimer = null;
    // The sender fails what it holds and closes its connections; its last outcomes arrive before 'closed'.
    await new Promise<void>((resolve) => {
      const guard = setTimeout(resolve, 5000);
      this.#senderClosed = () => {
        clearTimeout(guard);
        resolve();
      };
      this.#host.channel.post({ t: 'close' });
    });
    this.#accumulator.failAll(closedError);
    for (const f of this.#flushes.splice(0)) f.resolve();
    await this.#host.terminate();
  }
}
