// Cluster-wide requests (Metadata, InitProducerId) go on the least loaded
// connection, as Java's leastLoadedNode: never behind Produce requests that a
// failing leader holds, while another known broker can answer. Two local
// fake brokers (test/support/fake-broker.ts): the leader holds every Produce
// request, as a broker that stopped answering does. And the further
// connections to a broker that Produce may use (lanes).

import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/network/cluster.js';
import { Produce } from '../../src/protocol/apis/produce.js';
import { fakeBroker, type TestServer } from '../support/fake-broker.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

describe('Cluster.anyConnection', () => {
  it('does not pick a leader connection with a request held: it opens one to another known broker', async () => {
    const other: TestServer = await fakeBroker([], 'hang');
    const leader: TestServer = await fakeBroker(['t'], 'hang', {}, [{ nodeId: 2, port: other.port }]);
    open.push(other, leader);
    const cluster = new Cluster({ bootstrapServers: `127.0.0.1:${leader.port}`, requestTimeoutMs: 30_000 });
    open.push(cluster);
    await cluster.refreshMetadata(['t']);
    const toLeader = await cluster.connectionTo(1);
    toLeader.requestWithCallback(Produce, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [] }, () => {});
    expect(toLeader.inFlight).toBe(1);

    const any = await cluster.anyConnection();
    expect(any).not.toBe(toLeader);
    expect(any.port).toBe(other.port);
    // Once both are open, the idle one is the least loaded.
    expect(await cluster.anyConnection()).toBe(any);
  });

  it('uses the busy connection when no other broker can be reached', async () => {
    const leader: TestServer = await fakeBroker(['t'], 'hang', {}, [{ nodeId: 2, port: 1 }]);
    open.push(leader);
    const cluster = new Cluster({ bootstrapServers: `127.0.0.1:${leader.port}`, requestTimeoutMs: 30_000 });
    open.push(cluster);
    await cluster.refreshMetadata(['t']);
    const toLeader = await cluster.connectionTo(1);
    toLeader.requestWithCallback(Produce, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [] }, () => {});
    expect(await cluster.anyConnection()).toBe(toLeader);
  });
});

describe('Cluster.connectionTo lanes', () => {
  it('gives each lane a connection of its own to the broker, the same one while it stays open, and closes them all', async () => {
    const leader: TestServer = await fakeBroker(['t'], 'hang');
    open.push(leader);
    const cluster = new Cluster({ bootstrapServers: `127.0.0.1:${leader.port}`, requestTimeoutMs: 30_000 });
    open.push(cluster);
    await cluster.refreshMetadata(['t']);
    const lane0 = await cluster.connectionTo(1);
    const lane1 = await cluster.connectionTo(1, 1);
    expect(lane1).not.toBe(lane0);
    expect(lane1.port).toBe(lane0.port);
    expect(await cluster.connectionTo(1, 0)).toBe(lane0);
    expect(await cluster.connectionTo(1, 1)).toBe(lane1);
    // A request held on lane 1 leaves lane 0 the least loaded one for cluster-wide requests.
    lane1.requestWithCallback(Produce, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [] }, () => {});
    expect(await cluster.anyConnection()).toBe(lane0);
    await cluster.close();
    expect([lane0.closed, lane1.closed]).toEqual([true, true]);
  });
});
