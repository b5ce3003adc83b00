// Connections against the real broker: ApiVersions negotiation, Metadata,
// pipelining, and the typed errors for refused, timed out and closed
// connections (the stalled broker is a local TCP server of ours that accepts
// and never answers).

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Cluster, parseBootstrapServers, BootstrapError } from '../../src/network/cluster.js';
import { Connection } from '../../src/network/connection.js';
import { ConnectionClosedError, ConnectionRefusedError, RequestTimeoutError } from '../../src/network/errors.js';
import { Metadata } from '../../src/protocol/apis/metadata.js';
import { Produce } from '../../src/protocol/apis/produce.js';
import { ApiVersions } from '../../src/protocol/apis/api-versions.js';
import { createTopic, uniqueTopic } from '../support/kafka-tools.js';

const env = inject('kafka');
const [first] = parseBootstrapServers(env.bootstrap);
const broker = first as { host: string; port: number };

describe('ApiVersions and Metadata', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await Connection.connect({ ...broker, clientId: 'connection-test' });
  });
  afterAll(async () => {
    await conn.close();
  });

  it('negotiates the highest version both sides support', () => {
    const produce = conn.apiVersions.get(Produce.key);
    expect(produce).toBeDefined();
    expect(conn.versionFor(Produce)).toBe(Math.min(produce?.max ?? -1, Produce.maxVersion));
    // Kafka 4.x advertises Produce from 0, but v3 is the floor we speak.
    expect(conn.versionFor(Produce)).toBeGreaterThanOrEqual(9);
    expect(conn.versionFor(ApiVersions)).toBe(Math.min(conn.apiVersions.get(18)?.max ?? -1, 4));
    expect(conn.versionFor(Metadata)).toBeGreaterThanOrEqual(12);
  });

  it('reads brokers, topics, partitions, leaders, leader epochs and topic ids', async () => {
    const topic = uniqueTopic('meta');
    await createTopic(env.bootstrap, topic, 3);
    const res = await conn.request(Metadata, { topics: [{ name: topic }], allowAutoTopicCreation: false });
    expect(res.brokers.length).toBeGreaterThanOrEqual(1);
    expect(res.brokers[0]?.host).toBe('127.0.0.1');
    expect(res.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const t = res.topics[0];
    expect(t?.name).toBe(topic);
    expect(t?.errorCode).toBe(0);
    expect(t?.topicId.length).toBe(16);
    expect(t?.topicId.equals(Buffer.alloc(16))).toBe(false);
    expect(t?.partitions.map((p) => p.partitionIndex).sort()).toEqual([0, 1, 2]);
    for (const p of t?.partitions ?? []) {
      expect(res.brokers.map((b) => b.nodeId)).toContain(p.leaderId);
      expect(p.leaderEpoch).toBeGreaterThanOrEqual(0);
    }
  });

  it('pipelines many requests on one connection and matches every response', async () => {
    const all = await Promise.all(Array.from({ length: 50 }, () => conn.request(Metadata, { topics: [], allowAutoTopicCreation: false })));
    expect(all).toHaveLength(50);
    for (const r of all) expect(r.brokers.length).toBeGreaterThanOrEqual(1);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for a missing topic with auto-creation off', async () => {
    const res = await conn.request(Metadata, { topics: [{ name: uniqueTopic('missing') }], allowAutoTopicCreation: false });
    expect(res.topics[0]?.errorCode).toBe(3);
  });

  it('fills the metadata cache through the Cluster', async () => {
    const topic = uniqueTopic('cache');
    await createTopic(env.bootstrap, topic, 2);
    const cluster = new Cluster({ bootstrapServers: env.bootstrap });
    try {
      const md = await cluster.refreshMetadata([topic], false);
      const info = md.topic(topic);
      expect(info?.partitions).toHaveLength(2);
      const leader = md.leaderFor(topic, 1);
      expect(leader?.host).toBe('127.0.0.1');
      const leaderConn = await cluster.connectionTo(leader?.nodeId ?? -1);
      expect(leaderConn.nodeId).toBe(leader?.nodeId);
      expect(await cluster.connectionTo(leader?.nodeId ?? -1)).toBe(leaderConn);
    } finally {
      await cluster.close();
    }
  });
});

describe('typed connection errors', () => {
  it('refused: names the broker', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const err = await Connection.connect({ host: '127.0.0.1', port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionRefusedError);
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
  });

  it('a broker that never answers: the request times out and the connection closes', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const err = await Connection.connect({ host: '127.0.0.1', port, requestTimeoutMs: 300 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RequestTimeoutError);
      expect((err as Error).message).toMatch(/ApiVersions v4 .* no response within 300 ms/);
      expect((err as RequestTimeoutError).broker).toBe(`127.0.0.1:${port}`);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('closed: pending and later requests fail with ConnectionClosedError', async () => {
    const conn = await Connection.connect({ ...broker });
    const pending = expect(conn.request(Metadata, { topics: [], allowAutoTopicCreation: false })).rejects.toBeInstanceOf(ConnectionClosedError);
    await conn.close();
    await pending;
    await expect(conn.request(Metadata, { topics: null })).rejects.toThrow(/closed by the client/);
  });

  it('bootstrap names every server that failed', async () => {
    const cluster = new Cluster({ bootstrapServers: '127.0.0.1:1,127.0.0.1:2', connectTimeoutMs: 500 });
    const err = await cluster.refreshMetadata(null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BootstrapError);
    expect((err as Error).message).toMatch(/127\.0\.0\.1:1.*127\.0\.0\.1:2|127\.0\.0\.1:2.*127\.0\.0\.1:1/);
    await cluster.close();
  });

  it('a malformed bootstrap list is a clear error', () => {
    expect(() => parseBootstrapServers('localhost')).toThrow(/"localhost" is not "host:port"/);
    expect(parseBootstrapServers('[::1]:9092, 127.0.0.1:9093')).toEqual([
      { host: '::1', port: 9092 },
      { host: '127.0.0.1', port: 9093 },
    ]);
  });
});
