// Local TCP servers that misbehave the way brokers and networks do, for tests
// of what reaches the user: one that accepts and never answers, one that
// closes after the first request, a one-node "broker" that answers
// ApiVersions and Metadata (naming itself leader of every partition of the
// topics it serves) but never answers, or closes on, Produce, and one that
// writes Produce requests to logs with the broker's idempotence checks and
// can answer one of them with hostile bytes. Like a real broker they answer
// in request order: after a request it holds, it answers nothing more on
// that connection.

import net from 'node:net';
import { decodeRequestBody, isFlexible, type Api } from '../../src/protocol/api.js';
import { ApiVersions } from '../../src/protocol/apis/api-versions.js';
import { InitProducerId } from '../../src/protocol/apis/init-producer-id.js';
import { Metadata } from '../../src/protocol/apis/metadata.js';
import { Produce } from '../../src/protocol/apis/produce.js';
import { decodeRecordBatches } from '../../src/protocol/record-batch.js';
import { Reader } from '../../src/protocol/reader.js';
import { encodeStruct } from '../../src/protocol/schema.js';
import { Writer } from '../../src/protocol/writer.js';
import { FakePartition } from './fake-cluster.js';

export interface TestServer {
  port: number;
  close(): Promise<void>;
}

/** What the fake does with a Produce request. */
export type ProduceBehaviour = 'hang' | 'close';

export async function serve(onSocket: (s: net.Socket, port: number) => void): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  let port = 0;
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onSocket(s, port);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A port on 127.0.0.1 where nothing listens (connections are refused). */
export async function unusedPort(): Promise<number> {
  const s = await serve(() => {});
  await s.close();
  return s.port;
}

/** Accepts connections and never answers. */
export function silentServer(): Promise<TestServer> {
  return serve(() => {});
}

/** Reads the first request, then closes the connection cleanly. */
export function closingServer(): Promise<TestServer> {
  return serve((s) => s.once('data', () => s.end()));
}

export function responseFrame(api: Api<unknown, unknown>, version: number, correlationId: number, body: object): Buffer {
  const flexible = version >= api.flexibleFrom;
  const w = new Writer(256);
  w.int32(0).int32(correlationId);
  // ApiVersions answers with response header v0 even when flexible.
  if (flexible && api.key !== ApiVersions.key) w.emptyTaggedFields();
  encodeStruct(w, api.response, body as Record<string, unknown>, version, flexible);
  const frame = w.toBuffer();
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

/** One request as a fake broker reads it: the header's fields and the bytes after the header. */
export interface FakeRequest {
  apiKey: number;
  version: number;
  correlationId: number;
  /** The request body (after the request header). */
  body: Buffer;
}

type AnyApi = Api<unknown, unknown>;
/** What the fakes speak: fakeBroker all but InitProducerId, writingBroker all. */
const SERVED: readonly AnyApi[] = [ApiVersions, Metadata, Produce, InitProducerId] as AnyApi[];
const WITHOUT_PRODUCER_IDS = SERVED.filter((a) => a !== (InitProducerId as AnyApi));

/** Calls `handle` with each request as its last byte arrives, until it returns false (a request it holds). */
export function onRequests(socket: net.Socket, handle: (req: FakeRequest) => boolean): void {
  let buffered = Buffer.alloc(0);
  let reading = true;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (reading && buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      const r = new Reader(buffered, 4, 4 + buffered.readInt32BE(0));
      const apiKey = r.int16();
      const version = r.int16();
      const correlationId = r.int32();
      r.nullableString(); // client id
      const api = SERVED.find((a) => a.key === apiKey);
      if (api && isFlexible(api, version)) r.taggedFields();
      buffered = buffered.subarray(r.end);
      reading = handle({ apiKey, version, correlationId, body: r.buf.subarray(r.pos, r.end) });
    }
  });
}

/** Another broker a fake's Metadata names (leader of nothing). */
interface Peer {
  nodeId: number;
  port: number;
}

