// npm run fuzz:record: records, from a real broker, one response of every API
// the producer uses at every version both sides speak, and writes them to
// test/fixtures/responses.json for the fuzzer (and anyone wanting golden
// bytes). The broker is KAFKA_BROKERS' first entry, else 127.0.0.1:9092
// (npm run kafka:start). Requests go over a bare socket, so the bytes are
// kept exactly as the broker sent them.
//
// What is asked: ApiVersions (and one at a version no broker knows, answered
// in v0 with error 35), Metadata and Produce on a new two-partition topic
// (Produce also names a partition that does not exist, for an error entry),
// InitProducerId without a transactional id, FindCoordinator, and one
// transaction per version level (AddPartitionsToTxn, AddOffsetsToTxn,
// TxnOffsetCommit, EndTxn commit), plus SaslHandshake and SaslAuthenticate
// (a listener without SASL answers them with an error: still real bytes).

import net from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeRequest, decodeResponse, type Api } from '../../src/protocol/api.js';
import { AddOffsetsToTxn } from '../../src/protocol/apis/add-offsets-to-txn.js';
import { AddPartitionsToTxn } from '../../src/protocol/apis/add-partitions-to-txn.js';
import { ApiVersions } from '../../src/protocol/apis/api-versions.js';
import { EndTxn } from '../../src/protocol/apis/end-txn.js';
import { FindCoordinator } from '../../src/protocol/apis/find-coordinator.js';
import { InitProducerId } from '../../src/protocol/apis/init-producer-id.js';
import { Metadata, type MetadataResponse } from '../../src/protocol/apis/metadata.js';
import { Produce } from '../../src/protocol/apis/produce.js';
import { SaslAuthenticate, SaslHandshake } from '../../src/protocol/apis/sasl.js';
import { TxnOffsetCommit } from '../../src/protocol/apis/txn-offset-commit.js';
import { buildRecordBatch } from '../../src/protocol/record-batch.js';
import { readState } from '../kafka/broker.js';
import { Topics } from '../kafka/topics.js';
import { bufferAsHex, fixturesPath, type AnyApi, type FixtureFile } from './fixtures.js';

const CLIENT_ID = 'kpt-fixtures';
/** Versions above this are unknown to every broker: ApiVersions answers them in v0 with its own ranges. */
const UNKNOWN_API_VERSIONS_VERSION = 127;

/** One connection, one request at a time; returns each response frame without its size prefix. */
class RawConnection {
  readonly #socket: net.Socket;
  #buffered = Buffer.alloc(0);
  #waiting: { resolve: (frame: Buffer) => void; reject: (err: Error) => void; what: string } | null = null;
  #correlationId = 0;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffered = Buffer.concat([this.#buffered, chunk]);
      if (this.#buffered.length < 4) return;
      const size = this.#buffered.readInt32BE(0);
      if (this.#buffered.length < 4 + size || !this.#waiting) return;
      const frame = this.#buffered.subarray(4, 4 + size);
      this.#buffered = this.#buffered.subarray(4 + size);
      const w = this.#waiting;
      this.#waiting = null;
      w.resolve(Buffer.from(frame));
    });
    socket.on('close', () => this.#waiting?.reject(new Error(`${this.#waiting.what}: the broker closed the connection`)));
  }

