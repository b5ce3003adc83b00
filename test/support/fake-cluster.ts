// An in-process fake Kafka cluster for the Sender's rule tests and the
// simulator: a Transport (src/sender/transport.ts) whose brokers keep
// per-partition logs with the broker's idempotence checks and transaction
// markers (fake-cluster/partition-log.ts), a transaction coordinator and a
// group coordinator modelled on Kafka's (fake-cluster/txn-coordinator.ts,
// group-coordinator.ts), and a ManualClock. A test scripts faults per
// request (lose the answer, drop the connection before or after the write,
// refuse with an error, leave a partition out, hold the answer, stop
// reading) and then reads the logs: what was written, once or twice, in
// which order, committed or not. A connection whose broker stopped reading
// keeps each request by reference and reads its bytes only when it drains,
// as a socket does. Time moves only when the test says.

import type { Clock } from '../../src/sender/clock.js';
import type { SenderConnection, Transport } from '../../src/sender/transport.js';
import { MetadataCache } from '../../src/network/metadata-cache.js';
import { ConnectionClosedError, ConnectionRefusedError, RequestTimeoutError } from '../../src/network/errors.js';
import type { Api } from '../../src/protocol/api.js';
import type { ProducePartitionResponse, ProduceRequest, ProduceResponse } from '../../src/protocol/apis/produce.js';
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../src/protocol/apis/init-producer-id.js';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../../src/protocol/apis/find-coordinator.js';
import type { AddPartitionsToTxnRequest } from '../../src/protocol/apis/add-partitions-to-txn.js';
import type { AddOffsetsToTxnRequest } from '../../src/protocol/apis/add-offsets-to-txn.js';
import type { TxnOffsetCommitRequest } from '../../src/protocol/apis/txn-offset-commit.js';
import type { EndTxnRequest } from '../../src/protocol/apis/end-txn.js';
import { decodeRecordBatches } from '../../src/protocol/record-batch.js';
import { encodeRequest } from '../../src/protocol/api.js';
import type { ResponseCallback } from '../../src/network/connection.js';
import { FakePartition, type LoggedBatch } from './fake-cluster/partition-log.js';
import { FakeGroupCoordinator } from './fake-cluster/group-coordinator.js';
import { FakeTransactionCoordinator } from './fake-cluster/txn-coordinator.js';
import { judgeProduceRequest, WireComplaint } from './wire-judge.js';

export { FakePartition, type LoggedBatch };

