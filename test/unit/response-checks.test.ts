// Each check of src/network/response-checks.ts on its own: a sane answer
// passes, and each value that cannot be right is refused with a
// MalformedResponseError naming the API, the field and the broker. Then the
// producer on the fake cluster with hostile Produce and InitProducerId
// answers, and the transaction coordinator lookup with a hostile
// FindCoordinator answer: retried, then failed with a typed error, never a
// crash or a hang.

import { afterEach, describe, expect, it } from 'vitest';
import { KafkaTimeoutError, MalformedResponseError } from '../../src/errors.js';
import {
  apiVersionsProblem,
  coordinatorProblem,
  initProducerIdProblem,
  metadataProblem,
  produceProblem,
} from '../../src/network/response-checks.js';
import type { ApiVersionsResponse } from '../../src/protocol/apis/api-versions.js';
import type { InitProducerIdResponse } from '../../src/protocol/apis/init-producer-id.js';
import type { MetadataResponse } from '../../src/protocol/apis/metadata.js';
import type { ProducePartitionResponse, ProduceResponse } from '../../src/protocol/apis/produce.js';
import type { KafkaProducer } from '../../src/producer.js';
import { Coordinators } from '../../src/sender/coordinator.js';
import type { SenderConnection, Transport } from '../../src/sender/transport.js';
import { Connection } from '../../src/network/connection.js';
import { ApiVersions } from '../../src/protocol/apis/api-versions.js';
import { onRequests, responseFrame, serve } from '../support/fake-broker.js';
import { FakeCluster, ManualClock } from '../support/fake-cluster.js';
import { producerOver, type FakeHost } from '../support/fake-producer.js';

const BROKER = '127.0.0.1:9001 (node 1)';

function metadata(): MetadataResponse {
  return new FakeCluster([
    { name: 'a', partitions: 3, leaders: [1, 2, 3] },
    { name: 'b', partitions: 1 },
  ]).metadataResponse(['a', 'b']);
}

function partition(index: number, over: Partial<ProducePartitionResponse> = {}): ProducePartitionResponse {
  return { index, errorCode: 0, baseOffset: 10, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null, ...over };
}

function produce(): ProduceResponse {
  return { responses: [{ name: 'a', partitionResponses: [partition(0), partition(2)] }], throttleTimeMs: 0, nodeEndpoints: [] };
}
const ASKED = new Map([['a', new Map([[0, 0], [2, 0]])]]);

/** The refusal, checked for what every refusal names. */
function refused(err: MalformedResponseError | null, api: string, field: RegExp): MalformedResponseError {
  expect(err).toBeInstanceOf(MalformedResponseError);
  const e = err as MalformedResponseError;
  expect(e.api).toBe(api);
  expect(e.field).toMatch(field);
  expect(e.broker).toBe(BROKER);
  expect(e.code).toBe('KPT_ERR_PROTOCOL');
  expect(e.message).toContain(BROKER);
  expect(e.message).toContain(e.field as string);
  return e;
}