  static open(host: string, port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port }, () => resolve(new RawConnection(s)));
      s.once('error', reject);
    });
  }

  /** Sends a whole request frame; `patch` may change its bytes first. */
  send(api: AnyApi, version: number, body: unknown, patch?: (frame: Buffer) => void): Promise<Buffer> {
    const frame = Buffer.concat(encodeRequest(api, version, this.#correlationId++, CLIENT_ID, body));
    patch?.(frame);
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject, what: `${api.name} v${version}` };
      this.#socket.write(frame);
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

interface Recorded {
  api: AnyApi;
  version: number;
  request: unknown;
  frame: Buffer;
  note?: string;
}

class Recorder {
  readonly recorded: Recorded[] = [];
  readonly #ranges = new Map<number, { min: number; max: number }>();
  readonly #pool = new Map<string, Promise<RawConnection>>();

  connect(host: string, port: number): Promise<RawConnection> {
    const key = `${host}:${port}`;
    let c = this.#pool.get(key);
    if (!c) this.#pool.set(key, (c = RawConnection.open(host, port)));
    return c;
  }

  learnRanges(res: { apiKeys: { apiKey: number; minVersion: number; maxVersion: number }[] }): void {
    for (const k of res.apiKeys) this.#ranges.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
  }

  /** Versions of `api` both this client and the broker speak, lowest first. */
  versions(api: AnyApi): number[] {
    const theirs = this.#ranges.get(api.key);
    if (!theirs) return [];
    const out: number[] = [];
    for (let v = Math.max(api.minVersion, theirs.min); v <= Math.min(api.maxVersion, theirs.max); v++) out.push(v);
    return out;
  }

  /** The highest version both speak at or below `v`, or null when they share none there. */
  atMost(api: AnyApi, v: number): number | null {
    const fit = this.versions(api).filter((x) => x <= v);
    return fit.length === 0 ? null : (fit[fit.length - 1] as number);
  }

  has(api: AnyApi, version: number): boolean {
    return this.recorded.some((r) => r.api === api && r.version === version);
  }

  /**
   * Sends, asking again while the answer only means "not yet" (a coordinator
   * loading or moving, the previous transaction's markers), keeps the
   * response (the first of each API and version), and returns it decoded.
   */
  async call<Req, Res>(conn: RawConnection, api: Api<Req, Res>, version: number, request: Req): Promise<Res> {
    for (let attempt = 1; ; attempt++) {
      const frame = await conn.send(api as AnyApi, version, request);
      const res = decodeResponse(api, version, frame);
      const code = firstErrorCode(res);
      if (NOT_YET.has(code) && attempt < MAX_ATTEMPTS) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (!this.has(api as AnyApi, version)) this.recorded.push({ api: api as AnyApi, version, request, frame });
      process.stderr.write(`${api.name} v${version}: ${frame.length} bytes${code ? `, error code ${code}` : ''}\n`);
      return res;
    }
  }

  async closeAll(): Promise<void> {
    for (const c of this.#pool.values()) (await c).close();
  }
}

/** COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, CONCURRENT_TRANSACTIONS. */
const NOT_YET: ReadonlySet<number> = new Set([14, 15, 16, 51]);
const MAX_ATTEMPTS = 150;

/** The first non-zero errorCode anywhere in a decoded answer, else 0. */
function firstErrorCode(v: unknown): number {
  if (Array.isArray(v)) {
    for (const item of v) {
      const code = firstErrorCode(item);
      if (code !== 0) return code;
    }
    return 0;
  }
  if (typeof v !== 'object' || v === null || Buffer.isBuffer(v)) return 0;
  const own = (v as { errorCode?: unknown }).errorCode;
  if (typeof own === 'number' && own !== 0) return own;
  return firstErrorCode(Object.values(v));
}

function bootstrap(): { host: string; port: number } {
  const first = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')[0]?.trim() ?? '';
  const m = /^(.+):(\d+)$/.exec(first);
  if (!m) throw new Error(`KAFKA_BROKERS entry "${first}" is not host:port`);
  return { host: m[1] as string, port: Number(m[2]) };
}

async function recordApiVersions(rec: Recorder, conn: RawConnection): Promise<void> {
  const body = { clientSoftwareName: CLIENT_ID, clientSoftwareVersion: '1' };
  rec.learnRanges(await rec.call(conn, ApiVersions, ApiVersions.maxVersion, body));
  for (const v of rec.versions(ApiVersions)) await rec.call(conn, ApiVersions, v, body);
  // Asked at an unknown version, the broker answers in v0 (docs/protocol.md §1). It reads the
  // request header as a flexible version's (v2), so the request is written as the newest one.
  const frame = await conn.send(ApiVersions, ApiVersions.maxVersion, body, (f) => f.writeInt16BE(UNKNOWN_API_VERSIONS_VERSION, 6));
  rec.recorded.push({ api: ApiVersions, version: 0, request: body, frame, note: `the answer to ApiVersions v${UNKNOWN_API_VERSIONS_VERSION}` });
}

async function recordTopicApis(rec: Recorder, conn: RawConnection, topic: string): Promise<void> {
  let metadata: MetadataResponse | null = null;
  for (const v of rec.versions(Metadata)) {
    metadata = await rec.call(conn, Metadata, v, { topics: [{ name: topic }], allowAutoTopicCreation: false });
  }
  const t = metadata?.topics.find((x) => x.name === topic);
  if (!metadata || !t) throw new Error(`Metadata did not describe ${topic}`);
  const leader = metadata.brokers.find((b) => b.nodeId === t.partitions.find((p) => p.partitionIndex === 0)?.leaderId);
  if (!leader) throw new Error(`no leader for ${topic}-0`);
  const leaderConn = await rec.connect(leader.host, leader.port);
  const now = Date.now();
  const batch = (p: number) =>
    buildRecordBatch([
      { key: Buffer.from(`key-${p}`), value: Buffer.from(`value ${p}`), timestamp: now },
      { key: null, value: Buffer.from('second'), headers: [{ key: 'h', value: Buffer.from('v') }], timestamp: now + 1 },
    ]);
  for (const v of rec.versions(Produce)) {
    const partitionData = [0, 1, 99].map((index) => ({ index, records: batch(index) }));
    const topicData = [v >= 13 ? { topicId: t.topicId, partitionData } : { name: topic, partitionData }];
    await rec.call(leaderConn, Produce, v, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData });
  }
  for (const v of rec.versions(InitProducerId)) await rec.call(conn, InitProducerId, v, { transactionalId: null, transactionTimeoutMs: 60_000 });
}

/** FindCoordinator at `version`, then a connection to the coordinator it names. */
async function coordinator(rec: Recorder, conn: RawConnection, version: number, key: string, keyType: number): Promise<RawConnection> {
  const res = await rec.call(conn, FindCoordinator, version, { key, keyType, coordinatorKeys: [key] });
  const c = res.coordinators?.[0] ?? { errorCode: res.errorCode ?? -1, host: res.host ?? '', port: res.port ?? -1 };
  if (c.errorCode !== 0) throw new Error(`FindCoordinator v${version} for ${key}: error code ${c.errorCode}`);
  return rec.connect(c.host, c.port);
}

/**
 * One committed transaction per version level: each API at the highest
 * version both sides speak at or below the level, so every version appears.
 */
async function recordTransactions(rec: Recorder, conn: RawConnection, topic: string, prefix: string): Promise<void> {
  const top = Math.max(...[FindCoordinator, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit, EndTxn].map((a) => a.maxVersion));
  for (let level = 0; level <= top; level++) {
    const at = (api: AnyApi) => rec.atMost(api, level);
    const [find, addPartitions, addOffsets, offsetCommit, endTxn] = [at(FindCoordinator), at(AddPartitionsToTxn), at(AddOffsetsToTxn), at(TxnOffsetCommit), at(EndTxn)];
    const newest = rec.atMost(FindCoordinator, FindCoordinator.maxVersion);
    const init = rec.atMost(InitProducerId, InitProducerId.maxVersion);
    if (newest === null || init === null) throw new Error('the broker speaks no FindCoordinator or InitProducerId version this client does');
    const transactionalId = `${prefix}-txn-${level}`;
    const groupId = `${prefix}-group-${level}`;
    const txnConn = await coordinator(rec, conn, find ?? newest, transactionalId, 1);
    const ids = await rec.call(txnConn, InitProducerId, init, { transactionalId, transactionTimeoutMs: 60_000 });
    const producer = { producerId: ids.producerId, producerEpoch: ids.producerEpoch };
    if (addPartitions !== null) {
      await rec.call(txnConn, AddPartitionsToTxn, addPartitions, {
        v3AndBelowTransactionalId: transactionalId,
        v3AndBelowProducerId: producer.producerId,
        v3AndBelowProducerEpoch: producer.producerEpoch,
        v3AndBelowTopics: [{ name: topic, partitions: [0, 1] }],
      });
    }
    if (addOffsets !== null) await rec.call(txnConn, AddOffsetsToTxn, addOffsets, { transactionalId, ...producer, groupId });
    if (offsetCommit !== null) {
      const groupConn = await coordinator(rec, conn, newest, groupId, 0);
      await rec.call(groupConn, TxnOffsetCommit, offsetCommit, {
        transactionalId,
        groupId,
        ...producer,
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }, { partitionIndex: 1, committedOffset: 2, committedMetadata: 'm' }] }],
      });
    }
    if (endTxn !== null) await rec.call(txnConn, EndTxn, endTxn, { transactionalId, ...producer, committed: true });
  }
}