/** Lets every pending callback, microtask and setImmediate run. */
export async function turns(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/** Time that moves only when the test advances it; jitter is fixed at its middle. */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Set<Timer>();
  /** Told every move of time (a Sender on another thread keeps its copy of the time). */
  onMove: ((now: number) => void) | null = null;
  /** Lets the Sender react to what happened; a Sender on another thread needs more than this thread's turns. */
  settle: () => Promise<void> = () => turns();

  constructor(start = Date.now()) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const t = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn };
    this.#timers.add(t);
    return t;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as Timer);
  }

  setImmediate(fn: () => void): void {
    setImmediate(fn);
  }

  random(): number {
    return 0.5;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting the Sender run after each. */
  async advance(ms: number, step = 5): Promise<void> {
    const end = this.#now + ms;
    let fired = 0;
    await this.settle();
    while (this.#now < end) {
      const next = Math.min(end, this.#now + step);
      for (;;) {
        let due: Timer | undefined;
        for (const t of this.#timers) if (t.at <= next && (!due || t.at < due.at || (t.at === due.at && t.seq < due.seq))) due = t;
        if (!due) break;
        this.#timers.delete(due);
        if (++fired > 100_000) throw new Error(`a timer keeps firing at ${due.at}: ${due.fn.toString().slice(0, 300)}`);
        this.#moveTo(Math.max(this.#now, due.at));
        due.fn();
        await this.settle();
      }
      this.#moveTo(next);
      await this.settle();
    }
  }

  #moveTo(now: number): void {
    if (now === this.#now) return;
    this.#now = now;
    this.onMove?.(now);
  }
}

type MetadataResponse = Parameters<MetadataCache['update']>[0];

/** The fake cluster's three brokers. */
export const BROKERS = [1, 2, 3].map((id) => ({ nodeId: id, host: '127.0.0.1', port: 9000 + id, rack: null }));

/** What a test may do to one Produce request. */
export type ProduceFault =
  /** Written, but the answer never comes: the request times out. */
  | { kind: 'lose-response' }
  /** The connection drops before the request reaches the broker: nothing written. */
  | { kind: 'drop-before-write' }
  /** Written, then the connection drops before the answer. */
  | { kind: 'drop-after-write' }
  /** These partitions (all when absent) are refused with `code`; nothing of theirs is written. */
  | { kind: 'error'; code: number; partitions?: number[]; leader?: { id: number; epoch: number } }
  /** Written, but the answer leaves these partitions out. */
  | { kind: 'omit'; partitions: number[] }
  /** The broker stops reading: the request is neither written nor answered, and the socket's buffer is full. */
  | { kind: 'stall' }
  /** Handled now (with `then` applied, if given), answered `ms` later. */
  | { kind: 'delay'; ms: number; then?: ProduceFault };

interface Pending {
  done: boolean;
  timer: unknown;
  callback: ResponseCallback<unknown>;
}

export class FakeConnection implements SenderConnection {
  readonly nodeId: number;
  readonly broker: string;
  readonly host = '127.0.0.1';
  readonly port: number;
  #closed = false;
  stalled = false;
  /** Writes the broker has not read yet (it stopped reading): each holds its request by reference until resume(). */
  readonly #unread: (() => void)[] = [];
  /** Partitions ("topic-p") whose batches came over this connection. */
  readonly producedTo = new Set<string>();
  readonly #pending = new Set<Pending>();
  readonly #closeListeners: (() => void)[] = [];
  readonly #cluster: FakeCluster;

  constructor(cluster: FakeCluster, nodeId: number) {
    this.#cluster = cluster;
    this.nodeId = nodeId;
    this.port = 9000 + nodeId;
    this.broker = `127.0.0.1:${this.port} (node ${nodeId})`;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  get writableNeedDrain(): boolean {
    return this.stalled;
  }

  versionFor(api: Api<unknown, unknown>): number {
    return this.#cluster.versions.get(api.name) ?? api.maxVersion;
  }

  get finalizedFeatures(): ReadonlyMap<string, number> {
    return this.#cluster.features;
  }

  request<Req, Res>(api: Api<Req, Res>, body: Req, opts?: { version?: number; timeoutMs?: number }): Promise<Res> {
    return new Promise((resolve, reject) => this.requestWithCallback(api, body, (err, res) => (err ? reject(err) : resolve(res as Res)), opts));
  }

  requestWithCallback<Req, Res>(api: Api<Req, Res>, body: Req, callback: ResponseCallback<Res>, opts?: { version?: number; timeoutMs?: number }): void {
    if (this.#closed) {
      callback(new ConnectionClosedError(this.broker, 'the connection is closed'));
      return;
    }
    const p: Pending = { done: false, timer: null, callback: callback as ResponseCallback<unknown> };
    this.#pending.add(p);
    // As the real connection: no answer within requestTimeoutMs fails the request and closes the connection.
    p.timer = this.#cluster.clock.setTimeout(() => {
      if (p.done) return;
      this.#finish(p, new RequestTimeoutError(this.broker, api.name, this.#cluster.requestTimeoutMs));
      this.close();
    }, this.#cluster.requestTimeoutMs);
    const version = opts?.version ?? this.versionFor(api as Api<unknown, unknown>);
    const deliver = () => this.#cluster.handle(this, api as Api<unknown, unknown>, body, (res) => this.#finish(p, null, this.#cluster.tamper?.(api.name, res) ?? res), version);
    if (this.stalled) this.#unread.push(deliver);
    else deliver();
  }

  sendWithoutResponse<Req>(api: Api<Req, unknown>, body: Req, callback: (err: Error | null) => void, version?: number): void {
    if (this.#closed) {
      callback(new ConnectionClosedError(this.broker, 'the connection is closed'));
      return;
    }
    const write = () => this.#cluster.handle(this, api as Api<unknown, unknown>, body, () => {}, version ?? this.versionFor(api as Api<unknown, unknown>));
    if (this.stalled) {
      this.#unread.push(() => {
        write();
        callback(null);
      });
      return;
    }
    write();
    // A stall keeps the bytes in the socket's buffer: the write completes only when it drains.
    if (this.stalled) this.#unread.push(() => callback(null));
    else setImmediate(() => callback(null));
  }

  /** The broker stops reading: `pending` (a request the stall caught) and every later write wait, bytes by reference. */
  stall(pending?: () => void): void {
    this.stalled = true;
    if (pending) this.#unread.push(pending);
  }

  /** The broker reads again: the waiting writes are read now, from whatever their bytes hold now. */
  resume(): void {
    this.stalled = false;
    for (const w of this.#unread.splice(0)) {
      if (this.#closed) return;
      w();
    }
  }

  #finish(p: Pending, err: Error | null, res?: unknown): void {
    if (p.done) return;
    p.done = true;
    this.#pending.delete(p);
    this.#cluster.clock.clearTimeout(p.timer);
    p.callback(err, res);
  }

  once(_event: 'close', listener: () => void): unknown {
    this.#closeListeners.push(listener);
    return this;
  }

  /** Drops the connection: every pending request fails with ConnectionClosedError. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // A destroyed socket discards what it had not written.
    this.#unread.length = 0;
    for (const p of [...this.#pending]) this.#finish(p, new ConnectionClosedError(this.broker, 'the broker closed the connection'));
    for (const l of this.#closeListeners.splice(0)) l();
  }
}

export interface FakeTopic {
  name: string;
  partitions: number;
  /** Leader of each partition (default: node 1). */
  leaders?: number[];
}