describe('Metadata', () => {
  it('a sane answer passes', () => {
    expect(metadataProblem(metadata(), BROKER)).toBeNull();
  });

  const CASES: [string, (r: MetadataResponse) => void, RegExp][] = [
    ['a hole at partition 0', (r) => r.topics[0]?.partitions.shift(), /^topics\[a\]\.partitions\[\d\]\.partitionIndex$/],
    ['an index past the count', (r) => ((r.topics[0]?.partitions[2] as { partitionIndex: number }).partitionIndex = 2 ** 31 - 2), /^topics\[a\]\.partitions\[2\]\.partitionIndex$/],
    ['a negative index', (r) => ((r.topics[0]?.partitions[0] as { partitionIndex: number }).partitionIndex = -1), /partitions\[0\]\.partitionIndex$/],
    ['a partition listed twice', (r) => ((r.topics[0]?.partitions[2] as { partitionIndex: number }).partitionIndex = 1), /partitions\[2\]\.partitionIndex$/],
    ['a topic listed twice', (r) => r.topics.push(structuredClone(r.topics[1] as MetadataResponse['topics'][number])), /^topics\[b\]\.name$/],
    ['a leader that is no listed broker', (r) => ((r.topics[0]?.partitions[1] as { leaderId: number }).leaderId = 7), /partitions\[1\]\.leaderId$/],
    ['a leader of -2', (r) => ((r.topics[0]?.partitions[1] as { leaderId: number }).leaderId = -2), /partitions\[1\]\.leaderId$/],
    ['a leader epoch of -2', (r) => ((r.topics[1]?.partitions[0] as { leaderEpoch: number }).leaderEpoch = -2), /^topics\[b\]\.partitions\[0\]\.leaderEpoch$/],
    ['a negative replica', (r) => (r.topics[0]?.partitions[0] as { replicaNodes: number[] }).replicaNodes.push(-1), /replicaNodes$/],
    ['an ISR naming a node twice', (r) => (r.topics[0]?.partitions[0] as { isrNodes: number[] }).isrNodes.push(1), /isrNodes$/],
    ['a long replica list naming a node twice', (r) => ((r.topics[0]?.partitions[0] as { replicaNodes: number[] }).replicaNodes = [...Array.from({ length: 40 }, (_, i) => i), 39]), /replicaNodes$/],
    ['a broker id of -1', (r) => (r.brokers = [...r.brokers, { nodeId: -1, host: 'h', port: 1, rack: null }]), /^brokers\[3\]\.nodeId$/],
    ['a broker listed twice', (r) => (r.brokers = [...r.brokers, { nodeId: 2, host: 'h', port: 1, rack: null }]), /^brokers\[3\]\.nodeId$/],
    ['an empty host', (r) => (r.brokers = [{ ...(r.brokers[0] as MetadataResponse['brokers'][number]), host: '' }, ...r.brokers.slice(1)]), /^brokers\[0\]\.host$/],
    ['a host with a space', (r) => (r.brokers = [{ ...(r.brokers[0] as MetadataResponse['brokers'][number]), host: 'a b' }, ...r.brokers.slice(1)]), /^brokers\[0\]\.host$/],
    ['port 0', (r) => (r.brokers = [{ ...(r.brokers[0] as MetadataResponse['brokers'][number]), port: 0 }, ...r.brokers.slice(1)]), /^brokers\[0\]\.port$/],
    ['port 70000', (r) => (r.brokers = [{ ...(r.brokers[0] as MetadataResponse['brokers'][number]), port: 70000 }, ...r.brokers.slice(1)]), /^brokers\[0\]\.port$/],
    ['a controller id of -5', (r) => (r.controllerId = -5), /^controllerId$/],
  ];
  it.each(CASES)('%s is refused, naming the field', (_what, mutate, field) => {
    const res = metadata();
    mutate(res);
    refused(metadataProblem(res, BROKER), 'Metadata', field);
  });

  it('the metadata cache refuses such an answer whole: what it knew stays as it was', () => {
    const cluster = new FakeCluster([{ name: 'a', partitions: 3, leaders: [1, 2, 3] }]);
    const cache = cluster.metadata;
    cache.update(cluster.metadataResponse(['a']));
    const before = structuredClone({ brokers: [...cache.brokers], a: cache.topic('a') });
    const res = cluster.metadataResponse(['a']);
    (res.topics[0]?.partitions[0] as { leaderId: number }).leaderId = 2;
    res.brokers = [...res.brokers, { nodeId: 9, host: 'h', port: 0, rack: null }];
    expect(() => cache.update(res, Date.now(), BROKER)).toThrow(MalformedResponseError);
    expect(structuredClone({ brokers: [...cache.brokers], a: cache.topic('a') })).toEqual(before);
  });

  it('a leader of -1 (LEADER_NOT_AVAILABLE), an epoch of -1 and a topic error with no partitions pass', () => {
    const res = metadata();
    Object.assign(res.topics[0]?.partitions[0] as object, { leaderId: -1, leaderEpoch: -1, errorCode: 5 });
    Object.assign(res.topics[1] as object, { errorCode: 3, partitions: [] });
    expect(metadataProblem(res, BROKER)).toBeNull();
  });
});

