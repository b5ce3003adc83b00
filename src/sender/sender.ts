// The Sender's loop: ties intake (ring events and linger), the request
// builder, the response policy, the producer-id state (idempotence and
// KIP-360 epoch bumps), the metadata refresher and the leader connections.
// It drains ready batches per leader connection into Produce requests (a
// broker gets connectionsPerBroker connections, each partition pinned to one,
// as a broker works on one request per connection at a time), at most
// maxInFlightRequestsPerConnection outstanding on each, applies each answer's
// verdict (retries with exponential backoff and jitter, splits, failures),
// and expires batches, queued or in flight, after deliveryTimeoutMs (a slot
// whose bytes a request still holds is released only once that request's
// callback runs: requests go out zero-copy). It does
// not know which thread it runs on (it talks through a Channel), nor what
// the network and the time are: both are injected (transport.ts, clock.ts).

import type { Worker } from 'node:worker_threads';
import { EventRing } from '../accumulator/event-ring.js';
import type { StartCounters } from '../accumulator/record-accumulator.js';
import type { SenderConfig } from '../config.js';
import { KafkaTimeoutError, ProducerClosedError, ProducerFatalError } from '../errors.js';
import { Cluster } from '../network/cluster.js';
import { describeBroker } from '../network/connection.js';
import { AuthenticationError, ConnectionError } from '../network/errors.js';
import { checked, initProducerIdProblem, produceProblem } from '../network/response-checks.js';
import type { OAuthBearerToken } from '../network/sasl/session.js';
import { InitProducerId, type InitProducerIdResponse } from '../protocol/apis/init-producer-id.js';
import { Produce, type ProduceRequest, type ProduceResponse } from '../protocol/apis/produce.js';
import { ProtocolError } from '../protocol/errors.js';
import { loadCodecs } from '../protocol/compression.js';
import { BATCH_HEADER_SIZE, buildRecordBatch, decodeRecords } from '../protocol/record-batch.js';
import { systemClock, type Clock } from './clock.js';
import { NodeConnections } from './connections.js';
import { ProducerIds } from './idempotence.js';
import { Intake } from './intake.js';
import type { Channel, FromSender, Outcome, ProvidedToken, SenderEvent, ToSender } from './messages.js';
import { MetadataRefresher } from './metadata-refresher.js';
import { OutcomeReporter } from './outcomes.js';
import type { PartitionQueue } from './partition-queue.js';
import { produceFacts, traceClock, type RequestTrace } from './produce-trace.js';
import { buildProduceRequest, type RequestBatches } from './request-builder.js';
import { judge, type Verdict } from './response-policy.js';
import { SenderBatch } from './sender-batch.js';
import type { SenderConnection, Transport } from './transport.js';
import { deserializeError, serializeError } from './wire-errors.js';
import { TransactionManager, TXN_V1_MAX_PRODUCE_VERSION } from './transaction-manager.js';

/** Produce v13 names topics by id; this sender names them, so it stays at v12. */
const MAX_PRODUCE_VERSION = 12;

/** What the network tells the Sender, and asks of it. */
export interface TransportHooks {
  /** Connection events, for the producer's diagnostics. */
  event(e: SenderEvent): void;
  /** A broker refused the credentials, or TLS failed: the producer cannot go on. */
  refused(err: AuthenticationError): void;
  /** An OAUTHBEARER token, from the provider on the producer's thread. */
  token(): Promise<OAuthBearerToken>;
}

export interface SenderDeps {
  /** The network; by default a Cluster over TCP (or TLS) from the config. */
  transport?: (config: SenderConfig, hooks: TransportHooks) => Transport;
  clock?: Clock;
  /** Sees every message to the producer (tests count outcomes: each record must be reported once). */
  tap?: (message: FromSender) => void;
  /** Host the Sender behind a MessageChannel, as the worker host does (host.ts). */
  messagePort?: boolean;
  /**
   * Host the Sender on a worker thread that runs `entry` (a test's, whose
   * Sender has its own fake transport and clock); `onWorker` gets the thread.
   */
  thread?: { entry: URL; onWorker: (worker: Worker) => void };
  /** Where the producer's wrapping counters start (the accumulator's, on the producer's thread). */
  startCounters?: StartCounters;
  /** Where each partition's sequences start under a producer id and epoch (the simulator: just below 2^31). */
  firstSequence?: number;
}