/** What a fault schedule may do to a request other than Produce (faults on Produce are ProduceFault). */
export type RequestFault =
  /** Answered with this error code (the API's own error field). */
  | { kind: 'error'; code: number }
  /** Handled, but the answer never comes. */
  | { kind: 'lose-response' }
  /** The connection drops before the request reaches the broker. */
  | { kind: 'drop-before-write' }
  /** Handled, then the connection drops before the answer. */
  | { kind: 'drop-after-write' }
  /** Handled now, answered `ms` later. */
  | { kind: 'delay'; ms: number };

/** APIs answered by a coordinator: sent to another broker, NOT_COORDINATOR; while it loads, COORDINATOR_LOAD_IN_PROGRESS. */
const TXN_COORDINATOR_APIS = new Set(['AddPartitionsToTxn', 'AddOffsetsToTxn', 'EndTxn']);
const NOT_COORDINATOR = 16;
const COORDINATOR_LOAD_IN_PROGRESS = 14;

export class FakeCluster implements Transport {
  readonly metadata = new MetadataCache();
  readonly clock: ManualClock;
  requestTimeoutMs = 30_000;
  /** The topics' max.message.bytes: a larger batch is refused with MESSAGE_TOO_LARGE, as Kafka does. */
  maxMessageBytes = Infinity;
  /** Api name → version the brokers speak (default: the highest we know). */
  readonly versions = new Map<string, number>();
  /** Feature levels the brokers finalized (default none: transactions v1). */
  readonly features = new Map<string, number>();
  readonly partitions = new Map<string, FakePartition>();
  readonly connections: FakeConnection[] = [];
  /** Faults for the next Produce requests, one each, in order. */
  readonly faults: (ProduceFault | null)[] = [];
  /** Or a rule asked for every Produce request (after `faults` runs out). */
  faultFor: ((call: number, req: ProduceRequest) => ProduceFault | null) | null = null;
  /** A rule asked for every other request (FindCoordinator, InitProducerId, the transaction APIs). */
  requestFaultFor: ((api: string, conn: FakeConnection) => RequestFault | null) | null = null;
  produceCalls = 0;
  metadataCalls = 0;
  readonly initProducerIdCalls: InitProducerIdRequest[] = [];
  /** Error code for the next InitProducerId calls (0: answer normally). */
  initProducerIdError = 0;
  /** Rewrites an answer before it is delivered (a test's or the fuzzer's hostile values): Metadata, and what connections answer. */
  tamper: ((api: string, res: unknown) => unknown) | null = null;
  /** Transactional Produce is checked with the transaction coordinator model (off where a test scripts the coordinator instead). */
  verifiesTransactions = true;
  /** The group coordinator's transactional offsets. */
  readonly groups = new FakeGroupCoordinator();
  /** The transaction coordinator (every transactional id shares it). */
  readonly txn: FakeTransactionCoordinator;
  /** Where FindCoordinator points for transactional ids and for groups. */
  txnCoordinatorNode = 1;
  groupCoordinatorNode = 1;
  /** The transaction coordinator answers COORDINATOR_LOAD_IN_PROGRESS until this time; the group coordinator until groupLoadingUntil. */
  coordinatorLoadingUntil = -Infinity;
  groupLoadingUntil = -Infinity;
  /** Brokers that refuse connections. */
  readonly down = new Set<number>();
  /** Topics whose Metadata answer leaves partition 0 out (a broker's malformed value). */
  readonly metadataHoles = new Set<string>();
  /** How long a transaction's markers take to be written, in ms. */
  markerDelayMs = 1;
  /** The epoch a new transactional id starts at. */
  firstEpoch = 0;
  #nextProducerId = 1000;
  /** Leader changes the next Metadata answer carries. */
  readonly #topics = new Map<string, { leaders: number[]; topicId: Buffer; epoch: number }>();

