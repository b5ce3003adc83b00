// Local TCP servers that misbehave the way brokers and networks do, for tests
// of what reaches the user: one that accepts and never answers, one that
// closes after the first request, and a one-node "broker" that answers
// ApiVersions and Metadata (naming itself leader of every partition of the
// topics it serves) but never answers, or closes on, Produce. Like a real
// broker it answers in request order: after a request it holds, it answers
// nothing more on that connection.

import net from 'node:net';
import { type Api } from '../../src/protocol/api.js';
import { ApiVersions } from '../../src/protocol/apis/api-versions.js';
import { Metadata } from '../../src/protocol/apis/metadata.js';
import { Produce } from '../../src/protocol/apis/produce.js';
import { encodeStruct } from '../../src/protocol/schema.js';
import { Writer } from '../../src/protocol/writer.js';

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

/**
 * A one-node cluster (node 1, itself) serving `topics` with one partition
 * each; a topic in `topicErrors` is answered with that error code instead.
 * `peers`: more brokers its Metadata lists (leaders of nothing).
 */
export function fakeBroker(
  topics: readonly string[],
  produce: ProduceBehaviour,
  topicErrors: Readonly<Record<string, number>> = {},
  peers: readonly { nodeId: number; port: number }[] = [],
): Promise<TestServer> {
  return serve((socket, port) => {
    let buffered = Buffer.alloc(0);
    let holding = false;
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (!holding && buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const size = buffered.readInt32BE(0);
        const apiKey = buffered.readInt16BE(4);
        const version = buffered.readInt16BE(6);
        const correlationId = buffered.readInt32BE(8);
        buffered = buffered.subarray(4 + size);
        if (apiKey === ApiVersions.key) {
          const apiKeys = [ApiVersions, Metadata, Produce].map((a) => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion }));
          socket.write(responseFrame(ApiVersions, version, correlationId, { errorCode: 0, apiKeys, throttleTimeMs: 0 }));
        } else if (apiKey === Metadata.key) {
          const partitions = [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] }];
          socket.write(
            responseFrame(Metadata, version, correlationId, {
              brokers: [{ nodeId: 1, port }, ...peers].map((b) => ({ ...b, host: '127.0.0.1', rack: null })),
              clusterId: 'fake',
              controllerId: 1,
              topics: [
                ...topics.map((name) => ({ errorCode: 0, name, partitions })),
                ...Object.entries(topicErrors).map(([name, errorCode]) => ({ errorCode, name, partitions: [] })),
              ],
            }),
          );
        } else {
          holding = true;
          if (produce === 'close') socket.end();
        }
      }
    });
  });
}
