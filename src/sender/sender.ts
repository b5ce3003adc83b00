// The Sender: takes sealed batches from the shared event ring, seals idle
// batches at linger time, and drains them per leader broker into Produce
// requests (one batch per partition per request, up to maxRequestSize, at
// most maxInFlightRequestsPerConnection outstanding). It handles responses,
// retries with exponential backoff and jitter, metadata refreshes and leader
// hints, splits on MESSAGE_TOO_LARGE, expires batches after
// deliveryTimeoutMs, and reports outcomes to the producer in bulk. It does not
// know which thread it runs on: it talks through a Channel.

import { EventRing } from '../accumulator/event-ring.js';
import { Fifo } from '../accumulator/fifo.js';
import { decodeEvent, EVENT_OPENED } from '../accumulator/record-accumulator.js';
import { SEALED, Slot } from '../accumulator/slot.js';
import type { SenderConfig } from '../config.js';
import { KafkaTimeoutError, ProducerClosedError, ProducerFatalError } from '../errors.js';
import { Cluster } from '../network/cluster.js';
import { describeBroker, type Connection } from '../network/connection.js';
import { ConnectionError } from '../network/errors.js';
import { InitProducerId } from '../protocol/apis/init-producer-id.js';
import { Produce, type ProducePartitionResponse, type ProduceRequest, type ProduceResponse } from '../protocol/apis/produce.js';
import { errorInfo, KafkaResponseError, ProtocolError } from '../protocol/errors.js';
import { loadCodecs } from '../protocol/compression.js';
import { BATCH_HEADER_SIZE, buildRecordBatch, decodeRecords } from '../protocol/record-batch.js';
import type { Channel, FromSender, Outcome, ProduceFacts, SenderCounters, SenderEvent, ToSender, TopicMetadata } from './messages.js';
import { PartitionQueue } from './partition-queue.js';
import { produceFacts, traceClock, type RequestTrace } from './produce-trace.js';
import { SenderBatch } from './sender-batch.js';
import { serializeError } from './wire-errors.js';

/** Produce v13 names topics by id; this sender names them, so it stays at v12. */
const MAX_PRODUCE_VERSION = 12;
/** Produce request overhead besides the batches (headers, names, counts): a safe upper bound per partition. */
const PER_PARTITION_OVERHEAD = 64;

interface InFlightRequest {
  nodeId: number;
  batches: Map<string, Map<number, { q: PartitionQueue; batch: SenderBatch }>>;
  /** Set while the producer traces Produce requests. */
  trace: RequestTrace | null;
}

export class Sender {
  readonly #channel: Channel<ToSender, FromSender>;
  #config!: SenderConfig;
  #cluster!: Cluster;
  #ring!: EventRing;
  readonly #slots = new Map<number, Slot>();
  readonly #queues = new Map<number, PartitionQueue>();
  /**
   * Ring events waiting for the message that maps their slot or partition
   * (the ring is faster than postMessage), and every event behind them:
   * events are handled strictly in ring order, or a later batch of a
   * partition could be queued before an earlier one.
   */
  readonly #pendingEvents = new Fifo<number>();
  /** Open batches by slot id, with the time linger seals them. */
  readonly #lingering = new Map<number, number>();
  readonly #connections = new Map<number, Connection>();
  readonly #connecting = new Set<number>();
  /** Brokers that failed, until when not to try them, and their last error (the cause when batches for them expire). */
  readonly #nodeBackoff = new Map<number, { until: number; failures: number; error: Error }>();
  #outcomes: Outcome[] = [];
  /** Produce requests answered since the last outcomes message, while tracing. */
  #requests: ProduceFacts[] | null = null;
  #outcomesScheduled = false;
  #traceProduce = false;
  readonly #counters: SenderCounters = { requests: 0, batches: 0, batchBytes: 0, retries: 0, splits: 0, metadataRefreshes: 0 };
  #producerId = -1;
  #producerEpoch = -1;
  #initProducerIdRunning = false;
  readonly #topics = new Set<string>();
  #metadataRunning = false;
  #metadataAgain = false;
  #lastMetadataRefresh = 0;
  #drainScheduled = false;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Infinity;
  #closed = false;
  #nextOrder = 0;
  #codecsReady = true;