  constructor(topics: FakeTopic[], clock = new ManualClock()) {
    this.clock = clock;
    for (const b of BROKERS) this.metadata.addBroker(b);
    for (const t of topics) {
      this.#topics.set(t.name, { leaders: t.leaders ? [...t.leaders] : Array.from({ length: t.partitions }, () => 1), topicId: randomId(), epoch: 0 });
      for (let p = 0; p < t.partitions; p++) this.partitions.set(`${t.name}-${p}`, new FakePartition());
    }
    this.txn = new FakeTransactionCoordinator({
      now: () => this.clock.now(),
      setTimeout: (fn, ms) => this.clock.setTimeout(fn, ms),
      partitionExists: (key) => this.partitions.has(key),
      writeMarker: (key, producerId, epoch, commit) => this.partitions.get(key)?.writeMarker(producerId, epoch, commit),
      groups: this.groups,
      newProducerId: () => this.#nextProducerId++,
      markerDelayMs: () => this.markerDelayMs,
      firstEpoch: () => this.firstEpoch,
    });
  }

  partition(topic: string, p: number): FakePartition {
    const part = this.partitions.get(`${topic}-${p}`);
    if (!part) throw new Error(`no partition ${topic}-${p}`);
    return part;
  }

  /** Moves a partition's leadership; the metadata tells it at the next refresh. */
  moveLeader(topic: string, p: number, nodeId: number): void {
    const t = this.#topics.get(topic);
    if (!t) throw new Error(`no topic ${topic}`);
    t.leaders[p] = nodeId;
    t.epoch++;
  }

  /** The topic is deleted and created again: a new id, leader epochs from 0, empty logs. */
  recreate(topic: string): void {
    const t = this.#topics.get(topic);
    if (!t) throw new Error(`no topic ${topic}`);
    t.topicId = randomId();
    t.epoch = 0;
    t.leaders = t.leaders.map(() => 2);
    for (let p = 0; p < t.leaders.length; p++) this.partitions.set(`${topic}-${p}`, new FakePartition());
  }

  /** As if 2^31 - n records had been sent under every epoch: a producer's first batch under an epoch may carry this sequence. */
  startSequencesAt(first: number): void {
    for (const p of this.partitions.values()) p.firstSequence = first;
  }

  /** The broker stops (its connections drop, new ones are refused) or comes back. */
  setDown(nodeId: number, down: boolean): void {
    if (!down) {
      this.down.delete(nodeId);
      return;
    }
    this.down.add(nodeId);
    for (const c of this.connections) if (c.nodeId === nodeId) c.close();
  }

  async connectionTo(nodeId: number): Promise<SenderConnection> {
    const conn = new FakeConnection(this, nodeId);
    if (this.down.has(nodeId)) throw new ConnectionRefusedError(conn.broker);
    this.connections.push(conn);
    return conn;
  }

  async anyConnection(): Promise<SenderConnection> {
    return this.connectionTo(BROKERS.find((b) => !this.down.has(b.nodeId))?.nodeId ?? 1);
  }

  async refreshMetadata(topics: readonly string[]): Promise<MetadataCache> {
    this.metadata.update(this.metadataResponse(topics));
    return this.metadata;
  }