/** ApiVersions (offering `apis`) and Metadata answers of a cluster whose node 1, itself, leads partition 0 of each topic. */
function answerCluster(
  socket: net.Socket,
  port: number,
  req: FakeRequest,
  apis: readonly AnyApi[],
  topics: readonly string[],
  topicErrors: Readonly<Record<string, number>> = {},
  peers: readonly Peer[] = [],
): boolean {
  if (req.apiKey === ApiVersions.key) {
    const apiKeys = apis.map((a) => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion }));
    socket.write(responseFrame(ApiVersions, req.version, req.correlationId, { errorCode: 0, apiKeys, throttleTimeMs: 0 }));
    return true;
  }
  if (req.apiKey === Metadata.key) {
    const partitions = [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }];
    socket.write(
      responseFrame(Metadata, req.version, req.correlationId, {
        brokers: [{ nodeId: 1, port }, ...peers].map((b) => ({ ...b, host: '127.0.0.1', rack: null })),
        clusterId: 'fake',
        controllerId: 1,
        topics: [
          ...topics.map((name) => ({ errorCode: 0, name, partitions })),
          ...Object.entries(topicErrors).map(([name, errorCode]) => ({ errorCode, name, partitions: [] })),
        ],
      }),
    );
    return true;
  }
  return false;
}

/**
 * A one-node cluster (node 1, itself) serving `topics` with one partition
 * each; a topic in `topicErrors` is answered with that error code instead.
 * `peers`: more brokers its Metadata lists (leaders of nothing).
 */
export function fakeBroker(
  topics: readonly string[],
  produce: ProduceBehaviour,
  topicErrors: Readonly<Record<string, number>> = {},
  peers: readonly Peer[] = [],
): Promise<TestServer> {
  return serve((socket, port) =>
    onRequests(socket, (req) => {
      if (answerCluster(socket, port, req, WITHOUT_PRODUCER_IDS, topics, topicErrors, peers)) return true;
      if (produce === 'close') socket.end();
      return false;
    }),
  );
}

export interface WritingBroker extends TestServer {
  /** Partition 0 of each topic, by topic name. */
  readonly logs: ReadonlyMap<string, FakePartition>;
  /** The base sequence of every batch of every Produce request, in arrival order: a retry shows up twice. */
  readonly sequences: number[];
}

/**
 * A one-node cluster that writes Produce requests to its logs (with the
 * broker's duplicate and sequence checks) and answers them, and gives
 * InitProducerId; `hostile(n, answer)` may return other bytes to send for
 * the nth Produce answer (from 0), the whole frame with its size prefix. The
 * records of that request are written all the same, and the connection
 * stays open unless the client closes it.
 */
export function writingBroker(
  topics: readonly string[],
  hostile: (n: number, answer: Buffer) => Buffer | null,
  /** A Metadata answer's body to send instead of the nth (from 0); null: the usual one. */
  hostileMetadata: (n: number, port: number) => object | null = () => null,
): Promise<WritingBroker> {
  const logs = new Map(topics.map((t) => [t, new FakePartition()]));
  const sequences: number[] = [];
  let produced = 0;
  let described = 0;
  return serve((socket, port) =>
    onRequests(socket, (req) => {
      const instead = req.apiKey === Metadata.key ? hostileMetadata(described++, port) : null;
      if (instead) {
        socket.write(responseFrame(Metadata, req.version, req.correlationId, instead));
        return true;
      }
      if (answerCluster(socket, port, req, SERVED, topics)) return true;
      if (req.apiKey === InitProducerId.key) {
        socket.write(responseFrame(InitProducerId, req.version, req.correlationId, { throttleTimeMs: 0, errorCode: 0, producerId: 1000, producerEpoch: 0 }));
        return true;
      }
      const request = decodeRequestBody(Produce, req.version, req.body);
      const responses = request.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map((p) => {
          const records = Buffer.from(p.records ?? []);
          for (const b of decodeRecordBatches(records)) sequences.push(b.baseSequence);
          const log = t.name === undefined ? undefined : logs.get(t.name);
          const { errorCode, baseOffset } = log && p.index === 0 ? log.append(records) : { errorCode: 3, baseOffset: -1 };
          return { index: p.index, errorCode, baseOffset, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null };
        }),
      }));
      const answer = responseFrame(Produce, req.version, req.correlationId, { responses, throttleTimeMs: 0, nodeEndpoints: [] });
      socket.write(hostile(produced++, answer) ?? answer);
      return true;
    }),
  ).then((server) => ({ ...server, logs, sequences }));
}