describe('Produce', () => {
  it('a sane answer passes, and so do -1 for unknown offsets and times', () => {
    expect(produceProblem(produce(), ASKED, BROKER)).toBeNull();
    const res = produce();
    res.responses[0]?.partitionResponses.splice(0, 1, partition(0, { baseOffset: -1, logStartOffset: -1, logAppendTimeMs: 1_700_000_000_000 }));
    expect(produceProblem(res, ASKED, BROKER)).toBeNull();
  });

  const CASES: [string, (r: ProduceResponse) => void, RegExp][] = [
    ['a partition not asked for', (r) => r.responses[0]?.partitionResponses.push(partition(1)), /^responses\[a\]\.partitionResponses\[1\]\.index$/],
    ['a topic not asked for', (r) => r.responses.push({ name: 'z', partitionResponses: [partition(0)] }), /^responses\[z\]\.partitionResponses\[0\]\.index$/],
    ['a partition answered twice', (r) => r.responses[0]?.partitionResponses.push(partition(2)), /^responses\[a\]\.partitionResponses\[2\]\.index$/],
    ['a topic answered twice', (r) => r.responses.push({ name: 'a', partitionResponses: [] }), /^responses\[a\]\.name$/],
    ['a base offset of -2', (r) => r.responses[0]?.partitionResponses.splice(0, 1, partition(0, { baseOffset: -2 })), /\[0\]\.baseOffset$/],
    ['a log append time of -5', (r) => r.responses[0]?.partitionResponses.splice(0, 1, partition(0, { logAppendTimeMs: -5 })), /\[0\]\.logAppendTimeMs$/],
    ['a log start offset of -3', (r) => r.responses[0]?.partitionResponses.splice(0, 1, partition(0, { logStartOffset: -3 })), /\[0\]\.logStartOffset$/],
    ['a leader hint of node -4', (r) => r.responses[0]?.partitionResponses.splice(0, 1, partition(0, { errorCode: 6, currentLeader: { leaderId: -4, leaderEpoch: 1 } })), /\[0\]\.currentLeader$/],
    ['a node endpoint on port -1', (r) => r.nodeEndpoints.push({ nodeId: 4, host: 'h', port: -1, rack: null }), /^nodeEndpoints\[0\]\.port$/],
  ];
  it.each(CASES)('%s is refused, naming the field', (_what, mutate, field) => {
    const res = produce();
    mutate(res);
    refused(produceProblem(res, ASKED, BROKER), 'Produce', field);
  });
});

describe('InitProducerId, FindCoordinator, ApiVersions', () => {
  const init = (over: Partial<InitProducerIdResponse>): InitProducerIdResponse => ({
    throttleTimeMs: 0,
    errorCode: 0,
    producerId: 5,
    producerEpoch: 0,
    ongoingTxnProducerId: -1,
    ongoingTxnProducerEpoch: -1,
    ...over,
  });

  it('InitProducerId: an id and epoch 0 or more pass; with an error, -1 and -1 pass; with none they are refused', () => {
    expect(initProducerIdProblem(init({ producerEpoch: 32767 }), BROKER)).toBeNull();
    expect(initProducerIdProblem(init({ errorCode: 15, producerId: -1, producerEpoch: -1 }), BROKER)).toBeNull();
    refused(initProducerIdProblem(init({ producerId: -1 }), BROKER), 'InitProducerId', /^producerId$/);
    refused(initProducerIdProblem(init({ producerEpoch: -1 }), BROKER), 'InitProducerId', /^producerEpoch$/);
  });

  it('FindCoordinator: a node id, host and port that cannot be right are refused (with no error only)', () => {
    const c = { errorCode: 0, nodeId: 2, host: 'broker-2', port: 9092 };
    expect(coordinatorProblem(c, BROKER)).toBeNull();
    expect(coordinatorProblem({ ...c, errorCode: 15, nodeId: -1, host: '', port: -1 }, BROKER)).toBeNull();
    refused(coordinatorProblem({ ...c, nodeId: -1 }, BROKER), 'FindCoordinator', /^coordinator\.nodeId$/);
    refused(coordinatorProblem({ ...c, host: 'x'.repeat(300) }, BROKER), 'FindCoordinator', /^coordinator\.host$/);
    refused(coordinatorProblem({ ...c, port: 0 }, BROKER), 'FindCoordinator', /^coordinator\.port$/);
  });

  it('ApiVersions: each key once, 0 <= min <= max', () => {
    const res = (apiKeys: ApiVersionsResponse['apiKeys']): ApiVersionsResponse => ({ errorCode: 0, apiKeys, throttleTimeMs: 0, finalizedFeaturesEpoch: -1, supportedFeatures: [], finalizedFeatures: [] });
    expect(apiVersionsProblem(res([{ apiKey: 0, minVersion: 3, maxVersion: 13 }, { apiKey: 3, minVersion: 0, maxVersion: 13 }]), BROKER)).toBeNull();
    refused(apiVersionsProblem(res([{ apiKey: 0, minVersion: 5, maxVersion: 3 }]), BROKER), 'ApiVersions', /^apiKeys\[0\]$/);
    refused(apiVersionsProblem(res([{ apiKey: 0, minVersion: -1, maxVersion: 3 }]), BROKER), 'ApiVersions', /^apiKeys\[0\]$/);
    refused(apiVersionsProblem(res([{ apiKey: 3, minVersion: 0, maxVersion: 3 }, { apiKey: 3, minVersion: 0, maxVersion: 9 }]), BROKER), 'ApiVersions', /^apiKeys\[3\]\.apiKey$/);
  });
});