  constructor(channel: Channel<ToSender, FromSender>) {
    this.#channel = channel;
    channel.onMessage((m) => this.#onMessage(m));
  }

  #onMessage(m: ToSender): void {
    switch (m.t) {
      case 'init':
        this.#config = m.config;
        this.#cluster = new Cluster({
          bootstrapServers: m.config.bootstrapServers,
          clientId: m.config.clientId,
          connectTimeoutMs: m.config.connectTimeoutMs,
          requestTimeoutMs: m.config.requestTimeoutMs,
          onConnectionEvent: (e) => this.#event({ kind: 'connection', ...e, error: e.error ? serializeError(e.error) : null }),
        });
        this.#ring = new EventRing(m.ring);
        this.#waitForEvents();
        // As the Java sender does: get the producer id at start, not on the first record.
        if (m.config.enableIdempotence) this.#initProducerId();
        // zstd's WebAssembly loads asynchronously; batches wait for it.
        if (m.config.compressionType === 'zstd') {
          this.#codecsReady = false;
          void loadCodecs().then(() => {
            this.#codecsReady = true;
            this.#wake();
          });
        }
        return;
      case 'slot':
        this.#slots.set(m.id, new Slot(m.id, m.sab));
        this.#handlePending();
        return;
      case 'drop-slot':
        this.#slots.delete(m.id);
        return;
      case 'tp':
        this.#queues.set(m.ref, new PartitionQueue(m.ref, m.topic, m.partition));
        this.#topics.add(m.topic);
        this.#handlePending();
        return;
      case 'metadata':
        this.#topics.add(m.topic);
        this.#refreshMetadata();
        return;
      case 'trace-produce':
        this.#traceProduce = m.on;
        return;
      case 'close':
        void this.#close();
        return;
    }
  }

  // ---- events from the accumulator ----

  #waitForEvents(): void {
    if (this.#closed) return;
    this.#readEvents();
    const waiting = this.#ring.waitForEvents();
    if (waiting) void waiting.then(() => this.#waitForEvents());
    else setImmediate(() => this.#waitForEvents());
  }

  #readEvents(): void {
    let any = false;
    this.#ring.drain((event) => {
      any = true;
      if (this.#pendingEvents.size > 0 || !this.#onEvent(event)) this.#pendingEvents.push(event);
    });
    if (any) this.#wake();
  }

  /** Handles waiting events from the oldest until one still cannot be handled. */
  #handlePending(): void {
    let any = false;
    for (let e = this.#pendingEvents.peek(); e !== undefined && this.#onEvent(e); e = this.#pendingEvents.peek()) {
      this.#pendingEvents.shift();
      any = true;
    }
    if (any) this.#wake();
  }

  /** Handles one ring event; false if its slot or partition is not mapped yet. */
  #onEvent(event: number): boolean {
    const { slotId, kind } = decodeEvent(event);
    const slot = this.#slots.get(slotId);
    const q = slot ? this.#queues.get(slot.tpRef) : undefined;
    if (!slot || !q) return false;
    if (kind === EVENT_OPENED) {
      this.#lingering.set(slotId, slot.createdAt + this.#config.lingerMs);
      this.#scheduleAt(slot.createdAt + this.#config.lingerMs);
      return true;
    }
    this.#lingering.delete(slotId);
    q.queue.push(SenderBatch.fromSlot(slot, this.#nextOrder++));
    return true;
  }

  /** Seals open batches whose linger time is up; main may hold one for an append, then we try again next tick. */
  #sealLingering(now: number): void {
    for (const [slotId, deadline] of this.#lingering) {
      if (deadline > now) {
        this.#scheduleAt(deadline);
        continue;
      }
      const slot = this.#slots.get(slotId);
      if (!slot) continue;
      if (slot.trySeal()) {
        this.#lingering.delete(slotId);
        this.#queues.get(slot.tpRef)?.queue.push(SenderBatch.fromSlot(slot, this.#nextOrder++));
      } else if (slot.state === SEALED) {
        // Main sealed it; its SEALED event is on the ring.
        this.#lingering.delete(slotId);
      } else {
        this.#scheduleAt(now + 1);
      }
    }
  }

  // ---- the drain loop ----

  /** Many wake-ups in one tick make one drain. */
  #wake(): void {
    if (this.#drainScheduled || this.#closed) return;
    this.#drainScheduled = true;
    setImmediate(() => {
      this.#drainScheduled = false;
      this.#drain();
    });
  }

  #scheduleAt(at: number): void {
    if (this.#closed || at >= this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#timerAt = Infinity;
      this.#drain();
    }, Math.max(0, at - Date.now()));
  }

  #drain(): void {
    if (this.#closed) return;
    const now = Date.now();
    this.#readEvents();
    this.#sealLingering(now);
    if (now - this.#lastMetadataRefresh >= this.#config.metadataMaxAgeMs) this.#refreshMetadata();
    this.#scheduleAt(this.#lastMetadataRefresh + this.#config.metadataMaxAgeMs);
    this.#expire(now);
    if (this.#config.enableIdempotence && this.#producerId < 0) {
      if (this.#hasQueued()) this.#initProducerId();
      return;
    }
    if (!this.#codecsReady) return;
    const byNode = this.#readyByNode(now);
    for (const [nodeId, queues] of byNode) this.#sendTo(nodeId, queues, now);
  }

  #hasQueued(): boolean {
    for (const q of this.#queues.values()) if (q.queue.length > 0) return true;
    return false;
  }

  /** Fails queued batches older than deliveryTimeoutMs (in-flight ones are judged when they come back). */
  #expire(now: number): void {
    const limit = this.#config.deliveryTimeoutMs;
    for (const q of this.#queues.values()) {
      while (q.queue.length > 0) {
        const b = q.queue[0] as SenderBatch;
        if (now - b.createdAt < limit) {
          this.#scheduleAt(b.createdAt + limit);
          break;
        }
        q.queue.shift();
        this.#fail(this.#deliveryTimeout(q, b, now, b.lastError ?? this.#leaderError(q)), b, q, b.attempts === 0 ? 'not-written' : 'unknown');
      }
    }
  }

  /** Why the partition's leader could not be reached lately, if it could not. */
  #leaderError(q: PartitionQueue): Error | undefined {
    const leader = this.#cluster.metadata.leaderFor(q.topic, q.partition);
    return leader ? this.#nodeBackoff.get(leader.nodeId)?.error : undefined;
  }

  /** `last`: the error of the last attempt, kept as the cause (a ConnectionError names its broker). */
  #deliveryTimeout(q: PartitionQueue, b: SenderBatch, now: number, last?: Error): KafkaTimeoutError {
    return new KafkaTimeoutError(
      `Expiring ${b.count} record(s) for ${q.name}: ${now - b.createdAt} ms has passed since batch creation (deliveryTimeoutMs ${this.#config.deliveryTimeoutMs})${last ? `; last error: ${last.message}` : ''}`,
      last,
    );
  }

  /** Partitions with a batch that may go now, grouped by their leader. */
  #readyByNode(now: number): Map<number, PartitionQueue[]> {
    const out = new Map<number, PartitionQueue[]>();
    const ordered = this.#config.maxInFlightRequestsPerConnection === 1;
    let missingLeader = false;
    for (const q of this.#queues.values()) {
      const head = q.queue[0];
      if (!head) continue;
      if (q.backoffUntil > now) {
        this.#scheduleAt(q.backoffUntil);
        continue;
      }
      // Keep order: one batch at a time when so configured, and only the lowest sequence while retrying.
      if (q.inFlight.size > 0 && (ordered || q.retrying)) continue;
      const leader = this.#cluster.metadata.leaderFor(q.topic, q.partition);
      if (!leader) {
        missingLeader = true;
        continue;
      }
      const backoff = this.#nodeBackoff.get(leader.nodeId);
      if (backoff && backoff.until > now) {
        this.#scheduleAt(backoff.until);
        continue;
      }
      const list = out.get(leader.nodeId);
      if (list) list.push(q);
      else out.set(leader.nodeId, [q]);
    }
    if (missingLeader) this.#refreshMetadata();
    return out;
  }

  #sendTo(nodeId: number, queues: PartitionQueue[], now: number): void {
    const conn = this.#connections.get(nodeId);
    if (!conn || conn.closed) {
      this.#connect(nodeId);
      return;
    }
    const max = this.#config.maxInFlightRequestsPerConnection;
    while (conn.inFlight < max && !conn.writableNeedDrain) {
      const request = this.#buildRequest(nodeId, queues, now);
      if (!request) return;
      this.#send(conn, request.body, request.inflight, conn.versionFor(Produce));
    }
  }

  /** One request: the next batch of each ready partition, up to maxRequestSize (a lone batch may exceed it). */
  #buildRequest(nodeId: number, queues: PartitionQueue[], now: number): { body: ProduceRequest; inflight: InFlightRequest } | null {
    const cfg = this.#config;
    const topics = new Map<string, { index: number; records: Buffer }[]>();
    const inflight: InFlightRequest = { nodeId, batches: new Map(), trace: null };
    let size = 0;
    let any = false;
    for (const q of queues) {
      const b = q.queue[0];
      if (!b || q.backoffUntil > now || (q.inFlight.size > 0 && (cfg.maxInFlightRequestsPerConnection === 1 || q.retrying))) continue;
      if (cfg.enableIdempotence) q.assignSequence(b);
      let payload: Buffer;
      try {
        payload = b.prepare(cfg.compressionType, this.#producerId, this.#producerEpoch);
      } catch (err) {
        q.queue.shift();
        this.#fail(new ProducerFatalError(`compressing a batch for ${q.name} with ${cfg.compressionType} failed: ${(err as Error).message}`, err), b, q);
        continue;
      }
      if (any && size + payload.length + PER_PARTITION_OVERHEAD > cfg.maxRequestSize) continue;
      q.queue.shift();
      q.inFlight.add(b);
      b.attempts++;
      b.sentTo = nodeId;
      size += payload.length + PER_PARTITION_OVERHEAD;
      any = true;
      const list = topics.get(q.topic);
      if (list) list.push({ index: q.partition, records: payload });
      else topics.set(q.topic, [{ index: q.partition, records: payload }]);
      let byPartition = inflight.batches.get(q.topic);
      if (!byPartition) inflight.batches.set(q.topic, (byPartition = new Map()));
      byPartition.set(q.partition, { q, batch: b });
      this.#counters.batches++;
      this.#counters.batchBytes += payload.length;
    }
    if (!any) return null;
    const body: ProduceRequest = {
      transactionalId: null,
      acks: cfg.acks,
      timeoutMs: cfg.requestTimeoutMs,
      topicData: [...topics].map(([name, partitionData]) => ({ name, partitionData })),
    };
    return { body, inflight };
  }

  #send(conn: Connection, body: ProduceRequest, inflight: InFlightRequest, negotiated: number): void {
    const version = Math.min(negotiated, MAX_PRODUCE_VERSION);
    this.#counters.requests++;
    if (this.#traceProduce) inflight.trace = { conn, nodeId: inflight.nodeId, apiVersion: version, acks: this.#config.acks, startTime: traceClock() };
    if (this.#config.acks === 0) {
      conn.sendWithoutResponse(Produce, body, (err) => this.#onAcksZeroWritten(inflight, err), version);
      return;
    }
    conn.requestWithCallback(Produce, body, (err, res) => this.#onResponse(inflight, err, res), { version });
  }

  #onAcksZeroWritten(inflight: InFlightRequest, err: Error | null): void {
    if (inflight.trace) this.#reportRequest(produceFacts(inflight.trace, inflight.batches, err, undefined));
    for (const byPartition of inflight.batches.values()) {
      for (const { q, batch } of byPartition.values()) {
        if (err) this.#retryOrFail(q, batch, err, true);
        else this.#succeed(q, batch, -1, -1);
      }
    }
    this.#wake();
  }

  #onResponse(inflight: InFlightRequest, err: Error | null, res: ProduceResponse | undefined): void {
    if (inflight.trace) this.#reportRequest(produceFacts(inflight.trace, inflight.batches, err, res));
    if (err || !res) {
      const failure = err ?? new ProtocolError('empty Produce response');
      if (failure instanceof ConnectionError) this.#backOffNode(inflight.nodeId, failure);
      for (const byPartition of inflight.batches.values()) {
        for (const { q, batch } of byPartition.values()) this.#retryOrFail(q, batch, failure, true);
      }
      this.#refreshMetadata();
      this.#wake();
      return;
    }
    this.#nodeBackoff.delete(inflight.nodeId);
    for (const ep of res.nodeEndpoints) this.#cluster.metadata.addBroker({ nodeId: ep.nodeId, host: ep.host, port: ep.port, rack: ep.rack });
    const answered = new Set<SenderBatch>();
    for (const topic of res.responses) {
      const byPartition = topic.name === undefined ? undefined : inflight.batches.get(topic.name);
      for (const p of topic.partitionResponses) {
        const entry = byPartition?.get(p.index);
        if (!entry) continue;
        answered.add(entry.batch);
        this.#onPartitionResponse(entry.q, entry.batch, p);
      }
    }
    // A partition the broker left out of its answer is treated as a lost response.
    for (const byPartition of inflight.batches.values()) {
      for (const { q, batch } of byPartition.values()) {
        if (!answered.has(batch)) this.#retryOrFail(q, batch, new ProtocolError(`the Produce response did not mention ${q.name}`), false);
      }
    }
    this.#wake();
  }

  #onPartitionResponse(q: PartitionQueue, batch: SenderBatch, p: ProducePartitionResponse): void {
    if (p.errorCode === 0) {
      this.#succeed(q, batch, p.baseOffset, p.logAppendTimeMs);
      return;
    }
    const detail = [p.errorMessage, ...p.recordErrors.map((e) => `record ${e.batchIndex}: ${e.batchIndexErrorMessage ?? 'invalid'}`)]
      .filter((s) => s)
      .join('; ');
    const err = new KafkaResponseError(p.errorCode, `Produce to ${q.name}`, detail || null);
    switch (err.action) {
      case 'duplicate':
        this.#succeed(q, batch, -1, -1);
        return;
      case 'split':
        if (batch.count > 1) this.#split(q, batch);
        else this.#fail(Object.assign(err, { message: `${err.message}: the record is larger than the topic's max.message.bytes or the broker's message.max.bytes` }), batch, q);
        return;
      case 'refresh-metadata':
        if (p.currentLeader && p.currentLeader.leaderId >= 0) {
          this.#cluster.metadata.moveLeader(q.topic, q.partition, p.currentLeader.leaderId, p.currentLeader.leaderEpoch);
        } else {
          this.#refreshMetadata();
        }
        this.#retryOrFail(q, batch, err, false);
        return;
      case 'retry':
      case 'find-coordinator':
        this.#retryOrFail(q, batch, err, false);
        return;
      case 'reset-producer':
        // Out of order behind a batch that is being retried, or sent under a
        // producer id that was since replaced: it simply goes again. Anything
        // else means the broker lost track of our sequences: take a new
        // producer id, renumber, and send again.
        if (!(err.errorCode === 45 && q.retrying) && batch.producerId === this.#producerId) this.#resetProducerId();
        this.#retryOrFail(q, batch, err, false);
        return;
      case 'fatal':
        this.#fail(err, batch, q);
        this.#channel.post({ t: 'fatal', error: serializeError(new ProducerFatalError(`${err.message}: the producer must be closed`, err)) });
        return;
      default:
        // The broker refused the batch: it was not written.
        this.#fail(err, batch, q);
    }
  }

  #succeed(q: PartitionQueue, batch: SenderBatch, baseOffset: number, logAppendTime: number): void {
    q.inFlight.delete(batch);
    if (q.retrying && !q.queue.some((b) => b.attempts > 0) && q.inFlight.size === 0) q.retrying = false;
    this.#report({ slot: batch.slotId, from: batch.from, count: batch.count, baseOffset, logAppendTime, error: null });
  }

  /**
   * Reports a batch as failed. With idempotence its sequence numbers must not
   * leave a gap: when the broker surely did not write it, the batches after
   * it are renumbered down; when that is unknown (it timed out after being
   * sent), a new producer id starts the numbering afresh.
   */
  #fail(err: Error, batch: SenderBatch, q: PartitionQueue, written: 'not-written' | 'unknown' = 'not-written'): void {
    q.inFlight.delete(batch);
    this.#report({ slot: batch.slotId, from: batch.from, count: batch.count, baseOffset: -1, logAppendTime: -1, error: serializeError(err) });
    if (!this.#config.enableIdempotence || batch.baseSequence < 0 || this.#closed || batch.producerId !== this.#producerId) return;
    if (written === 'unknown') this.#resetProducerId();
    else q.releaseSequences(batch);
  }

  /** Forgets the producer id: the next drain asks for a new one and every unsent batch is numbered again. */
  #resetProducerId(): void {
    this.#producerId = -1;
    this.#producerEpoch = -1;
    for (const q of this.#queues.values()) q.resetSequences();
  }

  /**
   * Retries while attempts and delivery time remain. The backoff doubles
   * from retryBackoffMs up to retryBackoffMaxMs with ±20% jitter.
   */
  #retryOrFail(q: PartitionQueue, batch: SenderBatch, err: Error, connectionLost: boolean): void {
    const now = Date.now();
    const cfg = this.#config;
    const exp = Math.min(cfg.retryBackoffMaxMs, cfg.retryBackoffMs * 2 ** Math.max(0, batch.attempts - 1));
    const backoff = Math.round(exp * (0.8 + Math.random() * 0.4));
    if (this.#closed) {
      this.#fail(new ProducerClosedError(`the producer closed before ${q.name} was acknowledged`), batch, q);
      return;
    }
    if (now + backoff - batch.createdAt >= cfg.deliveryTimeoutMs) {
      this.#fail(this.#deliveryTimeout(q, batch, now, err), batch, q, 'unknown');
      return;
    }
    if (batch.attempts > cfg.retries) {
      this.#fail(err, batch, q, 'unknown');
      return;
    }
    this.#counters.retries++;
    batch.lastError = err;
    q.requeue(batch, this.#producerId);
    q.backoffUntil = now + (connectionLost ? Math.min(backoff, cfg.retryBackoffMs) : backoff);
    this.#scheduleAt(q.backoffUntil);
    const broker = this.#cluster.metadata.brokers.get(batch.sentTo);
    this.#event({
      kind: 'retry',
      topic: q.topic,
      partition: q.partition,
      attempt: batch.attempts + 1,
      records: batch.count,
      backoffMs: q.backoffUntil - now,
      broker: broker ? describeBroker(broker) : '',
      nodeId: batch.sentTo,
      error: serializeError(err),
    });
  }

  /** MESSAGE_TOO_LARGE: two halves, each with its share of the sequence range, go first; no attempt is counted. */
  #split(q: PartitionQueue, batch: SenderBatch): void {
    q.inFlight.delete(batch);
    // Batches behind it may be answered out of order now: they go again after the halves.
    q.retrying = true;
    this.#counters.splits++;
    const records = decodeRecords(batch.bytes.subarray(BATCH_HEADER_SIZE), batch.count, 0, batch.baseTimestamp);
    const half = Math.ceil(records.length / 2);
    const parts = [records.slice(0, half), records.slice(half)].map((part, i) => {
      const bytes = buildRecordBatch(part.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })));
      const timestamps = part.map((r) => r.timestamp);
      const b = new SenderBatch(batch.slotId, batch.from + i * half, part.length, bytes, timestamps[0] as number, Math.max(...timestamps), batch.createdAt, batch.order);
      if (batch.baseSequence >= 0) b.baseSequence = batch.baseSequence + i * half;
      return b;
    });
    for (const part of parts) q.insertInOrder(part);
  }

  #report(o: Outcome): void {
    this.#outcomes.push(o);
    this.#scheduleOutcomes();
  }

  #reportRequest(facts: ProduceFacts): void {
    (this.#requests ??= []).push(facts);
    this.#scheduleOutcomes();
  }

  /** Outcomes (and traced requests) of one tick go in one message. */
  #scheduleOutcomes(): void {
    if (this.#outcomesScheduled) return;
    this.#outcomesScheduled = true;
    queueMicrotask(() => {
      this.#outcomesScheduled = false;
      const outcomes = this.#outcomes;
      const requests = this.#requests;
      this.#outcomes = [];
      this.#requests = null;
      this.#channel.post({ t: 'outcomes', outcomes, counters: { ...this.#counters }, requests });
    });
  }

  /** Connection events and retries, for the producer's diagnostics. */
  #event(event: SenderEvent): void {
    this.#channel.post({ t: 'event', event });
  }

  // ---- connections, metadata, producer id ----

  #connect(nodeId: number): void {
    if (this.#connecting.has(nodeId) || this.#closed) return;
    this.#connecting.add(nodeId);
    this.#cluster.connectionTo(nodeId).then(
      (conn) => {
        this.#connecting.delete(nodeId);
        if (this.#closed) return;
        this.#connections.set(nodeId, conn);
        conn.once('close', () => {
          if (this.#connections.get(nodeId) === conn) this.#connections.delete(nodeId);
        });
        this.#wake();
      },
      (err: Error) => {
        this.#connecting.delete(nodeId);
        this.#backOffNode(nodeId, err);
        this.#refreshMetadata();
        this.#wake();
      },
    );
  }

  /** Reconnect backoff per broker, doubling from retryBackoffMs up to retryBackoffMaxMs. */
  #backOffNode(nodeId: number, error: Error): void {
    const prev = this.#nodeBackoff.get(nodeId);
    const failures = (prev?.failures ?? 0) + 1;
    const wait = Math.min(this.#config.retryBackoffMaxMs, this.#config.retryBackoffMs * 2 ** (failures - 1));
    this.#nodeBackoff.set(nodeId, { until: Date.now() + wait, failures, error });
    this.#scheduleAt(Date.now() + wait);
  }

  #refreshMetadata(): void {
    if (this.#closed) return;
    if (this.#metadataRunning) {
      this.#metadataAgain = true;
      return;
    }
    this.#metadataRunning = true;
    this.#lastMetadataRefresh = Date.now();
    this.#counters.metadataRefreshes++;
    const topics = [...this.#topics];
    this.#cluster.refreshMetadata(topics, true).then(
      (md) => {
        for (const name of topics) {
          const t = md.topic(name);
          const metadata: TopicMetadata = t
            ? {
                topic: name,
                partitionCount: t.errorCode === 0 ? t.partitions.length : 0,
                available: t.partitions.filter((p) => p && p.leader >= 0).map((p) => p.partition),
                partitions: t.partitions.map((p) => ({ partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr })),
                errorCode: t.errorCode,
                error: t.errorCode === 0 ? null : serializeError(new KafkaResponseError(t.errorCode, `Metadata for topic ${name}`)),
              }
            : { topic: name, partitionCount: 0, available: [], partitions: [], errorCode: 3, error: null };
          this.#channel.post({ t: 'metadata', metadata });
        }
        // Open connections to the leaders now, so the first batches do not wait for them.
        for (const name of topics) {
          for (const p of md.topic(name)?.partitions ?? []) if (p && p.leader >= 0 && !this.#connections.has(p.leader)) this.#connect(p.leader);
        }
        this.#metadataDone();
      },
      (err: unknown) => {
        for (const name of topics) {
          this.#channel.post({ t: 'metadata', metadata: { topic: name, partitionCount: 0, available: [], partitions: [], errorCode: -1, error: serializeError(err) } });
        }
        this.#metadataDone(this.#config.retryBackoffMs);
      },
    );
  }

  #metadataDone(delay = 0): void {
    this.#metadataRunning = false;
    if (this.#metadataAgain) {
      this.#metadataAgain = false;
      if (delay > 0) setTimeout(() => this.#refreshMetadata(), delay);
      else this.#refreshMetadata();
    }
    this.#wake();
  }

  #initProducerId(): void {
    if (this.#initProducerIdRunning || this.#closed) return;
    this.#initProducerIdRunning = true;
    const retry = () => {
      this.#initProducerIdRunning = false;
      setTimeout(() => this.#wake(), this.#config.retryBackoffMs);
    };
    this.#cluster
      .anyConnection()
      .then((conn) => conn.request(InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000 }))
      .then(
        (res) => {
          if (res.errorCode === 0) {
            this.#producerId = res.producerId;
            this.#producerEpoch = res.producerEpoch;
            this.#initProducerIdRunning = false;
            this.#wake();
            return;
          }
          const info = errorInfo(res.errorCode);
          if (info.retriable) {
            retry();
            return;
          }
          this.#initProducerIdRunning = false;
          this.#channel.post({
            t: 'fatal',
            error: serializeError(
              new ProducerFatalError(
                `InitProducerId failed with ${info.name}: the idempotent producer cannot start (set enableIdempotence: false if the cluster does not allow it)`,
                new KafkaResponseError(res.errorCode, 'InitProducerId'),
              ),
            ),
          });
        },
        // Brokers not reachable yet: batches wait, and expire after deliveryTimeoutMs.
        () => retry(),
      );
  }

  async #close(): Promise<void> {
    const closed = new ProducerClosedError('the producer was closed before the record was acknowledged');
    for (const q of this.#queues.values()) {
      for (const b of q.queue.splice(0)) this.#fail(closed, b, q);
      for (const b of [...q.inFlight]) this.#fail(closed, b, q);
    }
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    // Resolve our own pending Atomics.waitAsync so nothing is left waiting.
    this.#ring?.wakeConsumer();
    // Let the last outcomes go out before the closing word.
    await new Promise<void>((r) => queueMicrotask(r));
    await this.#cluster?.close();
    this.#channel.post({ t: 'closed' });
  }
}