  /** The Metadata answer for `topics` (counted as a Metadata request). */
  metadataResponse(topics: readonly string[]): MetadataResponse {
    this.metadataCalls++;
    const res = {
      throttleTimeMs: 0,
      brokers: BROKERS,
      clusterId: 'fake',
      controllerId: 1,
      topics: topics.map((name) => {
        const t = this.#topics.get(name);
        return {
          errorCode: t ? 0 : 3,
          name,
          topicId: t?.topicId ?? Buffer.alloc(16),
          isInternal: false,
          partitions: (t?.leaders ?? [])
            .map((leader, i) => ({
              errorCode: 0,
              partitionIndex: i,
              leaderId: leader,
              leaderEpoch: t?.epoch ?? 0,
              replicaNodes: [1, 2, 3],
              isrNodes: [1, 2, 3],
              offlineReplicas: [],
            }))
            .filter((p) => p.partitionIndex > 0 || !this.metadataHoles.has(name)),
          topicAuthorizedOperations: -2147483648,
        };
      }),
      clusterAuthorizedOperations: -2147483648,
    } as unknown as MetadataResponse;
    return (this.tamper?.('Metadata', res) as MetadataResponse | undefined) ?? res;
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.close();
  }

  /** Answers one request as the brokers would, faults applied. */
  handle(conn: FakeConnection, api: Api<unknown, unknown>, body: unknown, answer: (res: unknown) => void, version = conn.versionFor(api)): void {
    if (api.name !== 'Produce') {
      this.#handleOther(conn, api.name, body, answer, version);
      return;
    }
    // Encoded with our encoder at the Sender's version and read back by the
    // wire judge (wire-judge.ts): the logs hold what the bytes say. Read when
    // the request is delivered: a stalled socket reads the slot's bytes only
    // when it drains, as a real one does. The worker-thread host does not
    // pass the version: the highest the Sender uses (12, topics by name).
    let req: ProduceRequest;
    try {
      req = this.#judged(api, Math.min(version, 12), body);
    } catch (err) {
      if (!(err instanceof WireComplaint)) throw err;
      this.wireComplaints.push(err.message);
      setImmediate(() => conn.close());
      return;
    }
    const call = this.produceCalls++;
    const fault = (call < this.faults.length ? this.faults[call] : this.faultFor?.(call, req)) ?? null;
    if (fault?.kind === 'stall') {
      // The request stays in the socket's buffer, its bytes by reference: the broker reads them if it drains.
      conn.stall(() => this.#answerProduce(conn, req, null, answer, version));
      return;
    }
    if (fault?.kind === 'drop-before-write') {
      setImmediate(() => conn.close());
      return;
    }
    this.#answerProduce(conn, req, fault, answer, version);
  }

  #answerProduce(conn: FakeConnection, req: ProduceRequest, fault: ProduceFault | null, answer: (res: unknown) => void, version: number): void {
    if (fault?.kind === 'delay') {
      const res = this.#produce(conn, req, fault.then ?? null, version);
      this.clock.setTimeout(() => answer(res), fault.ms);
      return;
    }
    const res = this.#produce(conn, req, fault, version);
    if (fault?.kind === 'lose-response') return;
    if (fault?.kind === 'drop-after-write') {
      setImmediate(() => conn.close());
      return;
    }
    setImmediate(() => answer(res));
  }

  /** Produce requests the wire judge could not read (the connection was closed, as a broker does). */
  readonly wireComplaints: string[] = [];

  /** Every complaint of the wire judge: requests it could not read, and batches each partition refused. */
  get complaints(): string[] {
    return [...this.wireComplaints, ...[...this.partitions.values()].flatMap((p) => p.complaints)];
  }