describe('ApiVersions over TCP', () => {
  it('a broker offering Produce versions 9..3 is not connected to: the connect fails with the MalformedResponseError', async () => {
    const server = await serve((socket) =>
      onRequests(socket, (req) => {
        const apiKeys = [{ apiKey: 18, minVersion: 0, maxVersion: 4 }, { apiKey: 0, minVersion: 9, maxVersion: 3 }];
        socket.write(responseFrame(ApiVersions, req.version, req.correlationId, { errorCode: 0, apiKeys, throttleTimeMs: 0 }));
        return true;
      }),
    );
    try {
      const err = await Connection.connect({ host: '127.0.0.1', port: server.port, requestTimeoutMs: 2000 }).then(
        (c) => {
          c.close();
          return null;
        },
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MalformedResponseError);
      expect((err as MalformedResponseError).field).toBe('apiKeys[0]');
      expect((err as MalformedResponseError).broker).toBe(`127.0.0.1:${server.port}`);
    } finally {
      await server.close();
    }
  });
});

const open: KafkaProducer[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close({ timeoutMs: 0 });
});

/** Sends `n` records to partition 0 and moves time until each settled (or `limitMs` passed); their errors, null for success. */
async function sendAll(cluster: FakeCluster, producer: KafkaProducer, n: number, limitMs: number): Promise<(Error | null | undefined)[]> {
  const outcomes: (Error | null | undefined)[] = Array.from({ length: n }, () => undefined);
  for (let i = 0; i < n; i++) producer.send({ topic: 't', partition: 0, value: `v${i}` }, (err) => (outcomes[i] = err));
  const end = cluster.clock.now() + limitMs;
  while (outcomes.includes(undefined) && cluster.clock.now() < end) await cluster.clock.advance(50);
  return outcomes;
}