interface InFlightRequest {
  nodeId: number;
  batches: RequestBatches;
  /** Set while the producer traces Produce requests. */
  trace: RequestTrace | null;
}

function clusterTransport(config: SenderConfig, hooks: TransportHooks): Transport {
  const sasl = config.sasl;
  return new Cluster({
    bootstrapServers: config.bootstrapServers,
    clientId: config.clientId,
    connectTimeoutMs: config.connectTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    maxResponseSize: config.maxResponseSize,
    tls: config.ssl,
    sasl: sasl?.mechanism === 'oauthbearer' ? { mechanism: 'oauthbearer', token: () => hooks.token() } : sasl,
    onConnectionEvent: (e) => {
      if (e.error instanceof AuthenticationError) hooks.refused(e.error);
      hooks.event({ kind: 'connection', ...e, error: e.error ? serializeError(e.error) : null });
    },
  });
}

export class Sender {
  readonly #channel: Channel<ToSender, FromSender>;
  readonly #clock: Clock;
  readonly #makeTransport: NonNullable<SenderDeps['transport']>;
  readonly #reporter: OutcomeReporter;
  readonly #firstSequence: number;
  #config!: SenderConfig;
  #transport!: Transport;
  #ring!: EventRing;
  #intake!: Intake;
  #ids!: ProducerIds;
  #metadata!: MetadataRefresher;
  #connections!: NodeConnections;
  /** Transactional producers only (transaction-manager.ts). */
  #txn: TransactionManager | null = null;
  #traceProduce = false;
  /** Where the next request starts among the ready partitions (see buildProduceRequest). */
  #drainStart = 0;
  #drainScheduled = false;
  #timer: unknown = null;
  #timerAt = Infinity;
  #closed = false;
  #codecsReady = true;
  /** The producer cannot go on: every batch fails with this. */
  #fatal: Error | null = null;
  /** OAUTHBEARER token requests to the producer, by id. */
  readonly #tokenRequests = new Map<number, (answer: { token: ProvidedToken | null; error: Error | null }) => void>();
  #nextTokenRequest = 0;

  constructor(channel: Channel<ToSender, FromSender>, deps: SenderDeps = {}) {
    const tap = deps.tap;
    this.#channel = tap
      ? {
          post: (m) => {
            tap(m);
            channel.post(m);
          },
          onMessage: (h) => channel.onMessage(h),
        }
      : channel;
    this.#clock = deps.clock ?? systemClock;
    this.#makeTransport = deps.transport ?? clusterTransport;
    this.#firstSequence = deps.firstSequence ?? 0;
    this.#reporter = new OutcomeReporter(this.#channel);
    this.#channel.onMessage((m) => this.#onMessage(m));
  }