  /** The Produce request as its bytes say, read by the wire judge. */
  #judged(api: Api<unknown, unknown>, version: number, body: unknown): ProduceRequest {
    const judged = judgeProduceRequest(Buffer.concat(encodeRequest(api, version, 1, 'fake-cluster', body)));
    return {
      transactionalId: judged.transactionalId,
      acks: judged.acks,
      timeoutMs: judged.timeoutMs,
      topicData: judged.topics.map((t) => {
        if (t.name === null) throw new WireComplaint(`Produce v${version} names topics by id: the fake cluster knows them by name`);
        return { name: t.name, partitionData: t.partitions.map((p) => ({ index: p.index, records: p.records })) };
      }),
    };
  }

  /** Requests other than Produce: the coordinators' and InitProducerId without a transactional id. */
  #handleOther(conn: FakeConnection, name: string, body: unknown, answer: (res: unknown) => void, version: number): void {
    const fault = this.requestFaultFor?.(name, conn) ?? null;
    if (fault?.kind === 'drop-before-write') {
      setImmediate(() => conn.close());
      return;
    }
    const res = fault?.kind === 'error' ? errorAnswer(name, body, fault.code) : this.#answerOther(conn, name, body, version);
    if (fault?.kind === 'lose-response') return;
    if (fault?.kind === 'drop-after-write') {
      setImmediate(() => conn.close());
      return;
    }
    if (fault?.kind === 'delay') this.clock.setTimeout(() => answer(res), fault.ms);
    else setImmediate(() => answer(res));
  }

  #answerOther(conn: FakeConnection, name: string, body: unknown, version: number): unknown {
    if (name === 'FindCoordinator') {
      const req = body as FindCoordinatorRequest;
      const nodeId = req.keyType === 1 ? this.txnCoordinatorNode : this.groupCoordinatorNode;
      const b = BROKERS.find((x) => x.nodeId === nodeId) ?? BROKERS[0];
      const key = req.coordinatorKeys?.[0] ?? req.key ?? '';
      const res: FindCoordinatorResponse = {
        throttleTimeMs: 0,
        errorCode: 0,
        errorMessage: null,
        nodeId,
        host: b?.host ?? '',
        port: b?.port ?? -1,
        coordinators: [{ key, nodeId, host: b?.host ?? '', port: b?.port ?? -1, errorCode: 0, errorMessage: null }],
      };
      return res;
    }
    if (name === 'InitProducerId') {
      const req = body as InitProducerIdRequest;
      this.initProducerIdCalls.push(req);
      if (req.transactionalId === null) return this.#initProducerId(req);
    }
    const group = name === 'TxnOffsetCommit';
    if (!group && name !== 'InitProducerId' && !TXN_COORDINATOR_APIS.has(name)) throw new Error(`the fake cluster does not answer ${name}`);
    if (conn.nodeId !== (group ? this.groupCoordinatorNode : this.txnCoordinatorNode)) return errorAnswer(name, body, NOT_COORDINATOR);
    if (this.clock.now() < (group ? this.groupLoadingUntil : this.coordinatorLoadingUntil)) return errorAnswer(name, body, COORDINATOR_LOAD_IN_PROGRESS);
    switch (name) {
      case 'InitProducerId':
        if (this.initProducerIdError !== 0) return errorAnswer(name, body, this.initProducerIdError);
        return this.txn.initProducerId(body as InitProducerIdRequest);
      case 'AddPartitionsToTxn':
        return this.txn.addPartitions(body as AddPartitionsToTxnRequest);
      case 'AddOffsetsToTxn':
        return this.txn.addOffsets(body as AddOffsetsToTxnRequest);
      case 'TxnOffsetCommit':
        return this.txn.txnOffsetCommit(body as TxnOffsetCommitRequest, version);
      default:
        return this.txn.endTxn(body as EndTxnRequest, version);
    }
  }

  #initProducerId(req: InitProducerIdRequest): InitProducerIdResponse {
    const base = { throttleTimeMs: 0, ongoingTxnProducerId: -1, ongoingTxnProducerEpoch: -1 };
    if (this.initProducerIdError !== 0) return { ...base, errorCode: this.initProducerIdError, producerId: -1, producerEpoch: -1 };
    // As Kafka's coordinator: without a transactional id, always a new producer id.
    return { ...base, errorCode: 0, producerId: this.#nextProducerId++, producerEpoch: this.firstEpoch };
  }

  #produce(conn: FakeConnection, req: ProduceRequest, fault: ProduceFault | null, version: number): ProduceResponse {
    const responses: ProduceResponse['responses'] = [];
    for (const t of req.topicData) {
      const name = t.name ?? '';
      const partitionResponses: ProducePartitionResponse[] = [];
      for (const pd of t.partitionData) {
        conn.producedTo.add(`${name}-${pd.index}`);
        const answer = (errorCode: number, baseOffset = -1, leader?: { id: number; epoch: number }): ProducePartitionResponse => ({
          index: pd.index,
          errorCode,
          baseOffset,
          logAppendTimeMs: -1,
          logStartOffset: 0,
          recordErrors: [],
          errorMessage: null,
          ...(leader ? { currentLeader: { leaderId: leader.id, leaderEpoch: leader.epoch } } : {}),
        });
        const refused = fault?.kind === 'error' && (!fault.partitions || fault.partitions.includes(pd.index));
        if (refused) {
          partitionResponses.push(answer(fault.code, -1, fault.leader));
          continue;
        }
        const leader = this.#topics.get(name)?.leaders[pd.index];
        if (leader !== conn.nodeId) {
          partitionResponses.push(answer(6)); // NOT_LEADER_OR_FOLLOWER
          continue;
        }
        if ((pd.records?.length ?? 0) > this.maxMessageBytes) {
          partitionResponses.push(answer(10)); // MESSAGE_TOO_LARGE
          continue;
        }
        // The bytes are read now, from the producer's memory as it is now (a stalled socket reads them late).
        const records = Buffer.from(pd.records as Uint8Array);
        const verified = req.transactionalId === null || !this.verifiesTransactions ? 0 : this.#verifyTransactional(req.transactionalId, `${name}-${pd.index}`, records, version);
        if (verified !== 0) {
          partitionResponses.push(answer(verified));
          continue;
        }
        const { errorCode, baseOffset } = this.partition(name, pd.index).append(records);
        if (fault?.kind === 'omit' && fault.partitions.includes(pd.index)) continue;
        partitionResponses.push(answer(errorCode, baseOffset));
      }
      responses.push({ name, partitionResponses });
    }
    return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
  }

  /** The partition leader's check with the transaction coordinator (KIP-890), from the batch header's producer id and epoch. */
  #verifyTransactional(transactionalId: string, key: string, records: Buffer, version: number): number {
    if (records.length < 53) return 2;
    const producerId = Number(records.readBigInt64BE(43));
    const epoch = records.readInt16BE(51);
    return this.txn.verifyProduce(transactionalId, key, producerId, epoch, version);
  }
}

