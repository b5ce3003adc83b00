// Sending is zero-copy: a Produce request holds its batches' bytes, in the
// slots the accumulator reuses, by reference until the socket has written
// them (issue 21, finding 10). A slot is freed only once no write holds it:
// the write finished, or its connection was destroyed; and a write with no
// response (acks=0) gets a deadline, requestTimeoutMs, after which its
// connection is destroyed.

import { describe, expect, it } from 'vitest';
import type { ProducerOptions } from '../../src/config.js';
import { KafkaTimeoutError } from '../../src/errors.js';
import { Connection, type ResponseCallback } from '../../src/network/connection.js';
import { RequestTimeoutError } from '../../src/network/errors.js';
import { encodeRequest, type Api } from '../../src/protocol/api.js';
import { ApiVersions } from '../../src/protocol/apis/api-versions.js';
import { Produce } from '../../src/protocol/apis/produce.js';
import { KafkaProducer } from '../../src/producer.js';
import { SENDER_DEPS } from '../../src/sender/host.js';
import type { SenderConnection, Transport } from '../../src/sender/transport.js';
import { onRequests, responseFrame, serve } from '../support/fake-broker.js';
import { FakeCluster } from '../support/fake-cluster.js';

/** A Produce request a stalled socket holds: its frame's buffers by reference, as a socket's write queue does. */
interface Held {
  frame: Buffer[];
  /** The frame's bytes when it was handed to the socket. */
  sent: Buffer;
  /** Hands the request to the fake broker (the bytes it then reads are the frame's as they are by then). */
  forward: () => void;
}

/**
 * A fake broker's connection whose socket stops writing while `holding`:
 * Produce requests stay in its write queue by reference, unwritten and
 * unanswered, with no deadline of its own (the Sender's rule must not lean
 * on one), until drain() writes them.
 */
class StalledSocket implements SenderConnection {
  readonly #inner: SenderConnection;
  readonly #held: Held[] = [];
  holding = false;

  constructor(inner: SenderConnection) {
    this.#inner = inner;
  }

  get broker(): string {
    return this.#inner.broker;
  }
  get host(): string {
    return this.#inner.host;
  }
  get port(): number {
    return this.#inner.port;
  }
  get closed(): boolean {
    return this.#inner.closed;
  }
  get inFlight(): number {
    return this.#inner.inFlight + this.#held.length;
  }
  /** Full once it holds a request: the Sender writes no more until it drains. */
  get writableNeedDrain(): boolean {
    return this.#held.length > 0 || this.#inner.writableNeedDrain;
  }
  get finalizedFeatures(): ReadonlyMap<string, number> {
    return this.#inner.finalizedFeatures;
  }
  versionFor(api: Api<unknown, unknown>): number {
    return this.#inner.versionFor(api);
  }
  request<Req, Res>(api: Api<Req, Res>, body: Req, opts?: { version?: number; timeoutMs?: number }): Promise<Res> {
    return this.#inner.request(api, body, opts);
  }
  requestWithCallback<Req, Res>(api: Api<Req, Res>, body: Req, callback: ResponseCallback<Res>, opts?: { version?: number; timeoutMs?: number }): void {
    if (!this.holding || api.name !== Produce.name) return this.#inner.requestWithCallback(api, body, callback, opts);
    this.#hold(api, body, opts?.version ?? api.maxVersion, () => this.#inner.requestWithCallback(api, body, callback, opts));
  }
  sendWithoutResponse<Req>(api: Api<Req, unknown>, body: Req, callback: (err: Error | null) => void, version?: number): void {
    if (!this.holding) return this.#inner.sendWithoutResponse(api, body, callback, version);
    this.#hold(api, body, version ?? api.maxVersion, () => this.#inner.sendWithoutResponse(api, body, callback, version));
  }
  once(event: 'close', listener: () => void): unknown {
    return this.#inner.once(event, listener);
  }

  #hold<Req>(api: Api<Req, unknown>, body: Req, version: number, forward: () => void): void {
    const frame = encodeRequest(api, version, 0, null, body);
    this.#held.push({ frame, sent: Buffer.concat(frame), forward });
  }

  /** The socket drains: each held request is written as its buffers are now. Returns [bytes when handed over, bytes written]. */
  drain(): [Buffer, Buffer][] {
    this.holding = false;
    return this.#held.splice(0).map((h) => {
      const written = Buffer.concat(h.frame);
      h.forward();
      return [h.sent, written];
    });
  }
}

/** The fake cluster, with node 1's connections able to stall (those opened while `stall.on` stall from the start). */
function stallingTransport(cluster: FakeCluster): { transport: Transport; node1: StalledSocket[]; stall: { on: boolean } } {
  const node1: StalledSocket[] = [];
  const stall = { on: false };
  const transport: Transport = {
    metadata: cluster.metadata,
    connectionTo: async (nodeId) => {
      const conn = await cluster.connectionTo(nodeId);
      if (nodeId !== 1) return conn;
      const stalled = new StalledSocket(conn);
      stalled.holding = stall.on;
      node1.push(stalled);
      return stalled;
    },
    anyConnection: () => cluster.anyConnection(),
    refreshMetadata: (topics) => cluster.refreshMetadata(topics),
    close: () => cluster.close(),
  };
  return { transport, node1, stall };
}