  #onMessage(m: ToSender): void {
    switch (m.t) {
      case 'init':
        this.#init(m.config, m.ring);
        return;
      case 'slot':
        this.#intake.addSlot(m.id, m.sab);
        return;
      case 'drop-slot':
        this.#intake.dropSlot(m.id);
        return;
      case 'tp':
        this.#intake.addPartition(m.ref, m.topic, m.partition);
        return;
      case 'metadata':
        this.#intake.topics.add(m.topic);
        this.#metadata.requestNow();
        return;
      case 'trace-produce':
        this.#traceProduce = m.on;
        return;
      case 'txn':
        this.#txn?.run(m.id, m.op, m.timeoutMs);
        return;
      case 'token':
        this.#tokenRequests.get(m.id)?.({ token: m.token, error: m.error ? deserializeError(m.error) : null });
        return;
      case 'close':
        void this.#close();
        return;
    }
  }

  #init(config: SenderConfig, ring: SharedArrayBuffer): void {
    this.#config = config;
    const clock = this.#clock;
    const wake = () => this.#wake();
    const scheduleAt = (at: number) => this.#scheduleAt(at);
    this.#transport = this.#makeTransport(config, {
      event: (e) => this.#event(e),
      refused: (err) => this.#becomeFatal(err),
      token: () => this.#requestToken(),
    });
    this.#ring = new EventRing(ring);
    this.#intake = new Intake(config.lingerMs, config.batchSize, { wake, scheduleAt }, this.#firstSequence);
    this.#connections = new NodeConnections(this.#transport, clock, config.retryBackoffMs, config.retryBackoffMaxMs, {
      opened: wake,
      failed: () => {
        this.#metadata.request();
        this.#wake();
      },
      scheduleAt,
    });
    this.#metadata = new MetadataRefresher(this.#transport, clock, config.retryBackoffMs, config.metadataMaxAgeMs, {
      topics: () => this.#intake.topics,
      published: (metadata) => this.#channel.post({ t: 'metadata', metadata }),
      // Open connections to the leaders now, so the first batches do not wait for them. Further lanes open
      // when a partition of theirs first has a batch to send: a topic of one partition never needs them.
      leaders: (ids) => {
        for (const id of ids) this.#connections.connect(id, 0);
      },
      refreshed: () => {
        this.#reporter.counters.metadataRefreshes = this.#metadata.requests;
        this.#reporter.countersChanged();
        this.#wake();
      },
    });
    this.#ids = new ProducerIds(config.enableIdempotence, config.retryBackoffMs, {
      initProducerId: () => this.#initProducerId(),
      retryLater: (ms, retry) => this.#clock.setTimeout(retry, ms),
      wake,
      fatal: (err) => this.#becomeFatal(err),
      bumped: () => {
        this.#reporter.counters.epochBumps = this.#ids.bumps;
        this.#reporter.countersChanged();
      },
    });
    // Transactions: the manager takes the producer id (ProducerIds then takes none of its own).
    if (config.transactionalId !== null) this.#txn = this.#transactions({ ...config, transactionalId: config.transactionalId });
    this.#waitForEvents();
    // As the Java sender does: get the producer id at start, not on the first record.
    this.#ids.start();
    // zstd's WebAssembly loads asynchronously; batches wait for it.
    if (config.compressionType === 'zstd') {
      this.#codecsReady = false;
      void loadCodecs().then(() => {
        this.#codecsReady = true;
        this.#wake();
      });
    }
  }

  // ---- events from the accumulator ----

  #waitForEvents(): void {
    if (this.#closed) return;
    this.#intake.readEvents(this.#ring);
    const waiting = this.#ring.waitForEvents();
    if (waiting) void waiting.then(() => this.#waitForEvents());
    else setImmediate(() => this.#waitForEvents());
  }

  // ---- the drain loop ----

  /** Many wake-ups in one tick make one drain. */
  #wake(): void {
    if (this.#drainScheduled || this.#closed) return;
    this.#drainScheduled = true;
    this.#clock.setImmediate(() => {
      this.#drainScheduled = false;
      this.#drain();
    });
  }

  #scheduleAt(at: number): void {
    if (this.#closed || at >= this.#timerAt) return;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = null;
        this.#timerAt = Infinity;
        this.#drain();
      },
      Math.max(0, at - this.#clock.now()),
    );
  }

  #drain(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    this.#intake.readEvents(this.#ring);
    this.#intake.sealLingering(now, (q) => this.#wireIdle(q));
    this.#metadata.tick(now);
    this.#scheduleAt(this.#metadata.dueAt);
    this.#txn?.tick();
    if (this.#fatal) {
      this.#failQueued(this.#fatal);
      return;
    }
    this.#expire(now);
    this.#ids.step(this.#intake.queues.values(), this.#intake.hasQueued());
    if (!this.#ids.ready || !this.#codecsReady) return;
    for (const { nodeId, lane, queues } of this.#readyByConnection(now).values()) this.#sendTo(nodeId, lane, queues, now);
  }

  /** Nothing of the partition waits, and its leader's connection has no request in flight. */
  #wireIdle(q: PartitionQueue): boolean {
    if (q.queue.length > 0 || q.inFlight.size > 0) return false;
    const leader = this.#transport.metadata.leaderFor(q.topic, q.partition);
    const conn = leader ? this.#connections.peek(leader.nodeId, this.#laneOf(q)) : undefined;
    return conn !== undefined && conn.inFlight === 0;
  }

  /** Which of the leader's connections the partition's batches take: always the same one, so they stay in order. */
  #laneOf(q: PartitionQueue): number {
    return q.ref % this.#config.connectionsPerBroker;
  }

  /**
   * Fails batches older than deliveryTimeoutMs, queued or in flight (an
   * in-flight one's late answer is then ignored). A numbered batch that
   * expires in flight may be in the log: its partition gets a bump.
   */
  #expire(now: number): void {
    const limit = this.#config.deliveryTimeoutMs;
    for (const q of this.#intake.queues.values()) {
      for (const b of q.inFlight) {
        if (now - b.createdAt < limit) this.#scheduleAt(b.createdAt + limit);
        else this.#fail(this.#deliveryTimeout(q, b, now, b.lastError ?? undefined), b, q);
      }
      // A partition's queue is in creation order (one open batch per partition; retries and split halves go back in order).
      while (q.queue.length > 0) {
        const b = q.queue[0] as SenderBatch;
        if (now - b.createdAt < limit) {
          this.#scheduleAt(b.createdAt + limit);
          break;
        }
        q.queue.shift();
        this.#fail(this.#deliveryTimeout(q, b, now, b.lastError ?? this.#leaderError(q) ?? this.#ids.lastError ?? undefined), b, q);
      }
    }
  }

  /** Why the partition's leader could not be reached lately, if it could not. */
  #leaderError(q: PartitionQueue): Error | undefined {
    const leader = this.#transport.metadata.leaderFor(q.topic, q.partition);
    return leader ? this.#connections.backoffOf(leader.nodeId)?.error : undefined;
  }

  /** `last`: the error of the last attempt, kept as the cause (a ConnectionError names its broker). */
  #deliveryTimeout(q: PartitionQueue, b: SenderBatch, now: number, last?: Error): KafkaTimeoutError {
    return new KafkaTimeoutError(
      `Expiring ${b.count} record(s) for ${q.name}: ${now - b.createdAt} ms has passed since batch creation (deliveryTimeoutMs ${this.#config.deliveryTimeoutMs})${last ? `; last error: ${last.message}` : ''}`,
      last,
    );
  }

  /** May the partition's head batch go now? Backoff, ordering, and the epoch rules. */
  #mayDrain(q: PartitionQueue, head: SenderBatch, now: number): boolean {
    if (q.backoffUntil > now) {
      this.#scheduleAt(q.backoffUntil);
      return false;
    }
    // Keep order: one batch at a time when so configured, and only the lowest sequence while retrying.
    if (q.inFlight.size > 0 && (this.#config.maxInFlightRequestsPerConnection === 1 || q.retrying)) return false;
    // Transactions: not before the coordinator added the partition to the transaction.
    if (this.#txn && !this.#txn.mayDrain(q)) return false;
    return head.baseSequence >= 0 || this.#ids.mayNumber(q);
  }

  /** Partitions with a batch that may go now, grouped by their leader's connection (node and lane). */
  #readyByConnection(now: number): Map<number, { nodeId: number; lane: number; queues: PartitionQueue[] }> {
    const out = new Map<number, { nodeId: number; lane: number; queues: PartitionQueue[] }>();
    const lanes = this.#config.connectionsPerBroker;
    let missingLeader = false;
    for (const q of this.#intake.queues.values()) {
      const head = q.queue[0];
      if (!head || !this.#mayDrain(q, head, now)) continue;
      const leader = this.#transport.metadata.leaderFor(q.topic, q.partition);
      if (!leader) {
        missingLeader = true;
        continue;
      }
      const backoff = this.#connections.backoffOf(leader.nodeId);
      if (backoff && backoff.until > now) {
        this.#scheduleAt(backoff.until);
        continue;
      }
      const lane = this.#laneOf(q);
      const key = leader.nodeId * lanes + lane;
      const group = out.get(key);
      if (group) group.queues.push(q);
      else out.set(key, { nodeId: leader.nodeId, lane, queues: [q] });
    }
    if (missingLeader) this.#metadata.request();
    return out;
  }

  #sendTo(nodeId: number, lane: number, queues: PartitionQueue[], now: number): void {
    const conn = this.#connections.get(nodeId, lane);
    if (!conn) return;
    const cfg = this.#config;
    const gate = {
      mayDrain: (q: PartitionQueue, head: SenderBatch) => this.#mayDrain(q, head, now),
      number: (q: PartitionQueue, b: SenderBatch) => {
        if (cfg.enableIdempotence) q.assignSequence(b);
      },
      failed: (q: PartitionQueue, b: SenderBatch, err: unknown) =>
        this.#fail(new ProducerFatalError(`compressing a batch for ${q.name} with ${cfg.compressionType} failed: ${(err as Error).message}`, err), b, q),
    };
    while (conn.inFlight < cfg.maxInFlightRequestsPerConnection && !conn.writableNeedDrain) {
      const built = buildProduceRequest(queues, cfg, gate, this.#drainStart++ % queues.length);
      if (!built) return;
      for (const byPartition of built.batches.values()) {
        for (const { batch } of byPartition.values()) {
          batch.sentTo = nodeId;
          batch.writes++;
        }
      }
      this.#reporter.counters.batches += built.batchCount;
      this.#reporter.counters.batchBytes += built.payloadBytes;
      this.#send(conn, { nodeId, batches: built.batches, trace: null }, built.body);
    }
  }

  #send(conn: SenderConnection, inflight: InFlightRequest, body: ProduceRequest): void {
    // Transactions v1 stay below Produce v12: from v12 on the broker would add the partition itself (KIP-890).
    const version = Math.min(conn.versionFor(Produce), this.#txn && this.#txn.transactionVersion !== 2 ? TXN_V1_MAX_PRODUCE_VERSION : MAX_PRODUCE_VERSION);
    this.#reporter.counters.requests++;
    if (this.#traceProduce) inflight.trace = { conn, nodeId: inflight.nodeId, apiVersion: version, acks: this.#config.acks, startTime: traceClock() };
    if (this.#config.acks === 0) {
      conn.sendWithoutResponse(Produce, body, (err) => this.#onAcksZeroWritten(inflight, err), version);
      return;
    }
    conn.requestWithCallback(Produce, body, (err, res) => this.#onResponse(inflight, err, res, conn.broker), { version });
  }

  /**
   * A request's callback ran: the socket no longer holds its batches' bytes
   * (it wrote them, or it was destroyed). A batch reported meanwhile (it
   * expired, say) had its slot pinned: main may free it now.
   */
  #writeEnded(inflight: InFlightRequest): void {
    for (const byPartition of inflight.batches.values()) {
      for (const { batch } of byPartition.values()) {
        if (--batch.writes > 0 || !batch.pinned) continue;
        batch.pinned = false;
        this.#reporter.release(batch.slotId, batch.generation);
      }
    }
  }

  #onAcksZeroWritten(inflight: InFlightRequest, err: Error | null): void {
    this.#writeEnded(inflight);
    if (inflight.trace) this.#reporter.reportRequest(produceFacts(inflight.trace, inflight.batches, err, undefined));
    for (const byPartition of inflight.batches.values()) {
      for (const { q, batch } of byPartition.values()) {
        if (batch.done) continue;
        if (err) this.#retryOrFail(q, batch, err, true);
        else this.#succeed(q, batch, -1, -1);
      }
    }
    this.#wake();
  }

  #onResponse(inflight: InFlightRequest, err: Error | null, res: ProduceResponse | undefined, broker: string): void {
    this.#writeEnded(inflight);
    if (inflight.trace) this.#reporter.reportRequest(produceFacts(inflight.trace, inflight.batches, err, res));
    if (err || !res) {
      this.#requestFailed(inflight, err ?? new ProtocolError('empty Produce response'));
      return;
    }
    // An answer with a value that cannot be right (a partition not asked for, a negative offset) is as good as lost.
    const problem = produceProblem(res, inflight.batches, broker);
    if (problem) {
      this.#requestFailed(inflight, problem);
      return;
    }
    this.#connections.healthy(inflight.nodeId);
    for (const ep of res.nodeEndpoints) this.#transport.metadata.addBroker({ nodeId: ep.nodeId, host: ep.host, port: ep.port, rack: ep.rack });
    const answered = new Set<SenderBatch>();
    for (const topic of res.responses) {
      const byPartition = topic.name === undefined ? undefined : inflight.batches.get(topic.name);
      for (const p of topic.partitionResponses) {
        const entry = byPartition?.get(p.index);
        // produceProblem let through only partitions asked for, each once.
        if (!entry) continue;
        answered.add(entry.batch);
        if (entry.batch.done) continue;
        const { q, batch } = entry;
        const verdict = judge(p, { count: batch.count, numbered: batch.baseSequence >= 0, staleEpoch: batch.producerEpoch !== this.#ids.epoch || batch.producerId !== this.#ids.producerId, lowestPending: () => this.#lowestPending(q, batch), ackedAfter: () => q.ackedAfter(batch) }, q.name);
        this.#apply(verdict, q, batch);
      }
    }
    // A partition the broker left out of its answer is treated as a lost response.
    for (const byPartition of inflight.batches.values()) {
      for (const { q, batch } of byPartition.values()) {
        if (!answered.has(batch) && !batch.done) this.#retryOrFail(q, batch, new ProtocolError(`the Produce response did not mention ${q.name}`), false);
      }
    }
    this.#wake();
  }

  /** No answer to use: every batch of the request goes again (or fails, out of retries), and metadata is refreshed. */
  #requestFailed(inflight: InFlightRequest, failure: Error): void {
    if (failure instanceof ConnectionError) this.#connections.backOff(inflight.nodeId, failure);
    for (const byPartition of inflight.batches.values()) {
      for (const { q, batch } of byPartition.values()) if (!batch.done) this.#retryOrFail(q, batch, failure, true);
    }
    this.#metadata.request();
    this.#wake();
  }

  /** No numbered batch of the partition, under the same id and epoch, comes before this one and is still pending. */
  #lowestPending(q: PartitionQueue, b: SenderBatch): boolean {
    const earlier = (x: SenderBatch) =>
      x !== b && x.baseSequence >= 0 && x.producerId === b.producerId && x.producerEpoch === b.producerEpoch && (x.order < b.order || (x.order === b.order && x.from < b.from));
    for (const x of q.inFlight) if (earlier(x)) return false;
    return !q.queue.some(earlier);
  }

  #apply(v: Verdict, q: PartitionQueue, batch: SenderBatch): void {
    switch (v.kind) {
      case 'succeed':
        this.#succeed(q, batch, v.baseOffset, v.logAppendTime);
        return;
      case 'retry':
        if (v.leader) this.#transport.metadata.moveLeader(q.topic, q.partition, v.leader.id, v.leader.epoch);
        else if (v.refreshMetadata) this.#metadata.request();
        this.#retryOrFail(q, batch, v.error, false);
        return;
      case 'split':
        this.#split(q, batch);
        return;
      case 'rewrite':
        this.#rewrite(q, batch, v.error);
        return;
      case 'fail':
        this.#fail(v.error, batch, q);
        return;
      case 'fatal':
        this.#fail(v.error, batch, q);
        this.#becomeFatal(new ProducerFatalError(`${v.error.message}: the producer must be closed`, v.error));
        return;
    }
  }

  #succeed(q: PartitionQueue, batch: SenderBatch, baseOffset: number, logAppendTime: number): void {
    batch.done = true;
    q.inFlight.delete(batch);
    q.acknowledged(batch);
    q.settleRetrying();
    this.#report(batch, baseOffset, logAppendTime, null);
  }

  /** The batch's outcome, its slot pinned while a write still holds the bytes (see #writeEnded). */
  #report(batch: SenderBatch, baseOffset: number, logAppendTime: number, error: Error | null): void {
    const o: Outcome = { slot: batch.slotId, gen: batch.generation, from: batch.from, count: batch.count, baseOffset, logAppendTime, error: error ? serializeError(error) : null };
    if (batch.holdsSlot) {
      o.pinned = true;
      batch.pinned = true;
    }
    this.#reporter.report(o);
  }

  /**
   * Reports a batch as failed, once. A numbered batch leaves a gap in its
   * partition's sequences (and may even be in the log): the partition asks
   * for an epoch bump, and the batches after it keep their numbers.
   */
  #fail(err: Error, batch: SenderBatch, q: PartitionQueue): void {
    if (batch.done) return;
    batch.done = true;
    q.inFlight.delete(batch);
    const i = q.queue.indexOf(batch);
    if (i >= 0) q.queue.splice(i, 1);
    q.settleRetrying();
    this.#report(batch, -1, -1, err);
    if (batch.baseSequence >= 0 && !this.#closed) this.#ids.gapAt(q, batch.producerId, batch.producerEpoch);
    this.#txn?.batchFailed(err);
  }

  /**
   * The broker surely did not write this batch, nor (sequences being
   * contiguous) any later one numbered under the same epoch: they are
   * numbered again after an epoch bump. Those in flight come back with the
   * same answer.
   */
  #rewrite(q: PartitionQueue, batch: SenderBatch, err: Error): void {
    this.#ids.gapAt(q, batch.producerId, batch.producerEpoch);
    const { producerId, producerEpoch } = batch;
    for (const b of q.queue) if (b.baseSequence >= 0 && b.producerId === producerId && b.producerEpoch === producerEpoch) b.unassign();
    batch.unassign();
    batch.lastError = err;
    q.requeue(batch);
    this.#reporter.counters.retries++;
    this.#reporter.countersChanged();
  }

  /**
   * Retries while attempts remain; the batch expires at deliveryTimeoutMs
   * wherever it is. The backoff doubles from retryBackoffMs up to
   * retryBackoffMaxMs with ±20% jitter.
   */
  #retryOrFail(q: PartitionQueue, batch: SenderBatch, err: Error, connectionLost: boolean): void {
    const now = this.#clock.now();
    const cfg = this.#config;
    if (this.#closed) {
      this.#fail(new ProducerClosedError(`the producer closed before ${q.name} was acknowledged`), batch, q);
      return;
    }
    if (batch.attempts > cfg.retries) {
      this.#fail(err, batch, q);
      return;
    }
    const exp = Math.min(cfg.retryBackoffMaxMs, cfg.retryBackoffMs * 2 ** Math.max(0, batch.attempts - 1));
    const backoff = Math.round(exp * (0.8 + this.#clock.random() * 0.4));
    this.#reporter.counters.retries++;
    this.#reporter.countersChanged();
    batch.lastError = err;
    q.requeue(batch);
    q.backoffUntil = now + (connectionLost ? Math.min(backoff, cfg.retryBackoffMs) : backoff);
    this.#scheduleAt(q.backoffUntil);
    const broker = this.#transport.metadata.brokers.get(batch.sentTo);
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

  /** MESSAGE_TOO_LARGE: two halves go first, each with its share of the parent's numbers; no attempt is counted. */
  #split(q: PartitionQueue, batch: SenderBatch): void {
    batch.done = true;
    q.inFlight.delete(batch);
    // Batches behind it may be answered out of order now: they go again after the halves.
    q.retrying = true;
    this.#reporter.counters.splits++;
    const records = decodeRecords(batch.bytes.subarray(BATCH_HEADER_SIZE), batch.count, 0, batch.baseTimestamp);
    const half = Math.ceil(records.length / 2);
    const parts = [records.slice(0, half), records.slice(half)].map((part, i) => {
      const bytes = buildRecordBatch(part.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })));
      const timestamps = part.map((r) => r.timestamp);
      const b = new SenderBatch(batch.slotId, batch.generation, batch.from + i * half, part.length, bytes, timestamps[0] as number, Math.max(...timestamps), batch.createdAt, batch.order);
      if (batch.baseSequence >= 0) b.assign(batch.producerId, batch.producerEpoch, batch.baseSequence + i * half);
      return b;
    });
    for (const part of parts) q.insertInOrder(part);
  }

  /** Connection events and retries, for the producer's diagnostics. */
  #event(event: SenderEvent): void {
    this.#channel.post({ t: 'event', event });
  }

  /**
   * Asks the producer's thread for a token; a provider that gives none
   * within requestTimeoutMs fails the authentication, as one that throws.
   */
  #requestToken(): Promise<OAuthBearerToken> {
    const id = this.#nextTokenRequest++;
    const timeoutMs = this.#config.requestTimeoutMs;
    return new Promise<OAuthBearerToken>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => answered({ token: null, error: new Error(`the token provider gave no token within ${timeoutMs} ms (requestTimeoutMs)`) }), timeoutMs);
      const answered = ({ token, error }: { token: ProvidedToken | null; error: Error | null }) => {
        this.#clock.clearTimeout(timer);
        this.#tokenRequests.delete(id);
        // As given: the OAUTHBEARER session checks its fields (network/sasl/oauthbearer.ts).
        if (token) resolve(token as OAuthBearerToken);
        else reject(error ?? new Error('the token provider gave no token'));
      };
      this.#tokenRequests.set(id, answered);
      this.#channel.post({ t: 'token-request', id });
    });
  }

  /** InitProducerId for a new idempotent producer id, on the least loaded open connection (not behind held Produce requests), else any. */
  async #initProducerId(): Promise<InitProducerIdResponse> {
    const conn = this.#connections.leastLoaded() ?? (await this.#transport.anyConnection());
    const res = await conn.request(InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000 });
    // A producer id or epoch that cannot be right: refused as an unreachable broker is, asked again after the backoff.
    return checked(res, initProducerIdProblem(res, conn.broker));
  }

  #transactions(config: SenderConfig & { transactionalId: string }): TransactionManager {
    return new TransactionManager(config, this.#transport, this.#clock, this.#ids, {
      queues: () => this.#intake.queues.values(),
      collect: () => {
        this.#intake.readEvents(this.#ring);
        this.#intake.sealLingering(Infinity);
      },
      fail: (err, b, q) => this.#fail(err, b, q),
      fatal: (err) => this.#becomeFatal(err),
      fatalError: () => this.#fatal,
      wake: () => this.#wake(),
      reply: (id, error) => {
        this.#reporter.counters.transactionVersion = this.#txn?.transactionVersion ?? 0;
        this.#reporter.flush();
        this.#channel.post({ t: 'txn', id, error: error ? serializeError(error) : null, counters: { ...this.#reporter.counters } });
      },
    });
  }

  /**
   * The producer cannot go on: every batch, queued or in flight, fails now
   * with the error; the producer hears once. Refused credentials fail them
   * with the AuthenticationError itself, which says what to fix.
   */
  #becomeFatal(err: ProducerFatalError | AuthenticationError): void {
    if (this.#fatal) return;
    this.#fatal = err;
    this.#channel.post({ t: 'fatal', error: serializeError(err) });
    this.#failQueued(err);
  }

  #failQueued(err: Error): void {
    for (const q of this.#intake.queues.values()) {
      for (const b of [...q.inFlight]) this.#fail(err, b, q);
      for (const b of q.queue.splice(0)) this.#fail(err, b, q);
    }
    // Open batches too: the producer refuses new records, so nothing will seal them.
    this.#intake.sealLingering(Infinity);
    for (const q of this.#intake.queues.values()) for (const b of q.queue.splice(0)) this.#fail(err, b, q);
  }

  async #close(): Promise<void> {
    const closed = new ProducerClosedError('the producer was closed before the record was acknowledged');
    for (const q of this.#intake?.queues.values() ?? []) {
      for (const b of q.queue.splice(0)) this.#fail(closed, b, q);
      for (const b of [...q.inFlight]) this.#fail(closed, b, q);
    }
    this.#closed = true;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    for (const answer of [...this.#tokenRequests.values()]) answer({ token: null, error: closed });
    this.#metadata?.close();
    this.#connections?.close();
    this.#txn?.close();
    // Resolve our own pending Atomics.waitAsync so nothing is left waiting.
    this.#ring?.wakeConsumer();
    // The last outcomes go out before the closing word.
    this.#reporter.flush();
    await this.#transport?.close();
    this.#channel.post({ t: 'closed' });
  }
}
