// An in-process fake Kafka cluster for the Sender's rule tests: a Transport
// (src/sender/transport.ts) whose brokers keep per-partition logs with the
// broker's idempotence checks (sequence, epoch, duplicates of the last five
// batches), and a ManualClock. A test scripts faults per Produce request (lose
// the answer, drop the connection before or after the write, refuse a
// partition with an error, leave a partition out, hold the answer) and then
// reads the logs: what was written, once or twice, in which order. Time moves
// only when the test says, so timeouts and backoffs are exact.

import type { Clock } from '../../src/sender/clock.js';
import type { SenderConnection, Transport } from '../../src/sender/transport.js';
import { MetadataCache } from '../../src/network/metadata-cache.js';
import { ConnectionClosedError, RequestTimeoutError } from '../../src/network/errors.js';
import type { Api } from '../../src/protocol/api.js';
import type { ProducePartitionResponse, ProduceRequest, ProduceResponse } from '../../src/protocol/apis/produce.js';
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../src/protocol/apis/init-producer-id.js';
import { decodeRecordBatches } from '../../src/protocol/record-batch.js';
import { encodeRequest } from '../../src/protocol/api.js';
import type { ResponseCallback } from '../../src/network/connection.js';
import { judgeProduceRequest, judgeRecordBatches, WireComplaint, type JudgedBatch } from './wire-judge.js';

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

/** One batch as a partition's log holds it. */
export interface LoggedBatch {
  offset: number;
  producerId: number;
  epoch: number;
  baseSequence: number;
  values: string[];
  /** The batch's size on the wire, header included. */
  bytes: number;
}

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

interface ProducerState {
  epoch: number;
  lastSeq: number;
  /** The last five batches: a retry of one of them is a duplicate. */
  recent: { first: number; last: number; offset: number }[];
}

/** One partition's log on a fake broker, with the broker's idempotence checks. */
export class FakePartition {
  readonly log: LoggedBatch[] = [];
  readonly #producers = new Map<number, ProducerState>();
  #nextOffset = 0;
  /** What the wire judge (wire-judge.ts) found wrong in the batches sent here; each was answered CORRUPT_MESSAGE. */
  readonly complaints: string[] = [];
  /** The answer to a retry of one of the last five batches: 0 (its offset) as brokers since 2.8 do, or 46 (DUPLICATE_SEQUENCE_NUMBER) as older ones did. */
  duplicateErrorCode: 0 | 46 = 0;

  /** Forgets every producer's state, as a broker does when it expires or loses it. */
  forgetProducers(): void {
    this.#producers.clear();
  }

  /** The broker's checks (Kafka's ProducerStateManager): returns the error code, 0 when appended or a duplicate. */
  append(records: Buffer): { errorCode: number; baseOffset: number } {
    // Read by the wire judge, not by our decoder: a mistake made alike in both cannot pass.
    let batch: JudgedBatch | undefined;
    try {
      [batch] = judgeRecordBatches(records);
    } catch (err) {
      if (!(err instanceof WireComplaint)) throw err;
      this.complaints.push(err.message);
    }
    if (!batch) return { errorCode: 2, baseOffset: -1 }; // CORRUPT_MESSAGE
    const count = batch.records.length;
    const values = batch.records.map((r) => r.value?.toString() ?? '');
    if (batch.producerId < 0) return { errorCode: 0, baseOffset: this.#write(batch.producerId, batch.producerEpoch, -1, values, records.length) };
    const first = batch.baseSequence;
    const last = (first + count - 1) % 2147483648;
    const state = this.#producers.get(batch.producerId);
    if (!state) {
      if (first !== 0) return { errorCode: 59, baseOffset: -1 }; // UNKNOWN_PRODUCER_ID
    } else if (batch.producerEpoch < state.epoch) {
      return { errorCode: 47, baseOffset: -1 }; // INVALID_PRODUCER_EPOCH
    } else if (batch.producerEpoch > state.epoch) {
      if (first !== 0) return { errorCode: 45, baseOffset: -1 };
    } else {
      const dup = state.recent.find((r) => r.first === first && r.last === last);
      if (dup) return this.duplicateErrorCode === 0 ? { errorCode: 0, baseOffset: dup.offset } : { errorCode: this.duplicateErrorCode, baseOffset: -1 };
      if (first !== (state.lastSeq + 1) % 2147483648) return { errorCode: 45, baseOffset: -1 }; // OUT_OF_ORDER_SEQUENCE_NUMBER
    }
    const offset = this.#write(batch.producerId, batch.producerEpoch, first, values, records.length);
    const next = state && state.epoch === batch.producerEpoch ? state : { epoch: batch.producerEpoch, lastSeq: -1, recent: [] };
    next.lastSeq = last;
    next.recent.push({ first, last, offset });
    if (next.recent.length > 5) next.recent.shift();
    this.#producers.set(batch.producerId, next);
    return { errorCode: 0, baseOffset: offset };
  }

  #write(producerId: number, epoch: number, baseSequence: number, values: string[], bytes: number): number {
    const offset = this.#nextOffset;
    this.log.push({ offset, producerId, epoch, baseSequence, values, bytes });
    this.#nextOffset += values.length;
    return offset;
  }