describe.each([
  ['acks=all', -1, false],
  ['acks=0', 0, false],
  ['acks=all, the Sender behind a MessagePort', -1, true],
  ['acks=0, the Sender behind a MessagePort', 0, true],
] as const)('a batch that expires while a stalled socket holds its bytes (%s)', (_name, acks, messagePort) => {
  it("keeps its slot until the socket lets go: the stalled request writes the batch's own bytes, never the next batch's", async () => {
    // Partition 0 is led by node 1, whose socket stalls; partition 1 by node 2, which answers.
    const cluster = new FakeCluster([{ name: 't', partitions: 2, leaders: [1, 2] }]);
    const { transport, node1, stall } = stallingTransport(cluster);
    const producer = new KafkaProducer({
      bootstrapServers: '127.0.0.1:9001',
      worker: false,
      lingerMs: 0,
      acks,
      enableIdempotence: acks !== 0,
      bufferMemory: 64 * 1024,
      batchSize: 16 * 1024,
      requestTimeoutMs: 1000,
      deliveryTimeoutMs: 5000,
      [SENDER_DEPS]: {
        transport: (config: { requestTimeoutMs: number }) => {
          cluster.requestTimeoutMs = config.requestTimeoutMs;
          return transport;
        },
        clock: cluster.clock,
        messagePort,
      },
    } as ProducerOptions);
    try {
      await producer.partitionsFor('t');
      const outcome = (value: string, partition: number) => {
        const o: { err: Error | null; settles: number } = { err: null, settles: 0 };
        producer.send({ topic: 't', partition, value }, (err) => {
          o.err = err;
          o.settles++;
        });
        return o;
      };
      stall.on = true;
      for (const s of node1) s.holding = true;
      // Batches of 4 KiB and more go into the frame by reference (Writer's BY_REFERENCE_MIN); smaller ones are copied.
      const a = outcome('a'.repeat(5000), 0);
      await cluster.clock.settle();
      // The request holding a is in the stalled socket until a expires.
      await cluster.clock.advance(5100, 50);
      expect(a.settles).toBe(1);
      expect(a.err).toBeInstanceOf(KafkaTimeoutError);
      // b, for partition 1, is written in a slot and sent (sealed in place) to node 2.
      const b = outcome('b'.repeat(5000), 1);
      for (let i = 0; i < 50 && b.settles === 0; i++) await cluster.clock.advance(10);
      expect(b).toEqual({ err: null, settles: 1 });
      stall.on = false;
      const writes = node1.flatMap((s) => s.drain());
      expect(writes.length).toBeGreaterThan(0);
      for (const [sent, written] of writes) expect(written.equals(sent), 'the stalled request wrote other bytes than it was given').toBe(true);
      await cluster.clock.advance(100);
      expect(cluster.partition('t', 0).values.filter((v) => !v.startsWith('a')), "partition 0 got another partition's records").toEqual([]);
      expect(cluster.partition('t', 1).values).toEqual(['b'.repeat(5000)]);
      // Once written, the slot is free again: the next records go as ever.
      const c = outcome('c'.repeat(5000), 0);
      for (let i = 0; i < 50 && c.settles === 0; i++) await cluster.clock.advance(10);
      expect(c).toEqual({ err: null, settles: 1 });
    } finally {
      await producer.close({ timeoutMs: 0 });
    }
  });
});

describe('an acks=0 write to a broker that stopped reading (a real socket)', () => {
  it('fails with RequestTimeoutError after requestTimeoutMs and closes the connection, instead of waiting for ever', async () => {
    // Answers ApiVersions, then reads nothing more: the kernel's buffers fill and the socket's writes stop.
    const server = await serve((socket) =>
      onRequests(socket, (req) => {
        if (req.apiKey !== ApiVersions.key) return false;
        const apiKeys = [ApiVersions, Produce].map((a) => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion }));
        socket.write(responseFrame(ApiVersions, req.version, req.correlationId, { errorCode: 0, apiKeys, throttleTimeMs: 0 }));
        socket.pause();
        return false;
      }),
    );
    const conn = await Connection.connect({ host: '127.0.0.1', port: server.port, requestTimeoutMs: 300 });
    try {
      const records = Buffer.alloc(1024 * 1024, 7);
      const body = { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] };
      const outcomes: (Error | null)[] = [];
      const closed = new Promise<void>((resolve) => conn.once('close', () => resolve()));
      // Far more than loopback's buffers hold: the last writes cannot finish while nobody reads.
      for (let i = 0; i < 64; i++) conn.sendWithoutResponse(Produce, body, (err) => outcomes.push(err), 12);
      const settled = await Promise.race([closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still waiting after 5 s'), 5000))]);
      expect(settled).toBe('closed');
      expect(outcomes).toHaveLength(64);
      const failed = outcomes.filter((e) => e !== null);
      expect(failed.length).toBeGreaterThan(0);
      expect(failed[0]).toBeInstanceOf(RequestTimeoutError);
      expect(failed[0]?.message).toMatch(/Produce v\d+ without a response \(not written: the broker stopped reading\)/);
      expect(conn.closed).toBe(true);
    } finally {
      conn.close();
      await server.close();
    }
  });
});