describe.each(['main', 'port', 'thread'] as FakeHost[])('through the producer, the Sender on %s', (host) => {
  const options = { lingerMs: 0, requestTimeoutMs: 1000, deliveryTimeoutMs: 5000, retryBackoffMs: 100, retryBackoffMaxMs: 400 };

  it('a Produce answer naming a partition not asked for is as good as lost: the batch goes again, is answered as a duplicate, lands once', async () => {
    const cluster = new FakeCluster([{ name: 't', partitions: 2 }]);
    let hostile = 1;
    cluster.tamper = (api, res) => {
      if (api !== 'Produce' || hostile-- <= 0) return res;
      const r = res as ProduceResponse;
      r.responses[0]?.partitionResponses.push(partition(1));
      return r;
    };
    const producer = producerOver(cluster, host, options);
    open.push(producer);
    const outcomes = await sendAll(cluster, producer, 1, 10_000);
    expect(outcomes).toEqual([null]);
    expect(cluster.produceCalls).toBe(2);
    expect(cluster.partition('t', 0).values).toEqual(['v0']);
  });

  it('Produce answers whose offsets cannot be right, every time: each send fails within deliveryTimeoutMs with that error as the cause', async () => {
    const cluster = new FakeCluster([{ name: 't', partitions: 1 }]);
    cluster.tamper = (api, res) => {
      if (api !== 'Produce') return res;
      for (const t of (res as ProduceResponse).responses) for (const p of t.partitionResponses) p.baseOffset = -7;
      return res;
    };
    const producer = producerOver(cluster, host, options);
    open.push(producer);
    const start = cluster.clock.now();
    const outcomes = await sendAll(cluster, producer, 3, 20_000);
    expect(cluster.clock.now() - start).toBeLessThanOrEqual(5000 + 500);
    for (const err of outcomes) {
      expect(err).toBeInstanceOf(KafkaTimeoutError);
      const cause = (err as Error).cause as MalformedResponseError;
      expect(cause).toBeInstanceOf(MalformedResponseError);
      expect(cause.field).toBe('responses[t].partitionResponses[0].baseOffset');
      expect(cause.broker).toMatch(/node 1/);
    }
  });

  it('InitProducerId answers with a negative producer id every time: the sends expire at deliveryTimeoutMs with that error as the cause', async () => {
    const cluster = new FakeCluster([{ name: 't', partitions: 1 }]);
    cluster.tamper = (api, res) => (api === 'InitProducerId' ? { ...(res as InitProducerIdResponse), producerId: -3 } : res);
    const producer = producerOver(cluster, host, options);
    open.push(producer);
    const outcomes = await sendAll(cluster, producer, 2, 10_000);
    for (const err of outcomes) {
      expect(err).toBeInstanceOf(KafkaTimeoutError);
      expect((err as Error).cause).toBeInstanceOf(MalformedResponseError);
      expect(((err as Error).cause as MalformedResponseError).field).toBe('producerId');
    }
    expect(cluster.partition('t', 0).values).toEqual([]);
    // Asked again after each backoff (100 ms), not in a loop.
    expect(cluster.initProducerIdCalls.length).toBeLessThanOrEqual(5000 / 100 + 2);
  });

  it('an InitProducerId answer with a negative epoch is asked again after the backoff; the next sane one is used', async () => {
    const cluster = new FakeCluster([{ name: 't', partitions: 1 }]);
    let hostile = 2;
    cluster.tamper = (api, res) => (api === 'InitProducerId' && hostile-- > 0 ? { ...(res as InitProducerIdResponse), producerEpoch: -1 } : res);
    const producer = producerOver(cluster, host, options);
    open.push(producer);
    const outcomes = await sendAll(cluster, producer, 2, 10_000);
    expect(outcomes).toEqual([null, null]);
    expect(cluster.initProducerIdCalls.length).toBe(3);
    const log = cluster.partition('t', 0).log;
    expect(log.every((b) => b.epoch === 0)).toBe(true);
    expect(cluster.partition('t', 0).values).toEqual(['v0', 'v1']);
  });
});

describe('the transaction coordinator lookup', () => {
  it('a FindCoordinator answer with port 0 is looked up again after the backoff, then the request ends in a KafkaTimeoutError caused by it', async () => {
    const clock = new ManualClock(0);
    let finds = 0;
    const any: Partial<SenderConnection> = {
      broker: BROKER,
      closed: false,
      request: (async () => {
        finds++;
        return { throttleTimeMs: 0, coordinators: [{ key: 'tx', nodeId: 2, host: '127.0.0.1', port: 0, errorCode: 0, errorMessage: null }] };
      }) as SenderConnection['request'],
    };
    const transport = { metadata: new FakeCluster([]).metadata, anyConnection: async () => any, connectionTo: async () => any } as unknown as Transport;
    const coordinators = new Coordinators(transport, clock, 100, 400, 'tx');
    let outcome: unknown;
    void coordinators
      .request({ what: 'EndTxn', keyType: 1, key: 'tx', send: async () => ({}), codeOf: () => 0, unexpected: 'fatal', deadline: 2000 })
      .then((v) => (outcome = v), (err: unknown) => (outcome = err));
    while (outcome === undefined && clock.now() < 5000) await clock.advance(50);
    expect(outcome).toBeInstanceOf(KafkaTimeoutError);
    const cause = (outcome as Error).cause as MalformedResponseError;
    expect(cause).toBeInstanceOf(MalformedResponseError);
    expect(cause.field).toBe('coordinator.port');
    expect(finds).toBeGreaterThanOrEqual(3);
    expect(transport.metadata.brokers.size).toBe(3);
  });
});