  /** Every value in log order. */
  get values(): string[] {
    return this.log.flatMap((b) => b.values);
  }
}

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

  requestWithCallback<Req, Res>(api: Api<Req, Res>, body: Req, callback: ResponseCallback<Res>, _opts?: { version?: number; timeoutMs?: number }): void {
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
    this.#cluster.handle(this, api as Api<unknown, unknown>, body, (res) => this.#finish(p, null, res), _opts?.version);
  }

  sendWithoutResponse<Req>(api: Api<Req, unknown>, body: Req, callback: (err: Error | null) => void, version?: number): void {
    if (this.#closed) {
      callback(new ConnectionClosedError(this.broker, 'the connection is closed'));
      return;
    }
    if (this.stalled) {
      this.#cluster.stalledWrites.push(() => callback(null));
      return;
    }
    this.#cluster.handle(this, api as Api<unknown, unknown>, body, () => {}, version);
    // A stall keeps the bytes in the socket's buffer: the write never completes.
    if (this.stalled) this.#cluster.stalledWrites.push(() => callback(null));
    else setImmediate(() => callback(null));
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
  produceCalls = 0;
  metadataCalls = 0;
  readonly initProducerIdCalls: InitProducerIdRequest[] = [];
  /** Error code for the next InitProducerId calls (0: answer normally). */
  initProducerIdError = 0;
  /** acks=0 writes held while a connection is stalled. */
  readonly stalledWrites: (() => void)[] = [];
  #nextProducerId = 1000;
  /** Leader changes the next Metadata answer carries. */
  readonly #topics = new Map<string, { leaders: number[]; topicId: Buffer; epoch: number }>();

  constructor(topics: FakeTopic[], clock = new ManualClock()) {
    this.clock = clock;
    for (const b of BROKERS) this.metadata.addBroker(b);
    for (const t of topics) {
      this.#topics.set(t.name, { leaders: t.leaders ?? Array.from({ length: t.partitions }, () => 1), topicId: randomId(), epoch: 0 });
      for (let p = 0; p < t.partitions; p++) this.partitions.set(`${t.name}-${p}`, new FakePartition());
    }
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

  async connectionTo(nodeId: number): Promise<SenderConnection> {
    const conn = new FakeConnection(this, nodeId);
    this.connections.push(conn);
    return conn;
  }

  async anyConnection(): Promise<SenderConnection> {
    return this.connectionTo(1);
  }

  async refreshMetadata(topics: readonly string[]): Promise<MetadataCache> {
    this.metadata.update(this.metadataResponse(topics));
    return this.metadata;
  }

  /** The Metadata answer for `topics` (counted as a Metadata request). */
  metadataResponse(topics: readonly string[]): MetadataResponse {
    this.metadataCalls++;
    return {
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
          partitions: (t?.leaders ?? []).map((leader, i) => ({
            errorCode: 0,
            partitionIndex: i,
            leaderId: leader,
            leaderEpoch: t?.epoch ?? 0,
            replicaNodes: [1, 2, 3],
            isrNodes: [1, 2, 3],
            offlineReplicas: [],
          })),
          topicAuthorizedOperations: -2147483648,
        };
      }),
      clusterAuthorizedOperations: -2147483648,
    } as unknown as MetadataResponse;
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.close();
  }

  /** Produce requests the wire judge could not read (the connection was closed, as a broker does). */
  readonly wireComplaints: string[] = [];

  /** Every complaint of the wire judge: requests it could not read, and batches each partition refused. */
  get complaints(): string[] {
    return [...this.wireComplaints, ...[...this.partitions.values()].flatMap((p) => p.complaints)];
  }

  /**
   * Answers one request as the brokers would, faults applied. A Produce
   * request is encoded with our encoder at `version` (the Sender's; on the
   * worker-thread host, which does not pass it, the highest that names
   * topics) and read back by the wire judge: the logs hold what the bytes say.
   */
  handle(conn: FakeConnection, api: Api<unknown, unknown>, body: unknown, answer: (res: unknown) => void, version?: number): void {
    if (api.name === 'InitProducerId') {
      const req = body as InitProducerIdRequest;
      this.initProducerIdCalls.push(req);
      const res = this.#initProducerId(req);
      setImmediate(() => answer(res));
      return;
    }
    if (api.name !== 'Produce') throw new Error(`the fake cluster does not answer ${api.name}`);
    let req: ProduceRequest;
    try {
      req = this.#judged(api, version ?? Math.min(conn.versionFor(api), 12), body);
    } catch (err) {
      if (!(err instanceof WireComplaint)) throw err;
      this.wireComplaints.push(err.message);
      setImmediate(() => conn.close());
      return;
    }
    const call = this.produceCalls++;
    const fault = (call < this.faults.length ? this.faults[call] : this.faultFor?.(call, req)) ?? null;
    if (fault?.kind === 'stall') {
      conn.stalled = true;
      return;
    }
    if (fault?.kind === 'drop-before-write') {
      setImmediate(() => conn.close());
      return;
    }
    if (fault?.kind === 'delay') {
      const res = this.#produce(conn, req, fault.then ?? null);
      this.clock.setTimeout(() => answer(res), fault.ms);
      return;
    }
    const res = this.#produce(conn, req, fault);
    if (fault?.kind === 'lose-response') return;
    if (fault?.kind === 'drop-after-write') {
      setImmediate(() => conn.close());
      return;
    }
    setImmediate(() => answer(res));
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

  #initProducerId(req: InitProducerIdRequest): InitProducerIdResponse {
    const base = { throttleTimeMs: 0, ongoingTxnProducerId: -1, ongoingTxnProducerEpoch: -1 };
    if (this.initProducerIdError !== 0) return { ...base, errorCode: this.initProducerIdError, producerId: -1, producerEpoch: -1 };
    if (req.transactionalId !== null) throw new Error('the fake cluster has no transaction coordinator');
    // As Kafka's coordinator: without a transactional id, always a new producer id.
    return { ...base, errorCode: 0, producerId: this.#nextProducerId++, producerEpoch: 0 };
  }

  #produce(conn: FakeConnection, req: ProduceRequest, fault: ProduceFault | null): ProduceResponse {
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
        const { errorCode, baseOffset } = this.partition(name, pd.index).append(Buffer.from(pd.records as Uint8Array));
        if (fault?.kind === 'omit' && fault.partitions.includes(pd.index)) continue;
        partitionResponses.push(answer(errorCode, baseOffset));
      }
      responses.push({ name, partitionResponses });
    }
    return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
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