/** An answer of `api` carrying `code` wherever it has an error field. */
export function errorAnswer(api: string, body: unknown, code: number): unknown {
  switch (api) {
    case 'FindCoordinator': {
      const req = body as FindCoordinatorRequest;
      const key = req.coordinatorKeys?.[0] ?? req.key ?? '';
      return { throttleTimeMs: 0, errorCode: code, errorMessage: null, nodeId: -1, host: '', port: -1, coordinators: [{ key, nodeId: -1, host: '', port: -1, errorCode: code, errorMessage: null }] };
    }
    case 'InitProducerId':
      return { throttleTimeMs: 0, errorCode: code, producerId: -1, producerEpoch: -1, ongoingTxnProducerId: -1, ongoingTxnProducerEpoch: -1 };
    case 'AddPartitionsToTxn': {
      const req = body as AddPartitionsToTxnRequest;
      return {
        throttleTimeMs: 0,
        resultsByTopicV3AndBelow: req.v3AndBelowTopics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code })) })),
      };
    }
    case 'TxnOffsetCommit': {
      const req = body as TxnOffsetCommitRequest;
      return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })) };
    }
    case 'EndTxn':
      return { throttleTimeMs: 0, errorCode: code, producerId: -1, producerEpoch: -1 };
    default:
      return { throttleTimeMs: 0, errorCode: code };
  }
}

function randomId(): Buffer {
  const b = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  return b;
}

/** The values a Produce request carries for a partition (any topic). */
export function valuesIn(req: ProduceRequest, partition: number): string[] {
  const out: string[] = [];
  for (const t of req.topicData) {
    for (const pd of t.partitionData) {
      if (pd.index !== partition || !pd.records) continue;
      for (const b of decodeRecordBatches(Buffer.from(pd.records))) out.push(...b.records.map((r) => r.value?.toString() ?? ''));
    }
  }
  return out;
}

/** Values of a partition's log that appear more than once. */
export function duplicates(values: string[]): string[] {
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const v of values) {
    if (seen.has(v)) dup.push(v);
    seen.add(v);
  }
  return dup;
}