/** Each on a connection of its own: a broker may close the connection after a SASL request it did not expect. */
async function recordSasl(rec: Recorder, host: string, port: number): Promise<void> {
  for (const v of rec.versions(SaslHandshake)) {
    const c = await RawConnection.open(host, port);
    await rec.call(c, SaslHandshake, v, { mechanism: 'PLAIN' }).finally(() => c.close());
  }
  for (const v of rec.versions(SaslAuthenticate)) {
    const c = await RawConnection.open(host, port);
    await rec.call(c, SaslAuthenticate, v, { authBytes: Buffer.from('\0user\0password') }).finally(() => c.close());
  }
}

async function main(): Promise<void> {
  const { host, port } = bootstrap();
  const prefix = `kpt-fixtures-${Date.now()}`;
  const topic = `${prefix}-topic`;
  const topics = new Topics(`${host}:${port}`);
  await topics.create(topic, 2);
  const rec = new Recorder();
  try {
    const conn = await rec.connect(host, port);
    await recordApiVersions(rec, conn);
    await recordTopicApis(rec, conn, topic);
    await recordTransactions(rec, conn, topic, prefix);
    await recordSasl(rec, host, port);
  } finally {
    await rec.closeAll();
    await topics.delete(topic).catch(() => undefined);
    await topics.close();
  }
  const state = readState('single');
  const out: FixtureFile = {
    about: 'Responses of a real broker, recorded by scripts/fuzz/record-responses.ts (npm run fuzz:record); frame is the response without its size prefix.',
    kafkaVersion: process.env.KAFKA_BROKERS ? 'unknown (KAFKA_BROKERS)' : (state?.version ?? 'unknown'),
    responses: rec.recorded
      .sort((a, b) => a.api.key - b.api.key || a.version - b.version || (a.note ? 1 : 0) - (b.note ? 1 : 0))
      .map((r) => ({ api: r.api.name, version: r.version, request: r.request, frame: r.frame.toString('hex'), ...(r.note ? { note: r.note } : {}) })),
  };
  const file = fixturesPath();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(out, bufferAsHex, 1)}\n`);
  process.stderr.write(`${out.responses.length} responses written to ${file}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
